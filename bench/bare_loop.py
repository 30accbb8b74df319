"""The redemption baseline (docs/decisions.md#benchmark-baseline): the plain statement-by-statement transaction in a bare
psycopg / sqlite3 loop, N threads each with its own connection, same durability as the app
(PostgreSQL synchronous_commit on; SQLite WAL, synchronous=FULL, BEGIN IMMEDIATE).

    python -m bench.bare_loop DATABASE_URL SESSIONS_FILE SECONDS [THREADS]

SESSIONS_FILE is the harness's "device_token session_id goods_id" list. Prints "ok N", "refused N"
and "seconds S". The hash uses services.ledger's canonical form so `verify` accepts the rows."""
import hashlib
import re
import sys
import threading
import time
import uuid
from types import SimpleNamespace

from models.clock import local_today, utcnow
from services.ledger import canonical_fields, entry_hash, head_signature

KEY = b"bench-ledger-key"
STATEMENTS = dict(
    session="SELECT d.id, d.site_id, s.household_id, s.card_id FROM kiosk_session s "
            "JOIN kiosk_device d ON d.id = s.device_id WHERE s.id = :sid AND d.token_hash = :token "
            "AND d.status = 'active' AND s.ended_at IS NULL AND s.expires_at > :now",
    goods="SELECT price, name, unit FROM goods WHERE id = :gid AND site_id = :site AND active",
    redemption="INSERT INTO redemption (request_id, household_id, site_id, device_id, card_id, total_points, "
               "balance_after, status, created_at) VALUES (:rid, :hid, :site, :dev, :card, :total, 0, 'done', :now) "
               "RETURNING id",
    stock="UPDATE goods SET stock = stock - :q WHERE id = :gid AND stock >= :q RETURNING stock",
    line="INSERT INTO redemption_line (redemption_id, goods_id, name, unit, price, quantity, points) "
         "VALUES (:red, :gid, :name, :unit, :price, :q, :total)",
    movement="INSERT INTO stock_movement (goods_id, site_id, kind, quantity, stock_after, movement_date, "
             "redemption_id, created_at) VALUES (:gid, :site, 'redeem', :neg, :after, :today, :red, :now)",
    apply="UPDATE household SET balance = balance + :delta, ledger_seq = ledger_seq + 1 "
          "WHERE id = :hid AND balance + :delta >= 0 RETURNING balance, ledger_seq, ledger_hash, site_id",
    entry="INSERT INTO ledger_entry (household_id, site_id, seq, kind, points, requested_points, balance_after, "
          "idempotency_key, source_type, source_id, effective_date, created_at, prev_hash, hash) VALUES "
          "(:hid, :site, :seq, 'redemption', :delta, :delta, :bal, :key, 'redemption', :red, :today, :now, "
          ":prev, :hash) RETURNING id",
    head="UPDATE household SET ledger_hash = :hash, head_sig = :sig WHERE id = :hid",
    finish="UPDATE redemption SET ledger_entry_id = :eid, balance_after = :bal WHERE id = :red",
    # the entry's month total, as services/ledger/month_totals.py keeps it
    totals="INSERT INTO ledger_month_total (household_id, month, kind, site_id, points, entries, credits, "
           "first_date, last_date) VALUES (:hid, :month, 'redemption', :site, :delta, 1, 0, :today, :today) "
           "ON CONFLICT (household_id, month, kind, site_id) DO UPDATE SET "
           "points = ledger_month_total.points + excluded.points, entries = ledger_month_total.entries + 1, "
           "last_date = CASE WHEN excluded.last_date > ledger_month_total.last_date "
           "THEN excluded.last_date ELSE ledger_month_total.last_date END",
)


class Refused(Exception):
    pass


def connect(url: str):
    """A DB-API connection with the app's durability; returns (connection, paramstyle fixer, begin)."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None, check_same_thread=False,
                               timeout=15)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=15000"):
            conn.execute(f"PRAGMA {pragma}")
        return conn, {k: v for k, v in STATEMENTS.items()}, "BEGIN IMMEDIATE"
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return conn, {k: re.sub(r":(\w+)", r"%(\1)s", v) for k, v in STATEMENTS.items()}, "BEGIN"


def redeem_once(cur, sql, begin, token_hash, session_id, goods_id):
    """One redemption of 1 × goods, statement by statement; raises Refused (rolled back) when refused."""
    now, today = utcnow(), local_today()
    cur.execute(begin)
    try:
        cur.execute(sql["session"], dict(sid=session_id, token=token_hash, now=now))
        dev, site, hid, card = _one(cur)
        price, name, unit = _one(cur.execute(sql["goods"], dict(gid=goods_id, site=site)))
        red, = _one(cur.execute(sql["redemption"], dict(rid=str(uuid.uuid4()), hid=hid, site=site, dev=dev,
                                                        card=card, total=price, now=now)))
        after, = _one(cur.execute(sql["stock"], dict(q=1, gid=goods_id)))
        cur.execute(sql["line"], dict(red=red, gid=goods_id, name=name, unit=unit, price=price, q=1, total=price))
        cur.execute(sql["movement"], dict(gid=goods_id, site=site, neg=-1, after=after, today=today, red=red, now=now))
        bal, seq, prev, entry_site = _one(cur.execute(sql["apply"], dict(delta=-price, hid=hid)))
        fields = SimpleNamespace(household_id=hid, site_id=entry_site, seq=seq, kind="redemption", points=-price,
                                 requested_points=-price, balance_after=bal, idempotency_key=f"bare:{red}",
                                 source_type="redemption", source_id=red, reverses_id=None, effective_date=today,
                                 actor_id=None, note=None, created_at=now, prev_hash=prev)
        digest = entry_hash(canonical_fields(fields), KEY)
        eid, = _one(cur.execute(sql["entry"], dict(hid=hid, site=entry_site, seq=seq, delta=-price, bal=bal,
                                                   key=f"bare:{red}", red=red, today=today, now=now, prev=prev,
                                                   hash=digest)))
        cur.execute(sql["head"], dict(hash=digest, sig=head_signature(hid, seq, digest, bal, KEY), hid=hid))
        cur.execute(sql["finish"], dict(eid=eid, bal=bal, red=red))
        cur.execute(sql["totals"], dict(hid=hid, month=f"{today:%Y-%m}", site=entry_site, delta=-price, today=today))
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


def _one(cur):
    row = cur.fetchone()
    if row is None:
        raise Refused()
    return row


def run(url: str, sessions: list[tuple[str, str, int]], seconds: float, threads: int = 16) -> dict:
    counts = {"ok": 0, "refused": 0}
    lock, stop = threading.Lock(), time.monotonic() + seconds

    def worker(n):
        import random

        rng = random.Random(n)
        conn, sql, begin = connect(url)
        cur, ok, refused = conn.cursor(), 0, 0
        while time.monotonic() < stop:
            token, session_id, goods_id = rng.choice(sessions)
            try:
                redeem_once(cur, sql, begin, hashlib.sha256(token.encode()).hexdigest(), session_id, goods_id)
                ok += 1
            except Refused:
                refused += 1
        conn.close()
        with lock:
            counts["ok"] += ok
            counts["refused"] += refused

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    counts["seconds"] = time.monotonic() - started
    return counts


def read_sessions(path: str) -> list[tuple[str, str, int]]:
    with open(path) as f:
        return [(t, s, int(g)) for t, s, g in (line.split() for line in f if line.strip())]


if __name__ == "__main__":
    url, path, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    result = run(url, read_sessions(path), secs, int(sys.argv[4]) if len(sys.argv) > 4 else 16)
    print(f"ok {result['ok']}\nrefused {result['refused']}\nseconds {result['seconds']:.3f}")
