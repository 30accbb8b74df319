"""SQL statements sent together in the session's transaction.

On PostgreSQL they go in ONE round trip (libpq's pipeline mode, services/database/pg_pipeline.py), so a hot
row — one household at a busy kiosk, one sack of rice — stays locked for fewer round trips (STYLE #16).
SQLite runs in the process (no round trips), so there they simply run one after another through the
session.
A statement may carry a refusal: raised when it returned no row (a conditional UPDATE … RETURNING
that found its condition false); the caller's transaction is then rolled back as for any refusal."""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional, Sequence

from sqlalchemy import event, exc
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import TextClause

from extensions import apply_sqlite_durability, db, sqlite_durable, sqlite_write_intent
from services.database import pg_pipeline
from services.errors import DomainError


@dataclass(frozen=True)
class Statement:
    clause: TextClause
    params: dict
    #: raised when the statement returned no row (only for statements with RETURNING)
    refusal: Optional[DomainError] = None


def run_together(statements: Sequence[Statement]) -> list[list[tuple]]:
    """The rows each statement returned ([] without RETURNING), in order; then the refusal of the
    first statement that returned none, if any."""
    return _run(statements, commit=False)


def _run(statements: Sequence[Statement], commit: bool) -> list[list[tuple]]:
    """run_together(); commit=True (run_last): the COMMIT follows the statements (on PostgreSQL in the
    same round trip)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        results = _pipelined(connection, statements, commit)
    else:
        results = _sqlite(connection, statements, commit)
    for statement, rows in zip(statements, results):
        if statement.refusal is not None and not rows:
            raise statement.refusal
    return results


#: True while the view commits right after its service's last statements (the kiosk scan and
#: redemption): those carry the COMMIT. On PostgreSQL that is a round trip less, and a redemption's
#: locks are released a round trip sooner; on SQLite the one write lock goes before the view builds
#: its answer (a redemption held it 16 % shorter). The view's db.session.commit() then ends an
#: empty transaction.
_commit_follows: ContextVar[bool] = ContextVar("commit_follows", default=False)


@contextmanager
def commit_follows():
    """For a view: its service's last statements (run_last) may carry the COMMIT, because the view
    commits right after them. Only around a service whose run_last batch ends its writes."""
    token = _commit_follows.set(True)
    try:
        yield
    finally:
        _commit_follows.reset(token)


def run_last(statements: Sequence[Statement]) -> list[list[tuple]]:
    """run_together() for a service's last statements of its work; inside commit_follows() they
    carry the COMMIT. Then no refusal may come: a statement with one is refused here."""
    if not _commit_follows.get():
        return run_together(statements)
    if any(statement.refusal is not None for statement in statements):
        raise ValueError("run_last() inside commit_follows() takes no statement with a refusal")
    _commit_follows.set(False)  # one COMMIT: anything after it is a new transaction the view commits
    db.session.flush()  # what the session still holds goes in that COMMIT too
    return _run(statements, commit=True)


def _pipelined(connection, statements: Sequence[Statement], commit: bool) -> list[list[tuple]]:
    try:
        return pg_pipeline.run(connection.connection.driver_connection, statements, commit)
    except connection.dialect.dbapi.Error as error:
        # the same exception classes the session raises (IntegrityError for a duplicate key, ...)
        raise exc.DBAPIError.instance(None, None, error, connection.dialect.dbapi.Error,
                                      dialect=connection.dialect) from error


def _sqlite(connection, statements: Sequence[Statement], commit: bool) -> list[list[tuple]]:
    """Straight on the sqlite3 connection (the session's, in its transaction): the statements are
    plain SQL text, and SQLAlchemy's per-statement work would cost more than SQLite's.
    commit=True: then the COMMIT, so the one write lock goes before the view builds its answer (as the
    pipeline's COMMIT does on PostgreSQL), and a plain BEGIN, so what follows still runs in a
    transaction, which the view's commit ends (psycopg begins one by itself)."""
    sqlite = connection.connection.driver_connection
    cursor = sqlite.cursor()
    try:
        rows = [cursor.execute(statement.clause.text, _sqlite_params(statement.params)).fetchall()
                for statement in statements]
        if commit:
            sqlite.commit()
            sqlite.execute("BEGIN")
        return rows
    except connection.dialect.dbapi.Error as error:
        raise exc.DBAPIError.instance(None, None, error, connection.dialect.dbapi.Error,
                                      dialect=connection.dialect) from error
    finally:
        cursor.close()


def as_datetime(value) -> Optional[datetime]:
    """A DATETIME column read with run_together: SQLite hands back the stored text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def as_date(value) -> Optional[date]:
    """A DATE column read with run_together: SQLite hands back the stored text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _sqlite_params(params: dict) -> dict:
    """Dates and times as the SQLite dialect stores them (text), so SQL text and ORM rows compare."""
    return {name: value if type(value) in _AS_IS else _sqlite_value(value) for name, value in params.items()}


_AS_IS = frozenset({int, str, type(None), bool, float, bytes})  # most parameters: no isinstance chain


def _sqlite_value(value):
    if isinstance(value, datetime):  # SQLAlchemy's DATETIME storage format: "%04d-%02d-%02d %02d:%02d:%02d.%06d"
        return (value if value.tzinfo is None else value.replace(tzinfo=None)).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def reads_first() -> None:
    """For a write request that reads a while before it writes (the kiosk redemption): on SQLite
    its transaction opens as a plain BEGIN, so those reads hold no lock; begin_writes() before the
    first write. No effect on PostgreSQL, nor inside a transaction already begun."""
    if not db.session().in_transaction():
        sqlite_write_intent.set(False)


def without_fsync() -> None:
    """For a request whose writes a crash may lose (on SQLite; on PostgreSQL it is set inside the
    transaction, see kiosk_devices.start_session): its COMMIT does not wait for the disk. In WAL mode the database stays
    consistent, and the next durable COMMIT writes these changes to disk with its own. Call it
    before the transaction begins."""
    if not db.session().in_transaction():
        sqlite_durable.set(False)


def begin_writes() -> None:
    """SQLite: swap the read transaction for BEGIN IMMEDIATE, so the one write lock is held for
    the writes only. (Writing inside the deferred transaction instead fails with "database is
    locked" or forks a hash chain under load, STYLE #16.) No-op when already writing."""
    if sqlite_write_intent.get():
        return
    sqlite_write_intent.set(True)
    connection = db.session.connection()
    deferred_at = connection.info.get("deferred_at_changes") if connection.dialect.name == "sqlite" else None
    if deferred_at is None:  # PostgreSQL, or a transaction that began as a writer
        return
    sqlite = connection.connection.driver_connection
    if sqlite.total_changes != deferred_at:
        raise RuntimeError("begin_writes() after a write: a reads-first transaction must not write before it")
    sqlite.execute("COMMIT")  # it only read: this ends nothing but the read snapshot
    apply_sqlite_durability(connection.info, sqlite)
    sqlite.begin_immediate()
    connection.info["deferred_at_changes"] = None


def expire_written(model, key, attributes: list[str]) -> None:
    """After SQL text changed `attributes` of the row `key`: the session's object for that row, if it
    has one, reads them again when next used."""
    cached = db.session.identity_map.get(identity_key(model, key))
    if cached is not None:
        db.session.expire(cached, attributes)


def loaded(model, **columns):
    """The session's object for a row read with run_together: the one already in the session, else
    one made from `columns` (its other columns load when first read). `columns` must hold the
    primary key, "id"."""
    session = db.session()
    cached = session.identity_map.get(identity_key(model, columns["id"]))
    if cached is not None:
        return cached
    obj = model(**columns)
    attach(obj)
    return obj


_ATTACHED = "statements.attached"


def attach(*objs) -> None:
    """Put rows just written with SQL text into the session as loaded objects (every column set, so
    no reload). Like flushed new objects, a rollback of their transaction expunges them again:
    their rows are gone, and SQLite may hand their ids to the next rows."""
    session = db.session()
    current = session.get_nested_transaction() or session.get_transaction()
    for obj in objs:
        make_transient_to_detached(obj)
        session.add(obj)
        session.info.setdefault(_ATTACHED, []).append((current, obj))


@event.listens_for(Session, "after_soft_rollback")
def _forget_attached(session, previous_transaction):
    kept = []
    for transaction, obj in session.info.get(_ATTACHED, ()):
        if _within(transaction, previous_transaction):
            if obj in session:
                session.expunge(obj)
        else:
            kept.append((transaction, obj))
    session.info[_ATTACHED] = kept


@event.listens_for(Session, "after_commit")
def _keep_attached(session):
    session.info.pop(_ATTACHED, None)


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
