"""Monthly totals of the ledger (docs/decisions.md#month-totals): Σ points, entries and positive
entries per (household, month, kind, site), kept in step by the ledger's write path (post() and
post_moved() add `statement(entry)` to the entry's own batch, so they commit together) and checked
by verify (`mismatches()`). The reports and the fund read them instead of every entry."""
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import bindparam, select, text
from sqlalchemy.types import Date

from services.database import Statement

COLUMNS = ("household_id", "month", "kind", "site_id", "points", "entries", "credits", "first_date", "last_date")

#: one entry into its household's row: a row per household, so concurrent redemptions of different
#: households never wait on each other (the household row is already locked by the same transaction)
_UPSERT_SQL = text(
    "INSERT INTO ledger_month_total (household_id, month, kind, site_id, points, entries, credits, first_date, "
    "last_date) VALUES (:household_id, :month, :kind, :site_id, :points, 1, :credit, :day, :day) "
    "ON CONFLICT (household_id, month, kind, site_id) DO UPDATE SET "
    "points = ledger_month_total.points + excluded.points, entries = ledger_month_total.entries + 1, "
    "credits = ledger_month_total.credits + excluded.credits, "
    "first_date = CASE WHEN excluded.first_date < ledger_month_total.first_date "
    "THEN excluded.first_date ELSE ledger_month_total.first_date END, "
    "last_date = CASE WHEN excluded.last_date > ledger_month_total.last_date "
    "THEN excluded.last_date ELSE ledger_month_total.last_date END"
).bindparams(bindparam("day", type_=Date()))


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def statement(entry) -> Statement:
    """The upsert that counts `entry` (a Written) in its month's total; sent with the entry's INSERT."""
    return Statement(_UPSERT_SQL, {
        "household_id": entry.household_id, "month": month_of(entry.effective_date), "kind": entry.kind,
        "site_id": entry.site_id, "points": entry.points, "credit": int(entry.points > 0),
        "day": entry.effective_date})


def recompute_sql(month_sql: str) -> str:
    """The totals as the entries give them (the migration's backfill and verify's check);
    `month_sql`: the dialect's 'YYYY-MM' of effective_date."""
    return (f"SELECT household_id, {month_sql}, kind, site_id, SUM(points), COUNT(*), "
            f"SUM(CASE WHEN points > 0 THEN 1 ELSE 0 END), MIN(effective_date), MAX(effective_date) "
            f"FROM ledger_entry GROUP BY household_id, {month_sql}, kind, site_id")


def month_sql(dialect: str) -> str:
    return "to_char(effective_date, 'YYYY-MM')" if dialect == "postgresql" else "strftime('%Y-%m', effective_date)"


def mismatches(limit: int = 100) -> list[tuple[str, tuple]]:
    """("missing" | "stale", row) for every totals row that differs from the entries' sums: "missing"
    rows are what the entries give and the table lacks, "stale" rows what the table holds wrongly."""
    from extensions import db

    dialect = db.session.get_bind().dialect.name
    stored = f"SELECT {', '.join(COLUMNS)} FROM ledger_month_total"
    found = []
    for label, first, second in (("missing", recompute_sql(month_sql(dialect)), stored),
                                 ("stale", stored, recompute_sql(month_sql(dialect)))):
        rows = db.session.execute(text(f"SELECT * FROM ({first} EXCEPT {second}) d LIMIT {int(limit)}")).all()
        found += [(label, tuple(row)) for row in rows]
    return found


def split_period(start: date, end: date, site_ids=None) -> tuple[Optional[tuple[str, str]], list[tuple[date, date]]]:
    """What of [start, end] the totals answer, and what only the entries can: (first month, last
    month) read from the totals (None when none), and the date ranges of edge months that hold
    entries outside the period (to be read from ledger_entry). A month cut by the period still
    comes from the totals when its entries all fall inside it (the usual case: the period ends today)."""
    from flask import g, has_request_context

    memo = g.setdefault("month_totals_split", {}) if has_request_context() else {}  # a page asks twice
    key = (start, end, None if site_ids is None else frozenset(site_ids))
    if key not in memo:
        memo[key] = _split_period(start, end, site_ids)
    return memo[key]


def _split_period(start: date, end: date, site_ids) -> tuple[Optional[tuple[str, str]], list[tuple[date, date]]]:
    from extensions import db
    from models import LedgerMonthTotal as T

    months = [month_of(start), month_of(end)]
    partial = []
    for edge in dict.fromkeys(months):  # the start month, then the end month if another
        first_day = month_start(edge)
        last_day = month_end(first_day)
        lo, hi = max(start, first_day), min(end, last_day)
        if lo == first_day and hi == last_day:
            continue
        outside = select(T.month).where(T.month == edge, (T.first_date < lo) | (T.last_date > hi)).limit(1)
        if site_ids is not None:
            outside = outside.where(T.site_id.in_(site_ids))
        if db.session.execute(outside).first() is not None:
            partial.append((lo, hi))
    whole = _month_span(start, end, {month_of(lo) for lo, _hi in partial})
    return whole, partial


def month_start(month: str) -> date:
    """'YYYY-MM' -> its first day."""
    return date(int(month[:4]), int(month[5:]), 1)


def month_end(first_day: date) -> date:
    """The last day of `first_day`'s month."""
    following = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _month_span(start: date, end: date, left_out: set[str]) -> Optional[tuple[str, str]]:
    first, last = month_of(start), month_of(end)
    if first in left_out:
        first = month_of(month_end(start) + timedelta(days=1))
    if last in left_out:
        last = month_of(date(end.year, end.month, 1) - timedelta(days=1))
    return (first, last) if first <= last else None
