"""Deterministic synthetic data for benchmarks, with valid per-household hash chains.

    python -m bench.generate --scale county  --database-url sqlite:////tmp/county.db
    python -m bench.generate --scale province --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Scales: county 138 sites / 6k households / 1M entries; province 2k sites (15 counties of 138) / 100k
households / 5M entries;
tiny (tests). Card tokens are derived from the seed so the harness can scan them; each site gets
BENCH_GOODS (stock 1,000,000, no limits) and one paired kiosk device whose token is device_token().
Then bench/civic_data.py adds evaluation rounds and honor lists through the services (--no-civic-data: not)."""
import argparse
import hashlib
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

#: sites per county in the area tree (a province is many counties of a county's size)
SITES_PER_COUNTY = 138
SCALES = {
    "tiny": dict(sites=4, households=60, entries=1_500),
    "county": dict(sites=138, households=6_000, entries=1_000_000),
    "province": dict(sites=2_000, households=100_000, entries=5_000_000),
}
EARN_KINDS = ("rule_award", "activity", "evaluation", "award")
ENTRY_COLUMNS = ("id", "household_id", "site_id", "seq", "kind", "points", "requested_points",
                 "balance_after", "idempotency_key", "source_type", "source_id", "reverses_id",
                 "effective_date", "actor_id", "note", "created_at", "prev_hash", "hash")
EPOCH = datetime(2025, 12, 1)
#: (name, price) of the goods every generated site stocks
BENCH_GOODS = (("基准大米", 5), ("基准食用油", 3), ("基准肥皂", 1))
BENCH_STOCK = 1_000_000


@dataclass
class Generated:
    sites: int
    households: int
    entries: int
    seconds: float


def card_token(seed: int, household_id: int) -> str:
    """The deterministic card token of a generated household (base32, 26 chars like real ones)."""
    import base64

    raw = hashlib.sha256(f"bench-card:{seed}:{household_id}".encode()).digest()[:16]
    return base64.b32encode(raw).decode().rstrip("=")


def device_token(seed: int, site_id: int) -> str:
    """The deterministic credential of a generated site's kiosk device."""
    return hashlib.sha256(f"bench-device:{seed}:{site_id}".encode()).hexdigest()[:43]


def generate(app, scale: str, seed: int = 7) -> Generated:
    """Fill the (migrated, empty) database of `app` with synthetic data."""
    from extensions import db

    size, rng, started = SCALES[scale], random.Random(seed), time.perf_counter()
    key = app.config["LEDGER_KEY"].encode()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")  # bulk load only; the app runs with FULL
        # a county of SITES_PER_COUNTY sites (one town, one village each), as many as the scale needs
        counties = -(-size["sites"] // SITES_PER_COUNTY)
        _insert(cursor, db.engine.dialect.name, "area", ("id", "parent_id", "level", "name"),
                [row for c in range(counties) for row in (
                    (3 * c + 1, None, "county", f"基准县{c + 1:02d}" if counties > 1 else "基准县"),
                    (3 * c + 2, 3 * c + 1, "township", f"基准镇{c + 1:02d}"), (3 * c + 3, 3 * c + 2, "village", f"基准村{c + 1:02d}"))])
        _insert(cursor, db.engine.dialect.name, "site", ("id", "area_id", "name", "code", "address"),
                [(s, 3 * ((s - 1) // SITES_PER_COUNTY) + 3, f"安置点{s:04d}", f"B{s:05d}", None)
                 for s in range(1, size["sites"] + 1)])
        homes = [(h, 1 + (h - 1) % size["sites"]) for h in range(1, size["households"] + 1)]
        _write_households(cursor, db.engine.dialect.name, homes, size, rng, key)
        _insert(cursor, db.engine.dialect.name, "card",
                ("household_id", "token_hash", "short_code", "generation", "status", "issued_at"),
                [(h, hashlib.sha256(card_token(seed, h).encode()).hexdigest(), f"B{h:07d}", 1, "active", EPOCH)
                 for h, _ in homes])
        _write_kiosks(cursor, db.engine.dialect.name, size["sites"], seed)
        # the entries were copied in, not posted: their month totals as the migration backfills them
        from services.ledger import month_totals

        cursor.execute(f"INSERT INTO ledger_month_total ({', '.join(month_totals.COLUMNS)}) "
                       + month_totals.recompute_sql(month_totals.month_sql(db.engine.dialect.name)))
        # and the report totals folded up to the last of them, as the migration backfills them
        from services.reports import report_totals

        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_entry")
        last_id = int(cursor.fetchone()[0])
        for sql in report_totals.fold_sql(db.engine.dialect.name):
            cursor.execute(sql.replace(":old", "0").replace(":new", str(last_id)))
        cursor.execute(f"UPDATE report_fold SET entry_id = {last_id} WHERE id = 1")
        if db.engine.dialect.name == "postgresql":
            for table in ("area", "site", "household", "card", "ledger_entry", "goods", "kiosk_device"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
    return Generated(size["sites"], size["households"], size["entries"], time.perf_counter() - started)


def _write_kiosks(cursor, dialect, sites, seed):
    """BENCH_GOODS on every site's shelves and one active kiosk device per site."""
    goods_ids = iter(range(1, sites * len(BENCH_GOODS) + 1))
    _insert(cursor, dialect, "goods",
            ("id", "site_id", "name", "category", "price", "unit", "stock", "low_stock", "active",
             "photo_version", "created_at", "updated_at"),
            [(next(goods_ids), s, name, "其他", price, "个", BENCH_STOCK, 5, True, 0, EPOCH, EPOCH)
             for s in range(1, sites + 1) for name, price in BENCH_GOODS])
    _insert(cursor, dialect, "kiosk_device",
            ("id", "site_id", "name", "status", "token_hash", "paired_at", "created_at"),
            [(s, s, "基准终端", "active", hashlib.sha256(device_token(seed, s).encode()).hexdigest(), EPOCH, EPOCH)
             for s in range(1, sites + 1)])


def ensure_kiosks(app, seed: int = 7) -> None:
    """Add the goods and devices to a database generated before they existed (idempotent)."""
    from extensions import db

    with app.app_context():
        if db.session.execute(db.text("SELECT COUNT(*) FROM kiosk_device")).scalar():
            return
        sites = db.session.execute(db.text("SELECT MAX(id) FROM site")).scalar()
        db.session.remove()
        raw = db.engine.raw_connection()
        try:
            _write_kiosks(raw.cursor(), db.engine.dialect.name, sites, seed)
            if db.engine.dialect.name == "postgresql":
                for table in ("goods", "kiosk_device"):
                    raw.cursor().execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
            raw.commit()
        finally:
            raw.close()


def goods_ids_of(site_id: int) -> list[int]:
    """Ids of the BENCH_GOODS of a generated site (cheapest last)."""
    first = (site_id - 1) * len(BENCH_GOODS) + 1
    return list(range(first, first + len(BENCH_GOODS)))


def _write_households(cursor, dialect, homes, size, rng, key):
    """Write households and their chained entries in batches."""
    from services.ledger import canonical_fields, entry_hash, head_signature

    per_home = max(1, size["entries"] // size["households"])
    batch, next_id, rows = [], 1, []
    for household_id, site_id in homes:
        balance, prev, seq = 0, "", 0
        moment = EPOCH
        for _ in range(per_home):
            seq += 1
            moment += timedelta(minutes=rng.randint(30, 3000))
            if balance >= 20 and rng.random() < 0.25:
                kind, points = "redemption", -rng.randint(5, min(balance, 85))
            else:
                kind, points = rng.choice(EARN_KINDS), rng.choice((2, 3, 5, 10, 20))
            balance += points
            entry = SimpleNamespace(
                id=next_id, household_id=household_id, site_id=site_id, seq=seq, kind=kind, points=points,
                requested_points=points, balance_after=balance, idempotency_key=f"bench:{household_id}:{seq}",
                source_type=None, source_id=None, reverses_id=None,
                effective_date=moment.date(), actor_id=None, note=None, created_at=moment, prev_hash=prev)
            entry.hash = entry_hash(canonical_fields(entry), key)
            batch.append(tuple(getattr(entry, c) for c in ENTRY_COLUMNS))
            prev, next_id = entry.hash, next_id + 1
        rows.append((household_id, site_id, f"户主{household_id}", "", "active", balance, 0, seq, prev,
                     head_signature(household_id, seq, prev, balance, key), EPOCH))
        if len(batch) >= 50_000:
            _flush(cursor, dialect, rows, batch)
            rows, batch = [], []
    _flush(cursor, dialect, rows, batch)


def _flush(cursor, dialect, households, entries):
    # households first: entries reference them
    _insert(cursor, dialect, "household",
            ("id", "site_id", "head_name", "head_initials", "status", "balance", "base_points",
             "ledger_seq", "ledger_hash", "head_sig", "created_at"), households)
    _insert(cursor, dialect, "ledger_entry", ENTRY_COLUMNS, entries)


def _insert(cursor, dialect, table, columns, rows):
    rows = list(rows)
    if not rows:
        return
    if dialect == "postgresql":
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def settle(app) -> None:
    """PostgreSQL: VACUUM (ANALYZE) after the bulk load, as autovacuum would soon do on a running
    server, so the first reads of every page do not set its hint bits during a measurement."""
    from extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE)")


def make_app(database_url: str):
    from app import create_app

    # no daily seal: a seal in the background would run inside the measured window
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LEDGER_KEY": "bench-ledger-key",
                       "SECRET_KEY": "bench-secret", "SEAL_DAILY": False})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-civic-data", action="store_true",
                        help="without the evaluation rounds and honor lists of bench/civic_data.py")
    args = parser.parse_args()
    app = make_app(args.database_url)
    with app.app_context():
        from admin.commands import migrate_to_head

        migrate_to_head()
        result = generate(app, args.scale, args.seed)
    print(f"{args.scale}: {result.sites} sites, {result.households} households, "
          f"{result.entries} entries in {result.seconds:.1f}s")
    if not args.no_civic_data:
        from bench import civic_data

        print(civic_data.summary(civic_data.add(app, seed=args.seed)))
    with app.app_context():
        settle(app)


if __name__ == "__main__":
    main()
