"""Rankings by points EARNED in a period (docs/decisions.md#earned-points): spending never lowers an honor.

Earned = evaluation, award, activity, rule_award and rule_deduction entries whose effective date
falls in the period, plus reversals of those (a reversal carries its original's effective date).
Ties share a rank and are listed in pinyin order."""
from dataclasses import dataclass
from datetime import date
from typing import Optional

from flask import current_app
from pypinyin import lazy_pinyin
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from extensions import db
from models import Household, LedgerEntry
from models.ledger import EARNING_KINDS


@dataclass(frozen=True)
class RankRow:
    rank: int
    household_id: int
    head_name: str
    site_id: int
    earned: int


def earned_in_period(start: date, end: date, site_id: Optional[int] = None):
    """A selectable of (household_id, earned) for the period; households currently at `site_id`."""
    original = aliased(LedgerEntry)
    counts = or_(
        LedgerEntry.kind.in_(EARNING_KINDS),
        and_(LedgerEntry.kind == "reversal", original.kind.in_(EARNING_KINDS)),
    )
    query = (
        select(LedgerEntry.household_id, func.sum(LedgerEntry.points).label("earned"))
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.effective_date.between(start, end), counts)
        .group_by(LedgerEntry.household_id)
    )
    if site_id is not None:
        query = query.join(Household, Household.id == LedgerEntry.household_id).where(Household.site_id == site_id)
    return query


def ranking(start: date, end: date, site_id: Optional[int] = None, limit: Optional[int] = None) -> list[RankRow]:
    earned = earned_in_period(start, end, site_id).subquery()
    include_base = current_app.config.get("RANKINGS_INCLUDE_BASE", False)
    score = earned.c.earned + (Household.base_points if include_base else 0)
    rows = db.session.execute(
        select(Household.id, Household.head_name, Household.site_id, score.label("score"))
        .join(earned, earned.c.household_id == Household.id)
        .where(Household.status == "active", earned.c.earned > 0)
    ).all()
    rows.sort(key=lambda r: (-r.score, lazy_pinyin(r.head_name), r.id))
    ranked, previous, rank = [], None, 0
    for position, row in enumerate(rows, start=1):
        if row.score != previous:
            rank, previous = position, row.score
        ranked.append(RankRow(rank, row.id, row.head_name, row.site_id, int(row.score)))
    return ranked[:limit] if limit else ranked
