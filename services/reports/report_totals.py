"""The 报表 dashboard's totals folded up to a watermark (docs/decisions.md#folded-report-totals).

Every reader adds the entries after the watermark, read live in the same statement, so a figure is
always the entries' own sum; folding only moves work off the page. Nothing is added to the ledger's
write path: ledger entries are append-only, so they are their own log of changes.

`fold()` moves the watermark up to the newest entry that no open transaction can still commit before
(SQLite: every entry, under its one write lock; PostgreSQL: entries made `SETTLE` before the oldest
open writing transaction began, so an entry whose id was taken but not yet committed is never passed
over). The dashboard starts a fold in the background when the live tail grows past `FOLD_AFTER`."""
import logging
import threading
from datetime import date, timedelta
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy import func, select, text, union_all

from extensions import db
from models import Household, ReportFold, SiteMonthTotal
from models import HouseholdLastEntry as L
from models import HouseholdYearTotal as Y
from models import LedgerEntry as E
from models.clock import utcnow
from models.ledger import EARNING_KINDS
from services.database import WRITE, as_date, expect, month_text
from services.ledger.month_totals import month_end, month_start

log = logging.getLogger(__name__)
T = TypeVar("T")

#: entries after the watermark that make the page start a fold
FOLD_AFTER = 20_000
#: entries folded per transaction: on SQLite the fold holds the one write lock meanwhile (about 40 ms
#: per 10,000 entries on the county bench data, docs/performance.md), so a kiosk waits at most ~0.2 s
CHUNK = 50_000
#: how long before the oldest open writing transaction an entry must be made to be folded (PostgreSQL)
SETTLE = timedelta(minutes=10)
_EARNING = ", ".join(f"'{kind}'" for kind in EARNING_KINDS)


def _sql(dialect: str) -> dict:
    if dialect == "postgresql":
        return {"month": "to_char(effective_date, 'YYYY-MM')", "year": "CAST(EXTRACT(YEAR FROM effective_date) AS INTEGER)",
                "month_no": "CAST(EXTRACT(MONTH FROM effective_date) AS INTEGER)"}
    return {"month": "strftime('%Y-%m', effective_date)", "year": "CAST(strftime('%Y', effective_date) AS INTEGER)",
            "month_no": "CAST(strftime('%m', effective_date) AS INTEGER)"}


def fold_sql(dialect: str) -> tuple[str, ...]:
    """The upserts that add the entries with :old < id <= :new to the totals (the migration's
    backfill sums the same)."""
    d = _sql(dialect)
    sites = (f"INSERT INTO site_month_total (month, site_id, kind, points, entries) "
             f"SELECT {d['month']}, site_id, kind, SUM(points), COUNT(*) FROM ledger_entry "
             f"WHERE id > :old AND id <= :new GROUP BY {d['month']}, site_id, kind "
             "ON CONFLICT (month, site_id, kind) DO UPDATE SET points = site_month_total.points + excluded.points, "
             "entries = site_month_total.entries + excluded.entries")
    # a sum of distinct powers of two is their bitwise OR (SQLite has no bit_or aggregate)
    years = (f"INSERT INTO household_year_total (household_id, year, earned_months) "
             f"SELECT household_id, {d['year']}, SUM(DISTINCT CASE WHEN kind IN ({_EARNING}) AND points > 0 "
             f"THEN 1 << ({d['month_no']} - 1) ELSE 0 END) FROM ledger_entry "
             f"WHERE id > :old AND id <= :new GROUP BY household_id, {d['year']} "
             "ON CONFLICT (household_id, year) DO UPDATE SET "
             "earned_months = household_year_total.earned_months | excluded.earned_months")
    last = ("INSERT INTO household_last_entry (household_id, last_date) "
            "SELECT household_id, MAX(effective_date) FROM ledger_entry WHERE id > :old AND id <= :new "
            "GROUP BY household_id ON CONFLICT (household_id) DO UPDATE SET "
            "last_date = CASE WHEN excluded.last_date > household_last_entry.last_date "
            "THEN excluded.last_date ELSE household_last_entry.last_date END")
    return sites, years, last


def watermark():
    """The watermark as a scalar subquery (read in the reader's own statement: one snapshot)."""
    return select(func.coalesce(func.max(ReportFold.entry_id), 0)).scalar_subquery()


def current() -> int:
    """The watermark now. A reader that passes it to several statements (a known number plans far
    better than the subquery) checks it again after them: a fold between would count entries twice."""
    return db.session.execute(select(watermark())).scalar_one()


def consistent(read: Callable[[Any], T], attempts: int = 3) -> T:
    """read(upto) with `upto` the watermark, again while a fold moves it meanwhile; at last with the
    watermark as a subquery in each statement (each then reads one snapshot)."""
    for _ in range(attempts):
        upto = current()
        result = read(upto)
        if current() == upto:
            return result
    return read(watermark())


def fold() -> int:
    """Fold every settled entry after the watermark, in chunks, each its own committed transaction.
    Returns how many entry ids the watermark moved."""
    moved = 0
    while True:
        expect(WRITE)
        dialect = db.session.get_bind().dialect.name
        lock = " FOR UPDATE" if dialect == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE holds the one write lock
        row = db.session.execute(text(f"SELECT entry_id FROM report_fold WHERE id = 1{lock}")).first()
        old = row[0] if row else 0
        new = min(_settled(old, dialect), old + CHUNK)
        if new <= old:
            db.session.rollback()
            return moved
        for sql in fold_sql(dialect):
            db.session.execute(text(sql), {"old": old, "new": new})
        if row is None:
            db.session.add(ReportFold(id=1, entry_id=new, folded_at=utcnow()))
        else:
            db.session.execute(text("UPDATE report_fold SET entry_id = :new, folded_at = :now WHERE id = 1"),
                               {"new": new, "now": utcnow()})
        db.session.commit()
        moved += new - old


def _settled(old: int, dialect: str) -> int:
    if dialect != "postgresql":
        return db.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM ledger_entry")).scalar_one()
    # created_at is the app's clock; SETTLE also covers the moment between it and the INSERT
    return db.session.execute(text(
        "SELECT COALESCE(MAX(id), :old) FROM ledger_entry WHERE id > :old AND created_at < ("
        "SELECT LEAST(MIN(xact_start), now()) FROM pg_stat_activity "
        "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()) "
        "AT TIME ZONE 'UTC' - :settle"),
        {"old": old, "settle": SETTLE}).scalar_one()


def tail_size() -> int:
    return db.session.execute(select(func.count(E.id)).where(E.id > watermark())).scalar_one()


_folding = threading.Lock()


def fold_in_background(app) -> Optional[threading.Thread]:
    """Start a fold unless this process runs one already (another process's fold waits on the lock
    of the watermark row and then finds little to do)."""
    if not _folding.acquire(blocking=False):
        return None

    def run():
        try:
            with app.app_context():
                try:
                    fold()
                except Exception:  # noqa: BLE001 - a failed fold leaves the totals as they were; the page reads live
                    log.exception("folding the report totals failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
        finally:
            _folding.release()

    thread = threading.Thread(target=run, name="report-fold", daemon=True)
    thread.start()
    return thread


def mismatches(limit: int = 100) -> list[tuple[str, str, tuple]]:
    """(table, "missing" | "stale", row) for every folded row that differs from the entries up to the
    watermark (flask ledger verify): each comparison is one statement, so one snapshot."""
    d = _sql(db.session.get_bind().dialect.name)
    upto = "id <= (SELECT COALESCE(MAX(entry_id), 0) FROM report_fold)"
    checks = {
        "site_month_total": (
            f"SELECT {d['month']}, site_id, kind, SUM(points), COUNT(*) FROM ledger_entry WHERE {upto} "
            f"GROUP BY {d['month']}, site_id, kind",
            "SELECT month, site_id, kind, points, entries FROM site_month_total"),
        "household_year_total": (
            f"SELECT household_id, {d['year']}, SUM(DISTINCT CASE WHEN kind IN ({_EARNING}) AND points > 0 "
            f"THEN 1 << ({d['month_no']} - 1) ELSE 0 END) FROM ledger_entry WHERE {upto} "
            f"GROUP BY household_id, {d['year']}",
            "SELECT household_id, year, earned_months FROM household_year_total"),
        "household_last_entry": (
            f"SELECT household_id, MAX(effective_date) FROM ledger_entry WHERE {upto} GROUP BY household_id",
            "SELECT household_id, last_date FROM household_last_entry"),
    }
    found = []
    for table, (truth, stored) in checks.items():
        for label, first, second in (("missing", truth, stored), ("stale", stored, truth)):
            rows = db.session.execute(text(f"SELECT * FROM ({first} EXCEPT {second}) d LIMIT {int(limit)}")).all()
            found += [(table, label, tuple(row)) for row in rows]
    return found


# ------------------------------------------------------------------ readers
def site_months(first: str, last: str, site_ids: Optional[set[int]], upto) -> list[tuple]:
    """(site_id, 'YYYY-MM', kind, Σ points) of whole months first … last."""
    month = month_text(E.effective_date)
    folded = select(SiteMonthTotal.site_id, SiteMonthTotal.month, SiteMonthTotal.kind, SiteMonthTotal.points) \
        .where(SiteMonthTotal.month.between(first, last))
    live = select(E.site_id, month.label("month"), E.kind, E.points).where(
        E.id > upto, E.effective_date.between(month_start(first), month_end(month_start(last))))
    if site_ids is not None:
        folded = folded.where(SiteMonthTotal.site_id.in_(site_ids))
        live = live.where(E.site_id.in_(site_ids))
    both = union_all(folded, live).subquery()
    return db.session.execute(select(both.c.site_id, both.c.month, both.c.kind, func.sum(both.c.points))
                              .group_by(both.c.site_id, both.c.month, both.c.kind)).all()


def earner_ids(first: str, last: str, upto) -> list:
    """SELECTs of the ids of households with a positive earning entry in whole months first … last:
    from the folded years and from the entries after the fold (a household may be in both)."""
    conditions = []
    for year in range(int(first[:4]), int(last[:4]) + 1):
        lo = int(first[5:]) if year == int(first[:4]) else 1
        hi = int(last[5:]) if year == int(last[:4]) else 12
        mask = sum(1 << (m - 1) for m in range(lo, hi + 1))
        conditions.append((Y.year == year) & (Y.earned_months.op("&")(mask) != 0))
    folded = select(Y.household_id).where(db.or_(*conditions))
    live = select(E.household_id).where(E.id > upto, E.kind.in_(EARNING_KINDS), E.points > 0,
                                        E.effective_date.between(month_start(first), month_end(month_start(last))))
    return [folded, live]


def recent_ids(since: date, upto) -> list:
    """SELECTs of the ids of households with an entry on or after `since` (folded, after the fold)."""
    return [select(L.household_id).where(L.last_date >= since),
            select(E.household_id).where(E.id > upto, E.effective_date >= since)]


def oldest_last(before: date, upto, limit: int, site_ids: Optional[set[int]]) -> list[tuple[int, date]]:
    """(household_id, last) of active households whose latest entry is before `before`, the oldest
    first, read in the last-entry index's order (entries after the fold only leave a household out
    when they are on or after `before`; the date shown takes them in)."""
    recent_live = select(E.household_id).where(E.id > upto, E.effective_date >= before)
    query = (select(L.household_id).join(Household, Household.id == L.household_id)
             .where(L.last_date < before, Household.status == "active", ~L.household_id.in_(recent_live))
             .order_by(L.last_date, L.household_id).limit(limit))
    if site_ids is not None:
        query = query.where(Household.site_id.in_(site_ids))
    ids = list(db.session.execute(query).scalars())
    # a household whose every entry is after the fold is not in the index: the few entries after the
    # fold, grouped first ("+ 0" keeps SQLite from reading a whole household index for the grouping's
    # order instead of the id range)
    household = (E.household_id + 0).label("household_id")
    tail = (select(household, func.max(E.effective_date).label("last")).where(E.id > upto)
            .group_by(household).subquery())
    only_live = (select(tail.c.household_id).join(Household, Household.id == tail.c.household_id)
                 .where(tail.c.last < before, Household.status == "active",
                        ~select(L.household_id).where(L.household_id == tail.c.household_id).exists()))
    if site_ids is not None:
        only_live = only_live.where(Household.site_id.in_(site_ids))
    ids += db.session.execute(only_live).scalars()
    if not ids:
        return []
    both = union_all(select(L.household_id, L.last_date.label("last")).where(L.household_id.in_(ids)),
                     select(E.household_id, E.effective_date.label("last")).where(E.id > upto, E.household_id.in_(ids))
                     ).subquery()
    last = {hid: as_date(day) for hid, day in db.session.execute(  # MAX(): text on SQLite
        select(both.c.household_id, func.max(both.c.last)).group_by(both.c.household_id))}
    return sorted(((hid, last[hid]) for hid in ids), key=lambda row: (row[1], row[0]))[:limit]
