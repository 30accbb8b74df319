"""SQL statements sent together in the session's transaction.

On PostgreSQL they go in ONE round trip (libpq's pipeline mode, services/database/pg_pipeline.py), so a hot
row — one household at a busy kiosk, one sack of rice — stays locked for fewer round trips
(docs/performance.md). SQLite runs in the process (no round trips): there they run one after another
on the session's connection.
A statement may carry a refusal, raised when it returned no row (a conditional UPDATE … RETURNING
that found its condition false; the caller's transaction is then rolled back as for any refusal), and
a `read` that makes its value from its rows."""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Optional, Sequence

from psycopg.pq import TransactionStatus
from sqlalchemy import exc, text
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import TextClause

from extensions import db
from services.database import pg_pipeline
from services.database.transactions import NO_FSYNC_PENDING
from services.errors import DomainError

_IDLE = TransactionStatus.IDLE


@dataclass(frozen=True)
class Statement:
    clause: TextClause
    params: dict
    #: raised when the statement returned no row (only for statements with RETURNING)
    refusal: Optional[DomainError] = None
    #: rows -> the statement's value (may raise a DomainError, except in run_last); without it: the rows
    read: Optional[Callable[[list], Any]] = None


def run_together(statements: Sequence[Statement]) -> list:
    """Each statement's value, in order: its rows ([] without RETURNING), or what its `read` made of
    them. Statement by statement, in order: its refusal when it returned no row, else its read (which
    may raise), so the first statement's error wins. Database errors are the session's (IntegrityError …)."""
    return _run(statements, commit=False)


def run(statement: Statement):
    """run_together() of one statement: its value."""
    return _run((statement,), commit=False)[0]


def _run(statements: Sequence[Statement], commit: bool) -> list:
    """run_together(); commit=True (run_last): the COMMIT follows the statements (on PostgreSQL in the
    same round trip)."""
    own = _own.get()
    if own is not None:
        results = _on_own(own, statements, commit)
    else:
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            results = _pipelined(connection, statements, commit)
        else:
            results = _sqlite(connection, statements, commit)
    for n, statement in enumerate(statements):
        if statement.refusal is not None and not results[n]:
            raise statement.refusal
        if statement.read is not None:
            results[n] = statement.read(results[n])
    return results


#: True while the view commits right after its service's last statements (the kiosk scan and
#: redemption): those carry the COMMIT, so the locks go a round trip sooner (docs/performance.md);
#: the view's db.session.commit() then ends an empty transaction
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


#: the psycopg connection of own_connection(), while one is in use
_own: ContextVar = ContextVar("own_connection", default=None)


@contextmanager
def own_connection():
    """Inside commit_follows() on PostgreSQL: the statements run by run_together / run_last in this
    block go on a pooled psycopg connection of their own, outside the ORM session, whose Session and
    SQLAlchemy Connection cost about a tenth of a kiosk redemption's CPU (docs/performance.md). Its
    transaction ends with the block: committed by run_last (or at the block's end when still open),
    rolled back on an error. Elsewhere (SQLite, or no commit follows) a no-op: the session's
    connection and transaction, as always. For a service whose work is only such statements."""
    if not _commit_follows.get() or db.engine.dialect.name != "postgresql" or _own.get() is not None:
        yield
        return
    pooled = db.engine.raw_connection()
    raw = pooled.driver_connection
    token = _own.set(raw)
    try:
        yield
        if raw.info.transaction_status != _IDLE:
            raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        _own.reset(token)
        pooled.close()  # back to the pool (its reset finds no transaction open)


def _on_own(raw, statements: Sequence[Statement], commit: bool) -> list[list[tuple]]:
    try:
        return pg_pipeline.run(raw, statements, commit)
    except db.engine.dialect.dbapi.Error as error:
        raise exc.DBAPIError.instance(None, None, error, db.engine.dialect.dbapi.Error,
                                      dialect=db.engine.dialect) from error


def run_last(statements: Sequence[Statement]) -> list:
    """run_together() for a service's last statements of its work; inside commit_follows() they
    carry the COMMIT. Then no refusal may come: a statement with one raises ValueError here, and a
    statement's read must not raise."""
    if not _commit_follows.get():
        return run_together(statements)
    if any(statement.refusal is not None for statement in statements):
        raise ValueError("run_last() inside commit_follows() takes no statement with a refusal")
    _commit_follows.set(False)  # one COMMIT: anything after it is a new transaction the view commits
    if _own.get() is None:
        db.session.flush()  # what the session still holds goes in that COMMIT too
    return _run(statements, commit=True)


#: sent first in a LOSABLE_WRITE transaction (transactions.py marks it pending at its BEGIN)
_NO_FSYNC_WAIT = Statement(text("SET LOCAL synchronous_commit TO OFF"), {})


def _pipelined(connection, statements: Sequence[Statement], commit: bool) -> list[list[tuple]]:
    try:
        if connection.info.get(NO_FSYNC_PENDING):
            connection.info[NO_FSYNC_PENDING] = False
            return pg_pipeline.run(connection.connection.driver_connection, [_NO_FSYNC_WAIT, *statements],
                                   commit)[1:]
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


def expire_written(model, key, attributes: list[str]) -> None:
    """After SQL text changed `attributes` of the row `key`: the session's object for that row, if it
    has one, reads them again when next used (a context that made no session has none)."""
    if not db.session.registry.has():
        return
    cached = db.session.identity_map.get(identity_key(model, key))
    if cached is not None:
        db.session.expire(cached, attributes)
