"""Server-side time of each statement of a kiosk redemption on PostgreSQL (docs/performance.md).

    python -m bench.statement_timings postgresql+psycopg://postgres@127.0.0.1/bench_province \
        [--requests 300] [--log /var/log/postgresql/postgresql-15-main.log]

Runs N redemptions in-process (as bench/profile_kiosk.py does) on connections that LOAD auto_explain
with ANALYZE and nested statements (the statements inside jifen_redeem are timed too; a superuser's
session setting, no server restart), then reads what the server wrote to its log and prints each
statement's count, mean time and text, by total time. The timings include auto_explain's own
instrumentation: compare statements with each other, not with a run without it."""
import argparse
import collections
import re
import uuid

from sqlalchemy import event

from bench.generate import make_app
from bench.profile_kiosk import open_sessions
from extensions import db

_SETTINGS = ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0", "SET auto_explain.log_analyze = on",
             "SET auto_explain.log_nested_statements = on", "SET auto_explain.log_format = 'text'")
_ENTRY = re.compile(r"duration: ([\d.]+) ms\s+plan:\s*\n\s*Query Text: (.*?)\n", re.S)


def timed_statements(log_text: str) -> dict[str, list[float]]:
    """statement text (its first line, whitespace folded, at most 110 characters) -> its durations in ms."""
    times = collections.defaultdict(list)
    for block in re.split(r"\n(?=\d{4}-\d\d-\d\d )", log_text):
        found = _ENTRY.search(block)
        if found:
            times[re.sub(r"\s+", " ", found.group(2))[:110]].append(float(found.group(1)))
    return dict(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--log", default="/var/log/postgresql/postgresql-15-main.log")
    args = parser.parse_args(argv)
    app = make_app(args.database_url)
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _explained(dbapi_connection, _record):
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                for sql in _SETTINGS:
                    cursor.execute(sql)
            dbapi_connection.autocommit = False

        db.engine.dispose()  # the pool's connections are made again, with the settings
    sessions = open_sessions(app, args.requests)
    client = app.test_client()
    with open(args.log, "rb") as log:
        start = log.seek(0, 2)
    for token, session_id, goods_id in sessions:
        answer = client.post("/kiosk/api/redeem", headers={"Authorization": f"Device {token}"},
                             json={"session_id": session_id, "request_id": str(uuid.uuid4()),
                                   "cart": [{"goods_id": goods_id, "qty": 1}]})
        assert answer.status_code == 200, answer.get_json()
    with open(args.log, "rb") as log:
        log.seek(start)
        times = timed_statements(log.read().decode(errors="replace"))
    print(f"{len(sessions)} redemptions; per statement: count × mean server time, by total")
    for text, durations in sorted(times.items(), key=lambda item: -sum(item[1])):
        print(f"{len(durations):6d} × {sum(durations) / len(durations) * 1000:7.0f} µs  {text}")


if __name__ == "__main__":
    main()
