"""services.database.statements.run_together on PostgreSQL: the statements in ONE round trip, through libpq's
pipeline mode (psycopg.pq) without psycopg's cursors, whose Python cost per statement outweighed the
query (docs/performance.md).

Each statement is prepared once per connection under a name of ours, parameters and rows go through
psycopg's own adapters (Transformer), and a failed statement raises psycopg's own exception class.
psycopg's automatic preparing is off (services/database/transactions.py): it runs DEALLOCATE ALL
after every ROLLBACK, which would drop these statements too."""
import itertools
import select

from psycopg import errors
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ExecStatus, TransactionStatus
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

#: compiles SQL text with $1, $2 … placeholders, as a prepared statement wants them
_NUMBERED = psycopg_dialect(paramstyle="numeric_dollar")
#: at most this many statements get a name; further ones (none today) run unnamed
MAX_NAMED = 500

_COMPILED: dict = {}  # TextClause -> _Compiled
_NUMBERS = itertools.count()  # each name once, also when two threads compile at the same time
_BEGIN, _COMMIT = b"BEGIN", b"COMMIT"


class _Compiled:
    __slots__ = ("sql", "binds", "name")

    def __init__(self, clause):
        compiled = clause.compile(dialect=_NUMBERED)
        self.sql = compiled.string.encode()
        self.binds = tuple(compiled.positiontup or ())
        number = next(_NUMBERS)
        self.name = f"jifen_{number}".encode() if number < MAX_NAMED else None


class _ConnectionState:
    """What run() keeps on a connection (attribute `_jifen_pipeline`): the names prepared on it, and
    one Transformer (as a psycopg cursor keeps one: it caches the adapters it looked up) with the
    connection's encoding. The Transformer refers back to the connection, so the two go together."""
    __slots__ = ("prepared", "transformer", "encoding")

    def __init__(self, raw):
        self.prepared: set = set()
        self.transformer = Transformer(raw)
        self.encoding = raw.info.encoding


def run(raw, statements, commit: bool = False) -> list[list[tuple]]:
    """The rows of each statement ([] for none) on the psycopg connection `raw`, in its transaction
    (opened here with a BEGIN sent along when none is open); commit=True: its COMMIT goes along too."""
    if raw.isolation_level is not None or raw.read_only is not None or raw.deferrable is not None:
        raise RuntimeError("run_together opens transactions with a plain BEGIN only")
    state = getattr(raw, "_jifen_pipeline", None)
    if state is None:
        state = raw._jifen_pipeline = _ConnectionState(raw)
    prepared, transformer = state.prepared, state.transformer
    with raw.lock:
        pgconn = raw.pgconn
        begin = pgconn.transaction_status == TransactionStatus.IDLE and not raw.autocommit
        sent = []  # what each result answers: None (BEGIN/COMMIT), b"name" (a PREPARE), or "rows"
        pgconn.enter_pipeline_mode()
        try:
            try:
                if begin:
                    pgconn.send_query_params(_BEGIN, None)
                    sent.append(None)
                for statement in statements:
                    compiled = _COMPILED.get(statement.clause) or _COMPILED.setdefault(
                        statement.clause, _Compiled(statement.clause))
                    values = transformer.dump_sequence([statement.params[bind] for bind in compiled.binds],
                                                       [PyFormat.TEXT] * len(compiled.binds))
                    if compiled.name is None:
                        pgconn.send_query_params(compiled.sql, values)
                    else:
                        if compiled.name not in prepared and compiled.name not in sent:
                            pgconn.send_prepare(compiled.name, compiled.sql)
                            sent.append(compiled.name)
                        pgconn.send_query_prepared(compiled.name, values)
                    sent.append("rows")
                if commit:
                    pgconn.send_query_params(_COMMIT, None)
                    sent.append(None)
            finally:  # also after an error while sending: what was sent is answered before the pipeline ends
                pgconn.pipeline_sync()
                results = _results(pgconn, raw.fileno())
        finally:
            pgconn.exit_pipeline_mode()
    return _rows(results, sent, prepared, transformer, state.encoding)


def _results(pgconn, fileno: int) -> list:
    """Every result up to the pipeline's sync, waiting on the socket (the GIL is free meanwhile)."""
    while pgconn.flush():  # what did not fit the socket yet
        readable, _, _ = select.select([fileno], [fileno], [])
        if readable:
            pgconn.consume_input()
    results = []
    while True:
        while pgconn.is_busy():
            select.select([fileno], [], [])
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one command's results
            continue
        if result.status == ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)


def _rows(results, sent, prepared: set, transformer, encoding: str) -> list[list[tuple]]:
    rows, error = [], None
    for answers, result in zip(sent, results):
        status = result.status
        if status == ExecStatus.FATAL_ERROR:
            error = error or errors.error_from_result(result, encoding=encoding)
            if isinstance(error, errors.InvalidSqlStatementName):  # the server lost our statements (DISCARD ALL)
                prepared.clear()
        elif status == ExecStatus.PIPELINE_ABORTED:
            pass
        elif isinstance(answers, bytes):  # a PREPARE that worked
            prepared.add(answers)
        elif answers == "rows":
            if status == ExecStatus.TUPLES_OK:
                transformer.set_pgresult(result)
                rows.append(transformer.load_rows(0, result.ntuples, tuple))
            else:
                rows.append([])
    if error is not None:
        raise error
    if len(results) != len(sent):
        raise RuntimeError(f"the pipeline answered {len(results)} commands of {len(sent)}")
    return rows
