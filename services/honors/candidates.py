"""Candidates for an honor list section: posted award winners and the ranking by EARNED points."""
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import AwardType, EvaluationRound, HonorList, HonorSection, Household, RoundNomination
from services.honors.rankings import ranking

#: how many of the ranking are suggested per section
RANKING_CANDIDATES = 20


@dataclass
class Candidate:
    household_id: int
    head_name: str
    earned: int
    rank: Optional[int] = None
    #: award names won in posted rounds of the period
    awards: list = field(default_factory=list)


def candidates(lst: HonorList, section: HonorSection) -> list[Candidate]:
    """Award winners of the section's award type first (posted rounds of the period), then the
    ranking by earned points; households already in the section are left out."""
    ranked = {r.household_id: r for r in ranking(lst.period_start, lst.period_end, site_id=lst.site_id)}
    awards = awards_in_period(lst)
    taken = {e.household_id for e in section.entries}
    found: dict[int, Candidate] = {}
    if section.award_type_id:
        for hid, names in awards.items():
            if section.name in names and hid not in taken:
                found[hid] = _candidate(hid, ranked, awards)
    for row in list(ranked.values())[:RANKING_CANDIDATES]:
        if row.household_id not in taken and row.household_id not in found:
            found[row.household_id] = _candidate(row.household_id, ranked, awards)
    return list(found.values())


def awards_in_period(lst: HonorList) -> dict[int, list[str]]:
    """household_id -> award names won in rounds of the site POSTED with a period end in the list's period."""
    rows = db.session.execute(
        select(RoundNomination.household_id, AwardType.name)
        .join(EvaluationRound, EvaluationRound.id == RoundNomination.round_id)
        .join(AwardType, AwardType.id == RoundNomination.award_type_id)
        .where(EvaluationRound.site_id == lst.site_id, EvaluationRound.status == "posted",
               EvaluationRound.period_end.between(lst.period_start, lst.period_end))
        .order_by(AwardType.sort_order, RoundNomination.id)
    ).all()
    found: dict[int, list[str]] = {}
    for hid, name in rows:
        found.setdefault(hid, [])
        if name not in found[hid]:
            found[hid].append(name)
    return found


def _candidate(hid: int, ranked: dict, awards: dict) -> Candidate:
    row = ranked.get(hid)
    name = row.head_name if row else db.session.get(Household, hid).head_name
    return Candidate(hid, name, row.earned if row else 0, row.rank if row else None, awards.get(hid, []))
