"""What every benchmark run must leave true (docs/performance.md): 0 overdrafts, 0 negative stock,
Σ entries = balances, and an intact hash chain (no fork, no gap, heads match, hashes recompute).

Checked in SQL over the whole database, and entry by entry (HMAC recomputed) for the entries
written after entry id `since` — a full `verify` of 5M entries is measure 6, not a per-run check."""
from dataclasses import dataclass, field

from sqlalchemy import text

from extensions import db
from services.ledger import canonical_fields, entry_hash, ledger_key

CHECKS = {
    "overdrafts": "SELECT COUNT(*) FROM household WHERE balance < 0",
    "negative entry balances": "SELECT COUNT(*) FROM ledger_entry WHERE balance_after < 0 AND id > :since",
    "negative stock": "SELECT COUNT(*) FROM goods WHERE stock < 0",
    "balance ≠ Σ entries": (
        "SELECT COUNT(*) FROM household h JOIN (SELECT household_id, SUM(points) AS total, MAX(seq) AS last "
        "FROM ledger_entry WHERE household_id IN (SELECT DISTINCT household_id FROM ledger_entry "
        "WHERE id > :since) GROUP BY household_id) e ON e.household_id = h.id "
        "WHERE h.balance <> e.total OR h.ledger_seq <> e.last"),
    "forks": ("SELECT COUNT(*) FROM (SELECT household_id, prev_hash FROM ledger_entry WHERE id > :since "
              "GROUP BY household_id, prev_hash HAVING COUNT(*) > 1) forks"),
    "broken links": (
        "SELECT COUNT(*) FROM ledger_entry e LEFT JOIN ledger_entry p ON p.household_id = e.household_id "
        "AND p.seq = e.seq - 1 WHERE e.id > :since AND e.prev_hash <> COALESCE(p.hash, '')"),
    "head ≠ last hash": (
        "SELECT COUNT(*) FROM household h JOIN ledger_entry e ON e.household_id = h.id AND e.seq = h.ledger_seq "
        "WHERE e.id > :since AND h.ledger_hash <> e.hash"),
    "redemption without entry": ("SELECT COUNT(*) FROM redemption WHERE id > :since "
                                 "AND (ledger_entry_id IS NULL OR status <> 'done')"),
}


@dataclass
class Invariants:
    counts: dict = field(default_factory=dict)
    entries_checked: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())

    def __str__(self) -> str:
        bad = {k: v for k, v in self.counts.items() if v}
        return "OK" if not bad else "VIOLATED " + ", ".join(f"{k}: {v}" for k, v in bad.items())


def marks() -> tuple[int, int]:
    """(last ledger entry id, last redemption id): pass them to check() after the run."""
    return tuple(db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar_one()
                 for t in ("ledger_entry", "redemption"))


def check(since: tuple[int, int]) -> Invariants:
    """Run every check on what was written after `since` = marks() taken before the run."""
    result = Invariants()
    for name, sql in CHECKS.items():
        mark = since[1] if name == "redemption without entry" else since[0]
        result.counts[name] = db.session.execute(text(sql), {"since": mark}).scalar_one()
    result.counts["month totals ≠ Σ entries"] = db.session.execute(text(_totals_sql()), {"since": since[0]}).scalar_one()
    rows = db.session.execute(text(
        "SELECT household_id, site_id, seq, kind, points, requested_points, balance_after, idempotency_key, "
        "source_type, source_id, reverses_id, effective_date, actor_id, note, created_at, prev_hash, hash "
        "FROM ledger_entry WHERE id > :since"), {"since": since[0]})
    key, bad = ledger_key(), 0
    for row in rows:
        row = _typed(row)
        bad += entry_hash(canonical_fields(row), key) != row.hash
        result.entries_checked += 1
    result.counts["bad hashes"] = bad
    db.session.rollback()
    return result


def _totals_sql() -> str:
    """Month totals rows of the households written since the mark that differ from their entries."""
    from services.ledger import month_totals

    month = month_totals.month_sql(db.session.get_bind().dialect.name)
    return (f"SELECT COUNT(*) FROM (SELECT household_id, {month} AS month, kind, site_id, SUM(points) AS total, "
            f"COUNT(*) AS n FROM ledger_entry WHERE household_id IN (SELECT DISTINCT household_id FROM ledger_entry "
            f"WHERE id > :since) GROUP BY household_id, {month}, kind, site_id) e LEFT JOIN ledger_month_total t "
            "ON t.household_id = e.household_id AND t.month = e.month AND t.kind = e.kind AND t.site_id = e.site_id "
            "WHERE t.household_id IS NULL OR t.points <> e.total OR t.entries <> e.n")


def _typed(row):
    """SQLite hands back text for dates in SQL-text queries; the hash needs date/datetime objects."""
    from datetime import date, datetime
    from types import SimpleNamespace

    values = row._asdict()
    if isinstance(values["effective_date"], str):
        values["effective_date"] = date.fromisoformat(values["effective_date"])
    if isinstance(values["created_at"], str):
        values["created_at"] = datetime.fromisoformat(values["created_at"])
    return SimpleNamespace(**values)
