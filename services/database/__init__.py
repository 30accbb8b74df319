"""Database plumbing: the ONE place that knows how a transaction begins, batches its statements and
commits on SQLite and on PostgreSQL. Views and services say what they need with the names below;
no PRAGMA, BEGIN or dialect check lives outside this package.

Transactions (services/database/transactions.py). A unit of work expects one kind before its
transaction begins; the kind shapes the BEGIN and the COMMIT:

- WRITE — a write request, the default (POST requests, CLI commands, jobs, tests). SQLite: BEGIN
  IMMEDIATE, after queueing on the writers' file lock (so writers never fail with "database is
  locked"); COMMIT waits for the disk (synchronous=FULL). PostgreSQL: READ COMMITTED, durable COMMIT.
- READ — a read that may write later (GET requests; the kiosk redemption, which reads its cart
  first). SQLite: a deferred BEGIN, a snapshot holding no lock; begin_writes() must come before its
  first write. PostgreSQL: as WRITE.
- LOSABLE_WRITE — a write a crash may lose (the kiosk scan writes only its session row; the resident
  scans again). SQLite: synchronous=NORMAL for this transaction (WAL keeps the database consistent;
  the next durable COMMIT writes it to disk). PostgreSQL: SET LOCAL synchronous_commit TO OFF, sent
  with the transaction's first statements (no round trip of its own).

- expect(kind): the next transaction of this context is `kind`; no effect once one has begun.
- start_request(method) / end_request(): the app's request hooks: READ for GET/HEAD/OPTIONS, else
  WRITE; after the request, WRITE again.
- begin_writes(): in a READ transaction, before its first write: SQLite trades the snapshot for BEGIN
  IMMEDIATE (what was read is read again under the lock by the caller's conditional statements);
  RuntimeError if the transaction already wrote. No-op for a writing transaction and on PostgreSQL.
- make_durable(): in a LOSABLE_WRITE transaction, before its first write: its COMMIT waits for the
  disk after all (the kiosk scan that returns an offline allowance). SQLite: the read-only
  transaction commits and begins again with synchronous=FULL (read again what you change).
- commit_session(): the session's COMMIT, skipped when the context never made a session (the kiosk
  redemption on PostgreSQL, whose work is all on own_connection()).
- install(engine): the engine's hooks for its dialect (the app calls it once).

Statements sent together (services/database/statements.py):

- Statement(clause, params, refusal=None, read=None): SQL text and its binds; `refusal` (a
  DomainError) is raised when it returned no row; `read(rows)` makes its value.
- run_together(statements) -> [value, …]: in the session's transaction, ONE round trip on
  PostgreSQL (with the BEGIN when none is open). Values in order; the first statement's refusal or
  read error wins; database errors are SQLAlchemy's (IntegrityError …). Never commits.
- run(statement) -> value: run_together of one statement.
- run_last(statements): run_together for the last statements of a service's work; inside
  commit_follows() they carry the COMMIT (ValueError for a statement with a refusal there).
- commit_follows(): a view's context manager around a service whose run_last ends its writes,
  when the view commits right after (the kiosk scan and redemption).
- own_connection(): inside commit_follows() on PostgreSQL, a service's statements in the block run on
  a pooled psycopg connection of their own, outside the ORM session (the kiosk redemption); its
  transaction commits with run_last or rolls back on an error. Elsewhere a no-op.
- as_date(value) / as_datetime(value): a DATE/DATETIME column read with run_together (SQLite hands
  back text).
- expire_written(model, key, attributes): the session's object for a row SQL text just changed
  reads those attributes again.

Dialect-shaped SQL (services/database/dialect.py): month_text(column) ('YYYY-MM' of a date
column), stream_rows(sql, batch_size, dates, datetimes) (every row of a large query in batches, dates
as date/datetime objects), stored_functions() (True on PostgreSQL, where the migrations create the
app's functions: the redemption is one call there).

Backup and restore: services/database/backup.py. Why the hot paths are built this way:
docs/performance.md."""
from services.database.dialect import month_text, stored_functions, stream_rows
from services.database.statements import (
    Statement,
    as_date,
    as_datetime,
    commit_follows,
    expire_written,
    own_connection,
    run,
    run_last,
    run_together,
)
from services.database.transactions import (
    LOSABLE_WRITE,
    READ,
    WRITE,
    Transaction,
    begin_writes,
    commit_session,
    end_request,
    expect,
    install,
    make_durable,
    start_request,
)

__all__ = [
    "LOSABLE_WRITE", "READ", "WRITE", "Transaction", "begin_writes", "end_request", "expect", "install", "make_durable",
    "start_request", "commit_session", "Statement", "as_date", "as_datetime", "commit_follows", "expire_written",
    "own_connection", "run", "run_last", "run_together", "month_text", "stored_functions", "stream_rows",
]
