"""走访: recording visits at the door, and monthly coverage per site and per cadre.

County policy (config, with defaults):
SUPPORT_BACKDATE_DAYS (7): a visit dated further back needs a reason and is audited.
SUPPORT_VISIT_SCOPE ("priority"): who must be visited every month: "priority" households
    (三特户, 三无户, 监测户) or "all" households.
SUPPORT_WEEKLY_TAGS (()): tags whose households are visited weekly (e.g. ("monitored",));
    a month is then split into blocks 1-7, 8-14, 15-21, 22-28, 29-end, one visit each.
"""
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Optional, Union

from flask import current_app
from sqlalchemy import Select, func, select

from extensions import db
from models import Household, HouseholdTag, Site
from models.clock import local_today
from models.household import PRIORITY_TAGS
from models.support import REACHED_BY, SITUATION_AREAS, Responsibility, SupportCadre, Visit
from services.errors import ValidationFailed
from services.staff import audit
from services.staff.scope import in_ids
from services.support import responsibility as support


# ------------------------------------------------------------------ recording
def record_visit(household: Household, actor, *, visit_date: date, visitors: str, met: bool = True,
                 met_person: Optional[str] = None, reached_by: Optional[str] = None,
                 situation: Optional[dict] = None, suggestions: Optional[str] = None,
                 actions: Optional[str] = None, confirm_name: Optional[str] = None,
                 signature_png: Optional[bytes] = None, backdate_reason: Optional[str] = None,
                 photos: Iterable[bytes] = (), cadre_id: Optional[int] = None,
                 problems: Iterable[dict] = ()) -> Visit:
    """Validate everything first, then write the visit, its photos and inline problems."""
    from services.support import problems as problem_service

    if household.status != "active":
        raise ValidationFailed("这一户已迁出或合户,不能再登记走访")
    reason = _check_date(visit_date, backdate_reason)
    visitors = _required(visitors, "请填写走访人", 200)
    met_person, reached_by = _check_contact(met, met_person, reached_by)
    situation_json = json.dumps(_check_situation(situation or {}), ensure_ascii=False, sort_keys=True)
    confirm_name = (confirm_name or "").strip()[:64] or None
    if met and not confirm_name and not signature_png:
        raise ValidationFailed("请户主确认:输入姓名或手写签名")
    signature = support.clean_image(signature_png, "PNG")[0] if signature_png else None
    photo_data = [p for p in photos if p]
    if len(photo_data) > 6:
        raise ValidationFailed("每次走访最多上传 6 张照片")
    if cadre_id is None:
        own = support.cadre_for_user(actor) if hasattr(actor, "id") else None
        cadre_id = own.id if own else None
    visit = Visit(household_id=household.id, site_id=household.site_id, visit_date=visit_date,
                  visitors=visitors, cadre_id=cadre_id, met=bool(met), met_person=met_person,
                  reached_by=reached_by, situation=situation_json,
                  suggestions=_optional(suggestions, 2000), actions=_optional(actions, 2000),
                  confirm_name=confirm_name, backdate_reason=reason,
                  recorded_by_id=getattr(actor, "id", actor))
    if signature:
        visit.signature_file = support.store_file(signature, ".png")
    db.session.add(visit)
    db.session.flush()
    for data in photo_data:
        support.save_photo(data, "visit", visit.id, household.site_id, actor)
    for item in problems:
        problem = problem_service.create_problem(actor, site_id=household.site_id, household_id=household.id,
                                                 source="visit", visit_id=visit.id, found_date=visit_date, **item)
        for data in photo_data:  # the visit's photos are the problem's 整改前 evidence
            support.save_photo(data, "problem_before", problem.id, household.site_id, actor)
    audit.record(actor, "support.visit.backdated" if reason else "support.visit.create", "support_visit",
                 visit.id, site_id=household.site_id,
                 after={"household_id": household.id, "visit_date": visit_date, "backdate_reason": reason})
    return visit


def backdate_days() -> int:
    return int(current_app.config.get("SUPPORT_BACKDATE_DAYS", 7))


def _check_date(visit_date, reason) -> Optional[str]:
    if not isinstance(visit_date, date):
        raise ValidationFailed("请填写走访日期")
    today = local_today()
    if visit_date > today:
        raise ValidationFailed("走访日期不能晚于今天")
    if (today - visit_date).days > backdate_days():
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed(f"走访日期早于 {backdate_days()} 天前,请填写补录原因")
        return reason[:200]
    return None


def _check_contact(met, met_person, reached_by):
    if met:
        return _optional(met_person, 64), None
    if reached_by not in REACHED_BY:
        raise ValidationFailed("户内无人时,请选择联系方式(电话/微信/未联系上)")
    return None, reached_by


def _check_situation(situation: dict) -> dict:
    clean = {}
    for area, value in situation.items():
        if area not in SITUATION_AREAS:
            raise ValidationFailed(f"未知的情况类别: {area}")
        status = value.get("status") if isinstance(value, dict) else value
        if status not in ("ok", "issue"):
            raise ValidationFailed(f"{SITUATION_AREAS[area]}:请选择“正常”或“有困难”")
        note = (value.get("note") if isinstance(value, dict) else "") or ""
        clean[area] = {"status": status, "note": note.strip()[:200]}
    return clean


def _required(value, message, limit):
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message)
    return value[:limit]


def _optional(value, limit):
    value = (value or "").strip()
    return value[:limit] or None


def situation_of(visit: Visit) -> dict:
    return json.loads(visit.situation or "{}")


def visits_of(household_id: int, limit: int = 50) -> list[Visit]:
    return db.session.execute(select(Visit).where(Visit.household_id == household_id)
                              .order_by(Visit.visit_date.desc(), Visit.id.desc()).limit(limit)).scalars().all()


# ------------------------------------------------------------------ coverage
def weekly_tags() -> frozenset:
    return frozenset(current_app.config.get("SUPPORT_WEEKLY_TAGS", ()))


def month_blocks(first: date, last: date, as_of: date) -> list[tuple[date, date]]:
    """Week blocks 1-7, 8-14, 15-21, 22-28, 29-end that have started by `as_of`."""
    starts = [first.replace(day=d) for d in (1, 8, 15, 22, 29) if d <= last.day]
    ends = [s - timedelta(days=1) for s in starts[1:]] + [last]
    return [(a, b) for a, b in zip(starts, ends) if a <= as_of]


@dataclass
class HouseholdDue:
    household_id: int
    site_id: int
    name: str
    weekly: bool
    required: int
    done: int = 0
    last_visit: Optional[date] = None

    @property
    def complete(self) -> bool:
        return self.done >= self.required


@dataclass
class CoverageRow:
    key: int
    label: str
    households: int = 0
    visited: int = 0
    visits_required: int = 0
    visits_done: int = 0
    phone: Optional[str] = None

    @property
    def rate(self) -> str:
        return f"{100 * self.visited / self.households:.0f}%" if self.households else "—"


@dataclass
class Coverage:
    first: date
    last: date
    by_site: list[CoverageRow] = field(default_factory=list)
    by_cadre: list[CoverageRow] = field(default_factory=list)
    total: CoverageRow = field(default_factory=lambda: CoverageRow(0, "合计"))
    overdue: list[dict] = field(default_factory=list)
    visit_records: int = 0


def required_households(site_ids: Union[Select, Iterable[int], None]) -> dict[int, tuple[int, str, set]]:
    """household id -> (site id, head name, tags) of active households that must be visited."""
    query = select(Household.id, Household.site_id, Household.head_name).where(Household.status == "active")
    if current_app.config.get("SUPPORT_VISIT_SCOPE", "priority") != "all":
        query = query.where(support.is_priority_clause())
    if site_ids is not None:
        query = query.where(Household.site_id.in_(in_ids(site_ids)))
    homes = {hid: (sid, name, set()) for hid, sid, name in db.session.execute(query)}
    tags = db.session.execute(select(HouseholdTag.household_id, HouseholdTag.tag)
                              .where(HouseholdTag.household_id.in_(list(homes) or [0])))
    for hid, tag in tags:
        homes[hid][2].add(tag)
    return homes


def coverage(year: int, month: int, site_ids: Union[Select, Iterable[int], None] = None) -> Coverage:
    """Visited / to visit for a month, per site and per 包保 cadre, plus the overdue list; `site_ids`
    may be a SELECT of the ids (scope.in_ids)."""
    site_ids = None if site_ids is None else in_ids(site_ids)
    first, last, blocks, dues = month_dues(year, month, required_households(site_ids))
    result = Coverage(first, last)
    _count_visits(result, dues, blocks, first, last, site_ids)
    _last_visits(dues, last)
    result.by_site = _site_rows(dues, site_ids)
    result.by_cadre, cadres_of = _cadre_rows(dues, first, last, site_ids)
    for row in result.by_site:
        for name in ("households", "visited", "visits_required", "visits_done"):
            setattr(result.total, name, getattr(result.total, name) + getattr(row, name))
    result.overdue = _overdue(dues, cadres_of)
    return result


def month_dues(year: int, month: int, homes: dict) -> tuple[date, date, list, dict[int, HouseholdDue]]:
    """The month's first and last day, its week blocks so far, and each required household's due."""
    first, last = support.month_range(year, month)
    blocks = month_blocks(first, last, max(min(local_today(), last), first))
    weekly = weekly_tags()
    return first, last, blocks, {hid: HouseholdDue(hid, sid, name, bool(tags & weekly), len(blocks) if tags & weekly else 1)
                                 for hid, (sid, name, tags) in homes.items()}


def _count_visits(result, dues, blocks, first, last, site_ids):
    """Visits of the required households (wherever the visit was filed: a household that moved
    mid-month keeps its visits), and the number of visit records filed at the sites."""
    records = select(func.count(Visit.id)).where(Visit.visit_date.between(first, last))
    query = (select(Visit.household_id, Visit.visit_date).join(Household, Household.id == Visit.household_id)
             .where(Visit.visit_date.between(first, last)))
    if site_ids is not None:
        records = records.where(Visit.site_id.in_(site_ids))
        query = query.where(Household.site_id.in_(site_ids))
    result.visit_records = db.session.execute(records).scalar_one()
    tally_visits(dues, blocks, db.session.execute(query))


def tally_visits(dues, blocks, rows) -> None:
    """Count (household id, visit date) rows of the month into the dues (one per week block if weekly)."""
    seen = defaultdict(set)
    for hid, day in rows:
        if hid in dues:
            due = dues[hid]
            index = next((i for i, (a, b) in enumerate(blocks) if a <= day <= b), len(blocks)) if due.weekly else 0
            seen[hid].add(index)
    for hid, indexes in seen.items():
        due = dues[hid]
        due.done = min(len([i for i in indexes if i < due.required]), due.required) if due.weekly else 1


def _last_visits(dues, last):
    if not dues:
        return
    rows = db.session.execute(select(Visit.household_id, db.func.max(Visit.visit_date))
                              .where(Visit.household_id.in_(list(dues)), Visit.visit_date <= last)
                              .group_by(Visit.household_id))
    for hid, day in rows:
        dues[hid].last_visit = day


def _site_rows(dues, site_ids):
    query = select(Site.id, Site.name).order_by(Site.code)
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids))
    return site_rows(dues, db.session.execute(query))


def site_rows(dues, names) -> list[CoverageRow]:
    """One row per (site id, name), in the order given, with its dues added."""
    rows = {sid: CoverageRow(sid, name) for sid, name in names}
    for due in dues.values():
        _add(rows[due.site_id], due)
    return list(rows.values())


def _add(row: CoverageRow, due: HouseholdDue) -> None:
    row.households += 1
    row.visited += 1 if due.complete else 0
    row.visits_required += due.required
    row.visits_done += due.done


def _cadre_rows(dues, first, last, site_ids):
    """Each cadre's 包保 households (active some time in the month) that must be visited."""
    query = (select(Responsibility.household_id, SupportCadre.id, SupportCadre.name, SupportCadre.phone)
             .join(SupportCadre, SupportCadre.id == Responsibility.cadre_id)
             .where(Responsibility.start_date <= last,
                    Responsibility.end_date.is_(None) | (Responsibility.end_date > first))
             .order_by(SupportCadre.name, SupportCadre.id))
    return cadre_rows(dues, db.session.execute(query))


def cadre_rows(dues, responsibilities):
    """Per cadre, from (household id, cadre id, name, phone) rows ordered by name: its required households."""
    rows, cadres_of = {}, defaultdict(list)
    for hid, cid, name, phone in responsibilities:
        if hid not in dues:
            continue
        row = rows.setdefault(cid, CoverageRow(cid, name, phone=phone))
        if (name, phone) not in cadres_of[hid]:
            _add(row, dues[hid])
            cadres_of[hid].append((name, phone))
    return list(rows.values()), cadres_of


def _overdue(dues, cadres_of) -> list[dict]:
    late = [d for d in dues.values() if not d.complete]
    late.sort(key=lambda d: (d.last_visit or date.min, d.site_id, d.household_id))
    sites = dict(db.session.execute(select(Site.id, Site.name)).all())
    return [{"household_id": d.household_id, "name": d.name, "site": sites.get(d.site_id, ""),
             "site_id": d.site_id, "last_visit": d.last_visit, "done": d.done, "required": d.required,
             "cadres": cadres_of.get(d.household_id, [])} for d in late]


def priority_tags() -> frozenset:
    return PRIORITY_TAGS


# ------------------------------------------------------------------ a cadre's worklist (我的包保户)
def overdue_days() -> int:
    """SUPPORT_VISIT_OVERDUE_DAYS (31): a household not visited for longer is 逾期."""
    return int(current_app.config.get("SUPPORT_VISIT_OVERDUE_DAYS", 31))


@dataclass
class WorkItem:
    household: Household
    done: int
    required: int
    last_visit: Optional[date]
    open_problems: int
    late_problems: int

    @property
    def visited(self) -> bool:
        return self.done >= self.required

    @property
    def overdue(self) -> bool:
        """Not visited for longer than the overdue limit (or never), and not yet this month."""
        if self.visited:
            return False
        return self.last_visit is None or (local_today() - self.last_visit).days > overdue_days()


def worklist(cadre_id: int, site_ids: Optional[Iterable[int]] = None) -> list[WorkItem]:
    """The cadre's active 包保 households: overdue first, then not yet visited this month, then
    visited; each with this month's visits, the last visit and the open problems."""
    from models.support import Problem
    from services.support.problems import OPEN, is_overdue

    today = local_today()
    first, last = support.month_range(today.year, today.month)
    query = (select(Household).join(Responsibility, Responsibility.household_id == Household.id)
             .where(Responsibility.cadre_id == cadre_id, Responsibility.end_date.is_(None),
                    Household.status == "active").order_by(Household.building, Household.door_no, Household.id))
    if site_ids is not None:
        query = query.where(Household.site_id.in_(list(site_ids)))
    homes = list(dict.fromkeys(db.session.execute(query).scalars()))
    ids = [h.id for h in homes] or [0]
    blocks = month_blocks(first, last, today)
    weekly = weekly_tags()
    seen = defaultdict(set)
    for hid, day in db.session.execute(select(Visit.household_id, Visit.visit_date).where(
            Visit.household_id.in_(ids), Visit.visit_date.between(first, last))):
        seen[hid].add(next((i for i, (a, b) in enumerate(blocks) if a <= day <= b), 0))
    lasts = dict(db.session.execute(select(Visit.household_id, func.max(Visit.visit_date))
                                    .where(Visit.household_id.in_(ids)).group_by(Visit.household_id)).all())
    problems = defaultdict(list)
    for p in db.session.execute(select(Problem).where(Problem.household_id.in_(ids),
                                                      Problem.status.in_(OPEN))).scalars():
        problems[p.household_id].append(p)
    items = []
    for home in homes:
        required = len(blocks) if set(home.tags) & weekly else 1
        items.append(WorkItem(home, min(len(seen[home.id]), required), required, lasts.get(home.id),
                              len(problems[home.id]), sum(1 for p in problems[home.id] if is_overdue(p))))
    items.sort(key=lambda i: (not i.overdue, i.visited, i.last_visit or date.min))
    return items
