"""Who 包保 a settlement, and 分类包保 by cause, beside the 1-to-1 包保 of households; coverage by each kind.

SUPPORT_SETTLEMENT_LEADER_THRESHOLD (50): a settlement with at least this many active households is led
by a township (or county) leader; a smaller one by a member of its village's team (a 村级 cadre).
A department holds every household of a township with one cause (因病, 因学, …) through a 部门-level
包保 cadre. Date ranges are end-exclusive and ended, never deleted, so history stays."""
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Optional

from flask import current_app
from sqlalchemy import func, select, true
from sqlalchemy.orm import joinedload

from extensions import db
from models import Area, Household, Site
from models.clock import local_today
from models.settlement import CAUSES, CauseAssignment, HouseholdCause, SiteLeader
from models.support import SupportCadre
from services.errors import ValidationFailed
from services.staff import audit
from services.staff.scope import area_children, areas_under, require_site
from services.support import plans
from services.support import responsibility as support

LEADER_LEVELS = {"township": ("township", "county"), "village": ("village",)}


def threshold() -> int:
    return int(current_app.config.get("SUPPORT_SETTLEMENT_LEADER_THRESHOLD", 50))


def household_counts(site_ids: Optional[Iterable[int]] = None) -> dict[int, int]:
    """site id -> active households, for `site_ids` (None: every site)."""
    ids = None if site_ids is None else list(site_ids)
    query = select(Household.site_id, func.count()).where(Household.status == "active").group_by(Household.site_id)
    if ids is not None and not _every_site(ids):  # a province's 2,000 ids as an IN list cost more than the filter saves
        query = query.where(Household.site_id.in_(ids or [-1]))
    return dict(db.session.execute(query).all())


def _every_site(site_ids) -> bool:
    return len(site_ids) == db.session.execute(select(func.count(Site.id))).scalar_one()


def required_level(households: int) -> str:
    """'township' for a settlement of `threshold()` households or more, else 'village'."""
    return "township" if households >= threshold() else "village"


def _active(model, on: date):
    return (model.start_date <= on) & (model.end_date.is_(None) | (model.end_date > on))


def current_leader(site_id: int, on: Optional[date] = None) -> Optional[SiteLeader]:
    return current_leaders([site_id], on).get(site_id)


def current_leaders(site_ids: Iterable[int], on: Optional[date] = None) -> dict[int, SiteLeader]:
    """site id -> its current leader (the newest active row), for many sites in one query."""
    rows = db.session.execute(select(SiteLeader).options(joinedload(SiteLeader.cadre))
                              .where(SiteLeader.site_id.in_(list(site_ids) or [-1]), _active(SiteLeader, on or local_today()))
                              .order_by(SiteLeader.id.desc())).scalars()
    found = {}
    for row in rows:
        found.setdefault(row.site_id, row)
    return found


def _cadre(cadre_id: Optional[int]) -> SupportCadre:
    cadre = db.session.get(SupportCadre, cadre_id) if cadre_id else None
    if cadre is None or not cadre.active:
        raise ValidationFailed("请选择在职的包保责任人", field="cadre_id")
    return cadre


def set_leader(actor, site: Site, cadre_id: Optional[int], start_date: Optional[date] = None) -> SiteLeader:
    """Make a cadre the settlement's leader, ending the previous one; the level must fit its size."""
    require_site(actor, site.id)
    cadre = _cadre(cadre_id)
    if not support.serves_site(cadre, site):
        raise ValidationFailed(f"{cadre.name} 是{cadre.area.name}的干部,不能包保{site.name}", field="cadre_id")
    households = household_counts([site.id]).get(site.id, 0)
    level = required_level(households)
    if cadre.level not in LEADER_LEVELS[level]:
        wanted = "乡镇(或县级)领导" if level == "township" else "所在村的村级干部"
        raise ValidationFailed(f"{site.name} 有 {households} 户,应由{wanted}包保,{cadre.name} 是{cadre.level_label}干部",
                               field="cadre_id")
    start = start_date or local_today()
    previous = current_leader(site.id, start)
    if previous is not None:
        if previous.cadre_id == cadre.id:
            raise ValidationFailed(f"{cadre.name} 已经是 {site.name} 的包保领导", field="cadre_id")
        previous.end_date = max(start, previous.start_date)
    row = SiteLeader(site_id=site.id, cadre_id=cadre.id, start_date=start, created_by=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "support.site_leader", "site", site.id, site_id=site.id,
                 before={"包保领导": previous.cadre.name} if previous else None,
                 after={"包保领导": cadre.name, "开始": start.isoformat()})
    return row


def causes_of(household_id: int) -> list[str]:
    return list(db.session.execute(select(HouseholdCause.cause).where(HouseholdCause.household_id == household_id)
                                   .order_by(HouseholdCause.cause)).scalars())


def set_causes(actor, household: Household, causes: Iterable[str]) -> list[str]:
    """Replace a household's causes (an empty list clears them)."""
    require_site(actor, household.site_id)
    wanted = sorted(set(causes))
    unknown = [c for c in wanted if c not in CAUSES]
    if unknown:
        raise ValidationFailed("请从列表中选择致贫/风险原因", field="causes")
    before = causes_of(household.id)
    if before == wanted:
        return wanted
    db.session.execute(HouseholdCause.__table__.delete().where(HouseholdCause.household_id == household.id))
    db.session.add_all([HouseholdCause(household_id=household.id, cause=c) for c in wanted])
    db.session.flush()
    audit.record(actor, "support.causes", "household", household.id, site_id=household.site_id,
                 before={"原因": [CAUSES[c] for c in before]}, after={"原因": [CAUSES[c] for c in wanted]})
    return wanted


def assign_cause(actor, *, area_id: Optional[int], cause: str, cadre_id: Optional[int],
                 start_date: Optional[date] = None) -> CauseAssignment:
    """A department's 部门-level cadre holds one cause in a township, ending the previous holder."""
    area = db.session.get(Area, area_id) if area_id else None
    if area is None or area.level != "township":
        raise ValidationFailed("请选择乡镇", field="area_id")
    plans.require_manage(actor, area.id)
    if cause not in CAUSES:
        raise ValidationFailed("请选择原因类别", field="cause")
    cadre = _cadre(cadre_id)
    if cadre.level != "department" or not (cadre.unit or "").strip():
        raise ValidationFailed("分类包保由部门承担:请选择填写了单位的部门干部", field="cadre_id")
    start = start_date or local_today()
    previous = db.session.execute(select(CauseAssignment).where(
        CauseAssignment.area_id == area.id, CauseAssignment.cause == cause, _active(CauseAssignment, start))).scalars().first()
    if previous is not None:
        if previous.cadre_id == cadre.id:
            raise ValidationFailed(f"{cadre.unit} 已经承担{CAUSES[cause]}的分类包保", field="cadre_id")
        previous.end_date = max(start, previous.start_date)
    row = CauseAssignment(area_id=area.id, cause=cause, cadre_id=cadre.id, start_date=start, created_by=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "support.cause_assignment", "area", area.id,
                 after={"原因": CAUSES[cause], "部门": cadre.unit, "干部": cadre.name, "开始": start.isoformat()})
    return row


# ------------------------------------------------------------------ coverage by kind
@dataclass
class SiteRow:
    site: Site
    households: int
    level: str
    leader: Optional[SiteLeader]

    @property
    def fits(self) -> bool:
        return self.leader is not None and self.leader.cadre.level in LEADER_LEVELS[self.level]


@dataclass
class CauseRow:
    area: Area
    cause: str
    households: int
    holder: Optional[CauseAssignment]

    @property
    def label(self) -> str:
        return CAUSES[self.cause]


@dataclass
class KindCoverage:
    sites: list[SiteRow] = field(default_factory=list)
    causes: list[CauseRow] = field(default_factory=list)
    priority_total: int = 0
    priority_covered: int = 0
    without_cause: int = 0

    @property
    def sites_covered(self) -> int:
        return sum(r.fits for r in self.sites)

    @property
    def cause_households(self) -> int:
        return sum(r.households for r in self.causes)

    @property
    def cause_households_covered(self) -> int:
        return sum(r.households for r in self.causes if r.holder)


def coverage(sites: list[Site], on: Optional[date] = None) -> KindCoverage:
    """Coverage by each kind of 包保 for the given sites (the user's scope)."""
    on = on or local_today()
    site_ids = [s.id for s in sites]
    every = _every_site(site_ids)
    counts = household_counts(None if every else site_ids)
    leaders = current_leaders(site_ids, on)
    result = KindCoverage()
    for site in sites:
        n = counts.get(site.id, 0)
        result.sites.append(SiteRow(site, n, required_level(n), leaders.get(site.id)))
    # 分类包保: per township in scope, per cause that has households
    areas = {a.id: a for a in db.session.execute(select(Area)).scalars()}  # the tree, read once
    children: dict[Optional[int], list[int]] = {}
    for area in areas.values():
        children.setdefault(area.parent_id, []).append(area.id)
    towns = {}
    for site in sites:
        area = areas.get(site.area_id)
        town = areas.get(area.parent_id) if area is not None and area.level == "village" else area
        if town is not None and town.level == "township":
            towns.setdefault(town.id, town)
    in_scope = true() if every else Household.site_id.in_(site_ids or [-1])
    # one grouping per site and cause, and every township's holders, summed per township below
    per_site_cause = db.session.execute(
        select(Household.site_id, HouseholdCause.cause, func.count()).join(Household, Household.id == HouseholdCause.household_id)
        .where(Household.status == "active", in_scope)
        .group_by(Household.site_id, HouseholdCause.cause)).all()
    all_holders = db.session.execute(select(CauseAssignment).where(
        CauseAssignment.area_id.in_(list(towns) or [-1]), _active(CauseAssignment, on))).scalars().all()
    for town in sorted(towns.values(), key=lambda a: a.name):
        below = areas_under({town.id}, children)
        town_sites = {s.id for s in sites if s.area_id in below}
        per_cause = {}
        for site_id, cause, n in per_site_cause:
            if site_id in town_sites:
                per_cause[cause] = per_cause.get(cause, 0) + n
        holders = {a.cause: a for a in all_holders if a.area_id == town.id}
        for cause in CAUSES:
            if per_cause.get(cause) or cause in holders:
                result.causes.append(CauseRow(town, cause, per_cause.get(cause, 0), holders.get(cause)))
    # 1-to-1 包保 of the priority households (三特户, 三无户, 监测户)
    priority = (select(func.count()).select_from(Household)
                .where(Household.status == "active", in_scope, support.is_priority_clause()))
    result.priority_total = db.session.execute(priority).scalar_one()
    result.priority_covered = db.session.execute(priority.where(support.active_responsibility_clause(on))).scalar_one()
    result.without_cause = db.session.execute(
        priority.where(~select(HouseholdCause.household_id).where(HouseholdCause.household_id == Household.id).exists())
    ).scalar_one()
    return result


def leader_choices(site: Site) -> list[SupportCadre]:
    """Active cadres of the level this settlement needs."""
    return leader_choices_by_site([site])[site.id]


def leader_choices_by_site(sites: list[Site], counts: Optional[dict[int, int]] = None) -> dict[int, list[SupportCadre]]:
    """site id -> the active cadres of the level it needs (by name) who serve it; three queries for any
    number of sites. `counts`: household_counts() of the sites when the caller has them."""
    counts = household_counts([s.id for s in sites]) if counts is None else counts
    levels = sorted({level for wanted in LEADER_LEVELS.values() for level in wanted})
    cadres = db.session.execute(select(SupportCadre).where(SupportCadre.active, SupportCadre.level.in_(levels))
                                .order_by(SupportCadre.name)).scalars().all()
    children = area_children()
    below = {area_id: areas_under({area_id}, children) for area_id in {c.area_id for c in cadres if c.area_id is not None}}
    choices = {}
    for site in sites:
        wanted = LEADER_LEVELS[required_level(counts.get(site.id, 0))]
        choices[site.id] = [c for c in cadres if c.level in wanted
                            and (c.area_id is None or site.area_id in below[c.area_id])]
    return choices


def department_cadres() -> list[SupportCadre]:
    return list(db.session.execute(select(SupportCadre).where(SupportCadre.active, SupportCadre.level == "department",
                                                              SupportCadre.unit.is_not(None))
                                   .order_by(SupportCadre.unit, SupportCadre.name)).scalars())
