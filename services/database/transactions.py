"""What a unit of work's transaction is: the kinds, how each begins per dialect, and the engine hooks.

A kind is expected before the transaction begins (services.database.expect, or by request method in
start_request) and shapes its BEGIN; begin_writes() turns a reading transaction into a writing one."""
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event

from extensions import db
from services.database import sqlite


@dataclass(frozen=True)
class Transaction:
    """A kind of transaction. `immediate`: it takes SQLite's one write lock at BEGIN (else a deferred
    BEGIN: a snapshot without a lock, until begin_writes()). `durable`: its COMMIT waits for the disk."""

    name: str
    immediate: bool
    durable: bool


#: a write (POST requests, CLI, jobs, tests): BEGIN IMMEDIATE on SQLite, durable COMMIT
WRITE = Transaction("write", immediate=True, durable=True)
#: a read that may write later (GET requests; the kiosk redemption reads first): a deferred BEGIN on
#: SQLite, upgraded by begin_writes() before the first write
READ = Transaction("read", immediate=False, durable=True)
#: a write a crash may lose (the kiosk scan writes only its session row): no wait for the disk at COMMIT
LOSABLE_WRITE = Transaction("losable_write", immediate=True, durable=False)

_expected: ContextVar[Transaction] = ContextVar("expected_transaction", default=WRITE)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: connection.info keys: total_changes at a deferred BEGIN (None: the transaction may write), and
#: whether the transaction still has to say it need not wait for the disk (PostgreSQL)
DEFERRED_AT = "deferred_at_changes"
#: total_changes at an immediate BEGIN on SQLite (make_durable() checks nothing was written since)
BEGAN_AT = "began_at_changes"
NO_FSYNC_PENDING = "no_fsync_wait_pending"


def expect(kind: Transaction) -> None:
    """The next transaction of this context is `kind`. No effect inside a transaction already begun."""
    if not db.session.registry.has() or not db.session().in_transaction():  # no session made yet: none begun
        _expected.set(kind)


def commit_session() -> None:
    """db.session.commit(), skipped when this context never made a session (the kiosk redemption on
    PostgreSQL runs on its own connection; making a session to commit nothing was a tenth of its CPU)."""
    if db.session.registry.has():
        db.session.commit()


def expected() -> Transaction:
    return _expected.get()


def start_request(method: str) -> None:
    """At a request's start (no transaction is open): READ for GET/HEAD/OPTIONS, else WRITE."""
    _expected.set(READ if method in _READ_METHODS else WRITE)


def end_request() -> None:
    """At a request's end: work outside requests (CLI, jobs, tests) writes, durably."""
    _expected.set(WRITE)


def begin_writes() -> None:
    """Before the first write of a READ transaction: on SQLite the read snapshot ends and BEGIN
    IMMEDIATE takes the one write lock, so it is held for the writes only (writing inside the
    deferred transaction instead fails with "database is locked" under load). No-op when the
    transaction already writes, and on PostgreSQL. Raises RuntimeError when the transaction wrote
    before (its writes would be lost with the snapshot)."""
    kind = _expected.get()
    if kind.immediate:
        return
    _expected.set(WRITE if kind.durable else LOSABLE_WRITE)
    connection = db.session.connection()
    deferred_at = connection.info.get(DEFERRED_AT)
    if deferred_at is None:  # PostgreSQL, or a transaction that began as a writer
        return
    raw = connection.connection.driver_connection
    if raw.total_changes != deferred_at:
        raise RuntimeError("begin_writes() after a write: a reads-first transaction must not write before it")
    raw.execute("COMMIT")  # it only read: this ends nothing but the read snapshot
    sqlite.set_durability(connection.info, raw, kind.durable)
    raw.begin_immediate()
    connection.info[DEFERRED_AT] = None


def make_durable() -> None:
    """In a LOSABLE_WRITE transaction that, after its reads, has something durable to write (the kiosk
    scan that returns an offline allowance): its COMMIT waits for the disk after all. Call it before
    the transaction's first write. PostgreSQL: SET LOCAL synchronous_commit TO ON. SQLite (which takes
    that setting only outside a transaction): the transaction, which only read, commits and BEGIN
    IMMEDIATE starts again with synchronous=FULL; the writers' file lock stays held in between, so
    this process's writers cannot slip in, and the caller reads again under the lock what it will
    change. No-op for a durable kind. RuntimeError on SQLite when the transaction already wrote."""
    kind = _expected.get()
    if kind.durable:
        return
    _expected.set(WRITE)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        if connection.info.get(NO_FSYNC_PENDING):  # nothing sent yet: the SET LOCAL … OFF never goes
            connection.info[NO_FSYNC_PENDING] = False
        else:
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO ON")
        return
    raw = connection.connection.driver_connection
    if connection.info.get(DEFERRED_AT) is not None:  # a deferred BEGIN: begin_writes() sets durability
        return
    if raw.total_changes != connection.info.get(BEGAN_AT):
        raise RuntimeError("make_durable() after a write: a losable transaction must call it before writing")
    raw.execute("COMMIT")  # it only read; the file lock (QueuedWriterConnection) is still ours
    sqlite.set_durability(connection.info, raw, True)
    raw.begin_immediate()
    connection.info[BEGAN_AT] = raw.total_changes


def install(engine) -> None:
    """The engine's hooks for its dialect: how connections open and transactions begin."""
    if engine.dialect.name == "sqlite":
        _install_sqlite(engine)
    else:
        _install_postgresql(engine)


def _install_postgresql(engine) -> None:
    @event.listens_for(engine, "do_connect")
    def _no_automatic_prepare(_dialect, _record, _cargs, cparams):
        # psycopg's automatic preparing runs DEALLOCATE ALL after every ROLLBACK, which would drop the
        # statements services/database/pg_pipeline.py prepares
        cparams["prepare_threshold"] = None

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # psycopg begins by itself; a LOSABLE_WRITE's SET LOCAL goes with its first statements (statements.py)
        connection.info[NO_FSYNC_PENDING] = not _expected.get().durable


def _install_sqlite(engine) -> None:
    lock_path = sqlite.writer_lock_path(engine.url.database)

    @event.listens_for(engine, "do_connect")
    def _queued_writers(_dialect, _record, _cargs, cparams):
        cparams["factory"] = sqlite.QueuedWriterConnection

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        sqlite.configure(dbapi_connection, lock_path)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        kind = _expected.get()
        raw = connection.connection.driver_connection
        if kind.immediate:
            sqlite.set_durability(connection.info, raw, kind.durable)
            raw.begin_immediate()
            connection.info[DEFERRED_AT] = None
            connection.info[BEGAN_AT] = raw.total_changes
        else:  # a reading transaction that turns writer gets its lock in begin_writes()
            connection.exec_driver_sql("BEGIN")
            connection.info[DEFERRED_AT] = raw.total_changes
