"""底分 (base points): a per-county number of points every household holds and can never spend
(docs/decisions.md#base-points).

Base points are ledger points like any other (posted through `ledger.post` as an `adjustment` whose
source is `base_points`, so the hash chain, verify and the reports see them); `household.base_points`
says how much of the balance is base, and a redemption may not take the balance below it. They are
granted when a household is created or imported, and brought to the county's current setting at a
year-end reset."""
from typing import Iterable

from sqlalchemy import func, select

from extensions import db
from models import Household, LedgerEntry
from services import ledger
from services.staff.county_settings import site_setting

SOURCE = "base_points"


def spendable(balance: int, base_points: int) -> int:
    """What the kiosk may spend: the balance above the base points."""
    return max(0, balance - base_points)


def apply(actor, home: Household, note: str = "底分") -> int:
    """Bring the household's base points to its county's setting: post the difference (at most the
    balance when lowering) and record the new base. Returns the points posted (0: nothing to do)."""
    target = site_setting(home.site_id, "base_points")
    change = target - home.base_points
    if change < 0:
        db.session.refresh(home, ["balance"])
        change = -min(-change, home.balance)
    if change:
        grants = db.session.execute(select(func.count(LedgerEntry.id)).where(
            LedgerEntry.household_id == home.id, LedgerEntry.source_type == SOURCE)).scalar_one()
        ledger.post(home, change, "adjustment", ledger.Source(SOURCE, grants + 1), actor,
                    f"{note}:{target} 分(不可兑换)", f"base:{home.id}:{grants + 1}")
    if home.base_points != target:
        home.base_points = target
        db.session.flush()
    return change


def apply_all(actor, homes: Iterable[Household], note: str = "底分") -> int:
    """apply() for many households; returns how many got an entry."""
    return sum(1 for home in homes if apply(actor, home, note))
