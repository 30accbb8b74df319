"""`flask ledger verify`: recompute every household's chain and balance (docs/decisions.md#ledger-identity, docs/decisions.md#hash-chain).

Streams entries in (household, seq) order, so memory stays flat at any size. The entries come
straight from the DB-API cursor as plain tuples (a server-side cursor on PostgreSQL): ORM/Core
row objects cost more than the HMAC itself at millions of rows."""
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from sqlalchemy import select, text

from extensions import db
from models import Household
from services.database import stream_rows
from services.ledger import canonical_fields, entry_hash, head_signature, ledger_key, month_totals, verify_allowances

_ENTRY_FIELDS = (
    "id", "household_id", "site_id", "seq", "kind", "points", "requested_points", "balance_after",
    "idempotency_key", "source_type", "source_id", "reverses_id", "effective_date", "actor_id", "note",
    "created_at", "prev_hash", "hash",
)
_EntryRow = namedtuple("_EntryRow", _ENTRY_FIELDS)
_ENTRIES_SQL = f"SELECT {', '.join(_ENTRY_FIELDS)} FROM ledger_entry ORDER BY household_id, seq"
_DATE, _CREATED = _ENTRY_FIELDS.index("effective_date"), _ENTRY_FIELDS.index("created_at")


@dataclass
class Problem:
    household_id: int | None
    entry_id: int | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"household {self.household_id}" if self.household_id else "county"
        if self.entry_id:
            where += f", entry {self.entry_id}"
        return f"[{self.kind}] {where}: {self.detail}"


@dataclass
class Report:
    households: int = 0
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: site_id -> kind -> Σ points (the per-site identity)
    by_site: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    #: the seal the ledger was checked against (its code and time), if any
    seal: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, *args) -> None:
        self.problems.append(Problem(*args))


class _Chain:
    """State of one household's chain while its entries stream past."""

    def __init__(self, household_id, sealed=None):
        self.household_id = household_id
        self.expected_seq = 1
        self.last_hash = ""
        self.total = 0
        self.hashes = set()
        #: Σ of its offline allowance entries (negative while points are held at kiosks)
        self.allowance = 0
        #: (seq, hash) of this household's head in the seal checked against, or None
        self.sealed = sealed


def verify(batch_size: int = 5000, seal: dict | None = None) -> Report:
    """Every chain, head and balance; with `seal` (a checked seal document, services/ledger/seals.py
    load_seal) also that the ledger extends it (docs/decisions.md#ledger-seals)."""
    report, key = Report(), ledger_key()
    sealed = {} if seal is None else {h[0]: (h[2], h[3]) for h in seal["heads"]}
    if seal is not None:
        report.seal = {"code": seal["code"], "created_at": seal["created_at"], "households": seal["households"]}
    held = verify_allowances.held_by_household()
    households = db.session.execute(
        select(Household.id, Household.balance, Household.ledger_seq, Household.ledger_hash, Household.head_sig)
        .order_by(Household.id).execution_options(yield_per=batch_size)
    )
    entries = _stream_entries(batch_size)
    pending = next(entries, None)
    for hh in households:
        report.households += 1
        chain = _Chain(hh.id, sealed.pop(hh.id, None))
        while pending is not None and pending.household_id < hh.id:
            report.add(pending.household_id, pending.id, "orphan", "entry of an unknown household")
            pending = next(entries, None)
        while pending is not None and pending.household_id == hh.id:
            _check_entry(pending, chain, key, report)
            pending = next(entries, None)
        _check_household(hh, chain, key, report)
        verify_allowances.household_drift(report, hh.id, chain.allowance, held.pop(hh.id, 0))
    while pending is not None:
        report.add(pending.household_id, pending.id, "orphan", "entry of an unknown household")
        pending = next(entries, None)
    for hid, (seq, _hash) in sorted(sealed.items()):  # sealed, and no longer in the ledger
        report.add(hid, None, "sealed household missing", f"sealed at seq {seq}, the household row is gone")
    for hid, points in sorted(held.items()):  # allowances of a household that is not in the ledger
        verify_allowances.household_drift(report, hid, 0, points)
    _check_transfers(report)
    _check_sources(report)
    verify_allowances.check(report)
    _check_month_totals(report)
    _check_report_totals(report)
    return report


def _stream_entries(batch_size: int):
    """Every entry as an _EntryRow, in (household_id, seq) order, batch by batch."""
    for batch in stream_rows(_ENTRIES_SQL, batch_size, dates=(_DATE,), datetimes=(_CREATED,)):
        yield from map(_EntryRow._make, batch)


def _check_entry(row, chain: _Chain, key: bytes, report: Report) -> None:
    report.entries += 1
    report.by_site[row.site_id][row.kind] += row.points
    hid = row.household_id
    if row.seq != chain.expected_seq:
        what = "gap" if row.seq > chain.expected_seq else "duplicate seq"
        report.add(hid, row.id, what, f"seq {row.seq}, expected {chain.expected_seq}")
    if row.prev_hash != chain.last_hash:
        if row.prev_hash in chain.hashes or row.prev_hash == "":
            report.add(hid, row.id, "fork", "prev_hash points at an earlier entry, not the last one")
        else:
            report.add(hid, row.id, "broken link", "prev_hash matches no entry of this household")
    if entry_hash(canonical_fields(row), key) != row.hash:
        report.add(hid, row.id, "bad hash", "the entry's content does not match its hash")
    chain.total += row.points
    if row.kind in verify_allowances.KINDS:
        chain.allowance += row.points
    if row.balance_after != chain.total:
        report.add(hid, row.id, "balance_after", f"says {row.balance_after}, running sum {chain.total}")
    if chain.total < 0:
        report.add(hid, row.id, "negative", f"running balance {chain.total}")
    if chain.sealed is not None and row.seq == chain.sealed[0] and row.hash != chain.sealed[1]:
        report.add(hid, row.id, "sealed entry changed", f"seq {row.seq} differs from the sealed entry")
    chain.hashes.add(chain.last_hash)
    chain.last_hash = row.hash
    chain.expected_seq = row.seq + 1


def _check_household(hh, chain: _Chain, key: bytes, report: Report) -> None:
    if hh.head_sig != head_signature(hh.id, hh.ledger_seq, hh.ledger_hash, hh.balance, key):
        report.add(hh.id, None, "head signature", f"the head (seq {hh.ledger_seq}) is not signed with the ledger key")
    if chain.sealed is not None and chain.expected_seq - 1 < chain.sealed[0]:
        report.add(hh.id, None, "rolled back",
                   f"sealed at seq {chain.sealed[0]}, the ledger now ends at seq {chain.expected_seq - 1}")
    if hh.balance != chain.total:
        report.add(hh.id, None, "balance drift", f"cached {hh.balance}, Σ entries {chain.total}")
    if hh.ledger_seq != chain.expected_seq - 1:
        report.add(hh.id, None, "seq head", f"household says {hh.ledger_seq}, last entry {chain.expected_seq - 1}")
    if hh.ledger_hash != chain.last_hash:
        report.add(hh.id, None, "hash head", "household's last hash differs from its last entry")


def _check_transfers(report: Report) -> None:
    moved_in = sum(kinds.get("transfer_in", 0) for kinds in report.by_site.values())
    moved_out = sum(kinds.get("transfer_out", 0) for kinds in report.by_site.values())
    if moved_in != -moved_out:
        report.add(None, None, "transfers", f"Σ transfer_in {moved_in} ≠ Σ transfer_out {-moved_out}")


def source_columns() -> list[tuple[str, str]]:
    """(table, column) of every column that names a ledger entry, from the models' foreign keys."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name == "ledger_entry":
            continue
        for column in table.columns:
            if any(fk.column.table.name == "ledger_entry" for fk in column.foreign_keys):
                found.append((table.name, column.name))
    return found


def _check_sources(report: Report) -> None:
    """Every row that names a ledger entry (a rule event, a round line, a redemption …) still has it."""
    for table, column in source_columns():
        rows = db.session.execute(text(
            f"SELECT s.id, s.{column} FROM {table} s LEFT JOIN ledger_entry e ON e.id = s.{column} "
            f"WHERE s.{column} IS NOT NULL AND e.id IS NULL ORDER BY s.id LIMIT 100")).all()
        for source_id, entry_id in rows:
            report.add(None, entry_id, "missing entry", f"{table} {source_id} names entry {entry_id}, which is gone")


def _check_month_totals(report: Report) -> None:
    """The month totals (docs/decisions.md#month-totals) equal the sums over the entries."""
    for label, row in month_totals.mismatches():
        household_id, month, kind, site_id, points, entries = row[:6]
        what = "no total row for" if label == "missing" else "a total row disagrees for"
        report.add(household_id, None, "month totals",
                   f"{what} {month} {kind} at site {site_id} ({points} points, {entries} entries)")


def _check_report_totals(report: Report) -> None:
    """The 报表's folded totals (docs/decisions.md#folded-report-totals) equal the entries up to the fold."""
    from services.reports import report_totals

    for table, label, row in report_totals.mismatches():
        what = "no folded row for" if label == "missing" else "a folded row disagrees for"
        report.add(None, None, "report totals", f"{table}: {what} {row}")


def format_report(report: Report) -> str:
    lines = [f"households: {report.households}", f"entries: {report.entries}"]
    if report.seal:
        lines.append(f"seal: {report.seal['code']} of {report.seal['created_at']} "
                     f"({report.seal['households']} households): the ledger must extend it")
    for site_id in sorted(report.by_site):
        kinds = report.by_site[site_id]
        detail = ", ".join(f"{k} {v:+d}" for k, v in sorted(kinds.items()))
        lines.append(f"site {site_id}: outstanding {sum(kinds.values())} ({detail})")
    if report.ok:
        lines.append("OK: every chain intact, every balance equals its entries")
    else:
        lines.append(f"FAILED: {len(report.problems)} problem(s)")
        lines.extend(f"  {p}" for p in report.problems[:500])
    return "\n".join(lines)
