"""SQLite connections: WAL with synchronous=FULL, foreign keys on, and writers queued on a file lock.

Used by services/database/transactions.py only; nothing else touches a sqlite3 connection's settings."""
import fcntl
import os
import sqlite3
import weakref
from typing import Optional

#: the settings every connection gets when it opens (durability: FULL unless a transaction says otherwise)
_ON_CONNECT = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
               "PRAGMA busy_timeout=15000")


def writer_lock_path(database: Optional[str]) -> Optional[str]:
    """The file writers queue on, beside the database file; None for an in-memory database (no queue)."""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    return f"{database}.writers"


def configure(connection: "QueuedWriterConnection", lock_path: Optional[str]) -> None:
    """A new connection: BEGIN is ours to send (isolation_level None), its writers queue on
    `lock_path`, and _ON_CONNECT's settings hold."""
    connection.isolation_level = None
    connection.writer_lock_path = lock_path
    cursor = connection.cursor()
    for pragma in _ON_CONNECT:
        cursor.execute(pragma)
    cursor.close()


def set_durability(info: dict, connection: sqlite3.Connection, durable: bool) -> None:
    """Before a write transaction begins (SQLite takes this setting only outside a transaction):
    synchronous=FULL when `durable`, else NORMAL (in WAL mode: no fsync per COMMIT, the database stays
    consistent and the next durable COMMIT writes these changes with its own). `info`: the pooled
    connection's info dict, which remembers the current setting."""
    synchronous = "FULL" if durable else "NORMAL"
    if info.get("synchronous", "FULL") != synchronous:
        connection.execute(f"PRAGMA synchronous={synchronous}")
        info["synchronous"] = synchronous


class QueuedWriterConnection(sqlite3.Connection):
    """A sqlite3 connection whose writers queue on a file lock before BEGIN IMMEDIATE.

    SQLite's own busy handler polls with growing sleeps although the holder is done within a
    millisecond; flock() wakes the next writer as soon as the lock is released (docs/performance.md).
    Processes that do not take the file lock (the sqlite3 shell, a backup) still meet SQLite's busy
    timeout. Each connection opens its own file, so threads queue too."""

    writer_lock_path: Optional[str] = None  # set per engine; None (in-memory database): no queue
    _writer_fd: Optional[int] = None

    def begin_immediate(self) -> None:
        """Wait for the writers' file lock, then BEGIN IMMEDIATE (the lock goes with COMMIT/ROLLBACK)."""
        if self.writer_lock_path is not None:
            if self._writer_fd is None:
                self._writer_fd = os.open(self.writer_lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                # closed with the connection; also if it is dropped unclosed (closing drops the lock)
                self._close_writer_fd = weakref.finalize(self, os.close, self._writer_fd)
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_writer()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._writer_fd is not None:
                self._close_writer_fd()  # also drops the lock
                self._writer_fd = None

    def _release_writer(self) -> None:
        if self._writer_fd is not None and not self.in_transaction:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
