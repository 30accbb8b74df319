"""走访 coverage of many months at once (the 考核's 走访覆盖 over the year so far): the same counting as
visits.coverage, from five reads for the whole span instead of eight per month."""
from typing import Iterable, Optional

from sqlalchemy import select

from extensions import db
from models import Household, Site
from models.support import Responsibility, SupportCadre, Visit
from services.support import responsibility as support
from services.support import visits


def coverage_by_month(year: int, months: Iterable[int], site_ids: Optional[Iterable[int]] = None) -> dict[int, visits.Coverage]:
    """month -> its coverage by site, by cadre and in total, as visits.coverage counts them (without the
    overdue list and the visit records count, which the 考核 does not read)."""
    months = sorted(months)
    if not months:
        return {}
    site_ids = None if site_ids is None else list(site_ids)
    span_first, span_last = support.month_range(year, months[0])[0], support.month_range(year, months[-1])[1]
    homes = visits.required_households(site_ids)  # today's households and tags, as every month reads them
    seen = select(Visit.household_id, Visit.visit_date).join(Household, Household.id == Visit.household_id).where(
        Visit.visit_date.between(span_first, span_last))
    names = select(Site.id, Site.name).order_by(Site.code)
    if site_ids is not None:
        seen = seen.where(Household.site_id.in_(site_ids))
        names = names.where(Site.id.in_(site_ids))
    seen, names = db.session.execute(seen).all(), db.session.execute(names).all()
    held = db.session.execute(
        select(Responsibility.household_id, SupportCadre.id, SupportCadre.name, SupportCadre.phone,
               Responsibility.start_date, Responsibility.end_date)
        .join(SupportCadre, SupportCadre.id == Responsibility.cadre_id)
        .where(Responsibility.start_date <= span_last, Responsibility.end_date.is_(None) | (Responsibility.end_date > span_first))
        .order_by(SupportCadre.name, SupportCadre.id)).all()
    result = {}
    for month in months:
        first, last, blocks, dues = visits.month_dues(year, month, homes)
        visits.tally_visits(dues, blocks, ((hid, day) for hid, day in seen if first <= day <= last))
        cover = visits.Coverage(first, last, by_site=visits.site_rows(dues, names))
        cover.by_cadre = visits.cadre_rows(dues, ((hid, cid, name, phone) for hid, cid, name, phone, start, end in held
                                                  if start <= last and (end is None or end > first)))[0]
        for row in cover.by_site:
            for name in ("households", "visited", "visits_required", "visits_done"):
                setattr(cover.total, name, getattr(cover.total, name) + getattr(row, name))
        result[month] = cover
    return result
