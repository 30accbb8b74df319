"""The offline allowances' part of `flask ledger verify` (docs/offline.md "Identity that verify checks"):

- per household: −Σ its allowance_hold/allowance_return entries = Σ KioskAllowance.points (the sum of
  the entries is taken while verify streams the chains; verify.py calls household_drift);
- per kiosk and household: −Σ its AllowanceMove points = its KioskAllowance.points;
- every allowance entry's source is an AllowanceMove of the same household and points, and every
  move has its entry."""
from collections import defaultdict

from sqlalchemy import func, select, text

from extensions import db
from models import AllowanceMove, KioskAllowance

KINDS = ("allowance_hold", "allowance_return")
SOURCE = "allowance_move"


def held_by_household() -> dict[int, int]:
    """household id -> Σ points held at kiosks (read before the chains stream past)."""
    return {hid: int(points) for hid, points in db.session.execute(
        select(KioskAllowance.household_id, func.sum(KioskAllowance.points)).group_by(KioskAllowance.household_id))}


def household_drift(report, household_id: int, entries_total: int, held: int) -> None:
    """`entries_total`: Σ the household's allowance entries (negative while points are out)."""
    if -entries_total != held:
        report.add(household_id, None, "allowance drift", f"kiosks hold {held}, allowance entries say {-entries_total}")


_BAD_SOURCES = text(
    "SELECT e.id, e.household_id FROM ledger_entry e LEFT JOIN kiosk_allowance_move m "
    "ON e.source_type = :source AND m.id = e.source_id "
    "WHERE e.kind IN ('allowance_hold', 'allowance_return') "
    "AND (m.id IS NULL OR m.household_id <> e.household_id OR m.points <> e.points) ORDER BY e.id LIMIT 100")
_MOVES_WITHOUT_ENTRY = text(
    "SELECT m.id, m.household_id FROM kiosk_allowance_move m LEFT JOIN ledger_entry e "
    "ON e.source_type = :source AND e.source_id = m.id AND e.household_id = m.household_id "
    "WHERE e.id IS NULL ORDER BY m.id LIMIT 100")


def check(report) -> None:
    """The per-kiosk identity and the links between entries and moves."""
    moved = defaultdict(int)
    for device_id, household_id, points in db.session.execute(
            select(AllowanceMove.device_id, AllowanceMove.household_id, func.sum(AllowanceMove.points))
            .group_by(AllowanceMove.device_id, AllowanceMove.household_id)):
        moved[device_id, household_id] = -int(points)
    held = {(d, h): p for d, h, p in db.session.execute(
        select(KioskAllowance.device_id, KioskAllowance.household_id, KioskAllowance.points))}
    for device_id, household_id in sorted(set(moved) | set(held)):
        points, says = held.get((device_id, household_id), 0), moved.get((device_id, household_id), 0)
        if points != says:
            report.add(household_id, None, "allowance moves",
                       f"kiosk {device_id} holds {points}, its moves say {says}")
    for entry_id, household_id in db.session.execute(_BAD_SOURCES, {"source": SOURCE}):
        report.add(household_id, entry_id, "allowance source", "the entry's source is not an allowance move "
                                                               "of this household and points")
    for move_id, household_id in db.session.execute(_MOVES_WITHOUT_ENTRY, {"source": SOURCE}):
        report.add(household_id, None, "allowance entry missing", f"allowance move {move_id} has no ledger entry")
