"""防返贫监测: a household's case moves through dated, attributed steps
风险发现 → 入户核实 → 民主评议与公示 (≥ N days) → 乡镇初审 → 县级审定, first to be taken into
monitoring, later (风险消除) by the same steps. The county approval sets or clears the
household's 监测户 tag, which drives 包保, visit coverage and the monthly report.

Config: SUPPORT_PUBLICITY_DAYS (5), SUPPORT_MONITORING_DAYS (15, a warning only),
SUPPORT_NOTICE_CONTACT (who takes objections, printed on the 公示), SUPPORT_NOTICE_PHONE (the phone
for objections; without it, the office phone of the staff member who recorded the 公示)."""
from datetime import date, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Household, HouseholdTag
from models.clock import local_today
from models.staff import StaffUser
from models.support import (
    MONITORING_PHASES,
    MONITORING_STEPS,
    MONITORING_TYPES,
    MonitoringCase,
    MonitoringStep,
)
from services.errors import Forbidden, ValidationFailed
from services.staff import audit
from services.staff.scope import has_scope_level

STEP_ORDER = tuple(MONITORING_STEPS)
OPEN_STATUSES = ("identifying", "monitored", "eliminating")
TAG = "monitored"
#: the scope level a staff member needs to record a step (docs/decisions.md#monitoring-levels)
STEP_LEVELS = {"found": "village", "verified": "village", "publicity": "village",
               "township": "township", "county": "county"}
LEVEL_NAMES = {"village": "村(社区)", "township": "乡镇", "county": "县级"}


def may_record(actor, step: str) -> bool:
    """Whether `actor` (a staff user or its id) may record `step`: its scope level decides."""
    user = actor if hasattr(actor, "has_role") else db.session.get(StaffUser, actor) if actor else None
    return user is not None and has_scope_level(user, STEP_LEVELS.get(step, "county"))


def require_level(actor, step: str) -> None:
    if not may_record(actor, step):
        level = STEP_LEVELS.get(step, "county")
        raise Forbidden(f"“{MONITORING_STEPS.get(step, step)}”须由{LEVEL_NAMES[level]}及以上的工作人员办理"
                        f"(按您的管理范围层级)")


def publicity_days() -> int:
    return int(current_app.config.get("SUPPORT_PUBLICITY_DAYS", 5))


def open_case(household: Household, case_type: str, actor, found_date: Optional[date] = None,
              risk_note: str = "", note: str = "") -> MonitoringCase:
    if case_type not in MONITORING_TYPES:
        raise ValidationFailed("请选择监测对象类型")
    if household.status != "active":
        raise ValidationFailed("这一户已迁出或合户")
    if open_case_of(household.id) is not None:
        raise ValidationFailed("这一户已有进行中的监测程序")
    require_level(actor, "found")
    case = MonitoringCase(household_id=household.id, site_id=household.site_id, type=case_type,
                          risk_note=(risk_note or "").strip() or None, status="identifying",
                          phase="identify", created_by_id=getattr(actor, "id", actor))
    db.session.add(case)
    db.session.flush()
    add_step(case, "found", actor, found_date or local_today(), note=note)
    return case


def open_case_of(household_id: int) -> Optional[MonitoringCase]:
    return db.session.execute(select(MonitoringCase).where(
        MonitoringCase.household_id == household_id, MonitoringCase.status.in_(OPEN_STATUSES))).scalars().first()


def phase_steps(case: MonitoringCase, phase: Optional[str] = None) -> list[MonitoringStep]:
    phase = phase or case.phase
    # the last run of the phase only (an elimination may be tried again after a refusal)
    steps = [s for s in case.steps if s.phase == phase]
    starts = [i for i, s in enumerate(steps) if s.step == "found"]
    return steps[starts[-1]:] if starts else []


def next_step(case: MonitoringCase) -> Optional[str]:
    if case.status in ("monitored", "eliminated", "rejected"):
        return None
    done = phase_steps(case)
    return STEP_ORDER[len(done)] if len(done) < len(STEP_ORDER) else None


def add_step(case: MonitoringCase, step: str, actor, step_date: date, passed: bool = True, note: str = "",
             publicity_start: Optional[date] = None, publicity_end: Optional[date] = None) -> MonitoringStep:
    expected = "found" if not phase_steps(case) and case.status in ("identifying", "eliminating") else next_step(case)
    if step != expected:
        want = MONITORING_STEPS.get(expected, "无") if expected else "无(程序已结束)"
        raise ValidationFailed(f"下一步应为“{want}”,不能办理“{MONITORING_STEPS.get(step, step)}”")
    require_level(actor, step)
    if step == "publicity" and step_date is None:
        step_date = publicity_start
    if not isinstance(step_date, date) or step_date > local_today():
        raise ValidationFailed("请填写日期,且不能晚于今天")
    previous = phase_steps(case)
    if previous and step_date < previous[-1].step_date:
        raise ValidationFailed("日期不能早于上一步")
    if step == "found" and not passed:
        raise ValidationFailed("风险发现这一步不能是“不通过”")
    if step == "publicity":
        step_date = _check_publicity(publicity_start, publicity_end, previous)
    else:
        publicity_start = publicity_end = None
    if step == "township":
        _check_after_publicity(previous, step_date)
    row = MonitoringStep(case_id=case.id, phase=case.phase, step=step, step_date=step_date, passed=passed,
                         publicity_start=publicity_start, publicity_end=publicity_end,
                         note=(note or "").strip() or None, actor_id=getattr(actor, "id", actor))
    db.session.add(row)
    db.session.flush()
    db.session.refresh(case, ["steps"])
    _after_step(case, row, actor)
    audit.record(actor, "support.monitoring.step", "support_monitoring_case", case.id, site_id=case.site_id,
                 after={"phase": case.phase, "step": step, "date": step_date, "passed": passed})
    return row


def _check_publicity(start, end, previous) -> date:
    if not isinstance(start, date) or not isinstance(end, date):
        raise ValidationFailed("请填写公示起止日期")
    if end < start or (end - start).days + 1 < publicity_days():
        raise ValidationFailed(f"公示期不少于 {publicity_days()} 天(含首尾两天)")
    if previous and start < previous[-1].step_date:
        raise ValidationFailed("公示不能早于上一步")
    if start > local_today():
        raise ValidationFailed("公示开始日期不能晚于今天")
    return start


def _check_after_publicity(previous, step_date) -> None:
    publicity = previous[-1]
    if step_date <= publicity.publicity_end or local_today() <= publicity.publicity_end:
        raise ValidationFailed(f"公示到 {publicity.publicity_end:%Y年%m月%d日} 24:00 结束,结束后才能办理乡镇初审")


def _after_step(case: MonitoringCase, row: MonitoringStep, actor) -> None:
    if case.phase == "identify":
        if not row.passed:
            case.status = "rejected"
        elif row.step == "county":
            case.status = "monitored"
            _set_tag(case.household_id, True)
    else:
        if not row.passed:
            case.status, case.phase = "monitored", "identify"
        elif row.step == "county":
            case.status = "eliminated"
            _set_tag(case.household_id, False)
    db.session.flush()


def start_elimination(case: MonitoringCase, actor, found_date: Optional[date] = None, note: str = "") -> MonitoringStep:
    """风险消除: runs the same steps again; the county approval clears the 监测户 tag."""
    if case.status != "monitored":
        raise ValidationFailed("只有“监测中”的对象才能启动风险消除")
    last = case.steps[-1].step_date if case.steps else None
    day = found_date or local_today()
    if last and day < last:
        raise ValidationFailed("日期不能早于上一步")
    case.phase, case.status = "eliminate", "eliminating"
    db.session.flush()
    return add_step(case, "found", actor, day, note=note)


def _set_tag(household_id: int, on: bool) -> None:
    row = db.session.get(HouseholdTag, (household_id, TAG))
    if on and row is None:
        db.session.add(HouseholdTag(household_id=household_id, tag=TAG))
    elif not on and row is not None:
        db.session.delete(row)
    db.session.flush()


def days_taken(case: MonitoringCase) -> Optional[int]:
    steps = phase_steps(case, case.phase) or phase_steps(case, "identify")
    if not steps:
        return None
    return (steps[-1].step_date - steps[0].step_date).days


def time_limit() -> int:
    """Days a monitoring run should take (SUPPORT_MONITORING_DAYS, a warning only)."""
    return int(current_app.config.get("SUPPORT_MONITORING_DAYS", 15))


def over_time_limit(case: MonitoringCase) -> bool:
    limit = time_limit()
    taken = days_taken(case)
    if case.status in ("identifying", "eliminating"):
        steps = phase_steps(case)
        taken = (local_today() - steps[0].step_date).days if steps else None
    return taken is not None and taken > limit


def notice(case: MonitoringCase) -> dict:
    """What the 公示 may show — and nothing else: no ID number, phone, bank account, health details."""
    steps = phase_steps(case)
    publicity = next((s for s in steps if s.step == "publicity"), None)
    home = case.household
    names = home.site.path_names()
    return {
        "title": f"{names.get('village', '')}{MONITORING_PHASES[case.phase]}对象公示",
        "township": names.get("township", ""), "village": names.get("village", ""),
        "site": home.site.name, "head_name": home.head_name,
        "members": sum(1 for m in home.members if m.is_current),
        "type": MONITORING_TYPES[case.type], "phase": MONITORING_PHASES[case.phase],
        "start": publicity.publicity_start if publicity else None,
        "end": publicity.publicity_end if publicity else None,
        "contact": current_app.config.get("SUPPORT_NOTICE_CONTACT", "村(社区)办公室"),
        "phone": objection_phone(publicity),
    }


def objection_phone(publicity: Optional[MonitoringStep]) -> str:
    """The phone for objections: the configured one, else the recording staff member's (never the household's)."""
    configured = current_app.config.get("SUPPORT_NOTICE_PHONE")
    if configured:
        return configured
    return (publicity.actor.phone or "") if publicity is not None and publicity.actor is not None else ""


def cases(site_ids=None, status: Optional[str] = None) -> list[MonitoringCase]:
    query = select(MonitoringCase).order_by(MonitoringCase.id.desc())
    if site_ids is not None:
        query = query.where(MonitoringCase.site_id.in_(list(site_ids)))
    if status:
        query = query.where(MonitoringCase.status == status)
    return db.session.execute(query).scalars().all()


def publicity_end_for(start: date) -> date:
    return start + timedelta(days=publicity_days() - 1)
