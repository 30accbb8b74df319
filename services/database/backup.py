"""Online backup and restore: SQLite's backup API, pg_dump/pg_restore for PostgreSQL.

`flask restore` verifies the ledger afterwards and exits non-zero when it fails, e.g. a backup
restored without its LEDGER_KEY (keep the key with the backups)."""
import os
import sqlite3
import subprocess

from extensions import db
from models.clock import to_local, utcnow
from services.database import private_files
from services.errors import DomainError


class BackupFailed(DomainError):
    code = "backup_failed"
    status = 500
    message = "备份或恢复没有完成"


def default_backup_path(folder: str) -> str:
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M%S")
    suffix = "db" if db.engine.dialect.name == "sqlite" else "dump"
    private_files.private_dir(folder)
    return os.path.join(folder, f"jifen-{stamp}.{suffix}")


def backup(target: str) -> str:
    """Write a consistent copy of the live database to `target` (the app may keep running)."""
    db.session.remove()
    private_files.touch_private(target)  # a copy of every household's data: owner only
    if db.engine.dialect.name == "sqlite":
        raw = db.engine.raw_connection()
        try:
            dest = sqlite3.connect(target)
            with dest:
                raw.driver_connection.backup(dest)
            dest.close()
        finally:
            raw.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", target, "--dbname", _libpq_url()])
    return target


def restore(source: str) -> None:
    """Replace the database's contents with the backup at `source`."""
    if not os.path.exists(source):
        raise BackupFailed(f"找不到备份文件:{source}")
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        raw = db.engine.raw_connection()
        try:
            src.backup(raw.driver_connection)
        finally:
            raw.close()
            src.close()
    else:
        db.engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--dbname", _libpq_url(), source])
    db.engine.dispose()


def _libpq_url() -> str:
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupFailed(f"{command[0]} 失败:{result.stderr.strip()[:500]}")
