"""SQL whose form depends on the dialect, for services that must not check it themselves."""
from datetime import date, datetime
from typing import Iterator, Sequence

from sqlalchemy import func

from extensions import db


def stored_functions() -> bool:
    """True when the database runs the app's own functions (PostgreSQL; the migrations create them):
    a service then sends one call where SQLite runs its statements one by one."""
    return db.engine.dialect.name == "postgresql"  # the engine's: asking the session would make one


def month_text(column):
    """'YYYY-MM' of a DATE column, as a SQL expression."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def stream_rows(sql: str, batch_size: int, dates: Sequence[int] = (),
                datetimes: Sequence[int] = ()) -> Iterator[list]:
    """The rows of `sql` (plain SQL, no binds) in batches of at most `batch_size`, in the session's
    transaction; on PostgreSQL through a server-side cursor, so memory stays flat. The columns at
    `dates` and `datetimes` come as date and datetime objects (SQLite hands back their stored text)."""
    raw = db.session.connection().connection.driver_connection
    postgres = db.engine.dialect.name == "postgresql"
    cursor = raw.cursor(name="stream_rows") if postgres else raw.cursor()
    try:
        if postgres:
            cursor.itersize = batch_size
        cursor.execute(sql)
        while batch := cursor.fetchmany(batch_size):
            if not postgres and (dates or datetimes):
                batch = [_from_text(row, dates, datetimes) for row in batch]
            yield batch
    finally:
        cursor.close()


def _from_text(row: tuple, dates: Sequence[int], datetimes: Sequence[int]) -> list:
    row = list(row)
    for n in dates:
        row[n] = date.fromisoformat(row[n])
    for n in datetimes:
        row[n] = datetime.fromisoformat(row[n])
    return row
