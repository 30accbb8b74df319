"""问题台账: problems, their status machine, the kept history of every change, and the export.

未启动 → 进行中 → 已整改待复核 → 已销号; 未启动/进行中 → 无法解决 → 上报镇.
已整改待复核 can be sent back to 进行中 (复核不通过); 上报镇 can be taken up again (进行中).
销号 needs a reviewer (复核人) who is not the person who reported the fix."""
import io
import json
from datetime import date, datetime, time, timezone
from typing import Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from extensions import db
from models import Household, Site
from models.clock import local_today, local_zone, to_local, utcnow
from models.support import PROBLEM_CATEGORIES, PROBLEM_SOURCES, PROBLEM_STATUSES, Problem, ProblemChange
from services import workbook
from services.errors import Forbidden, ValidationFailed
from services.staff import audit

TRANSITIONS = {
    "not_started": ("in_progress", "unresolvable"),
    "in_progress": ("resolved", "unresolvable"),
    "resolved": ("closed", "in_progress"),
    "unresolvable": ("escalated",),
    "escalated": ("in_progress",),
    "closed": (),
}
#: transitions that need a note (why / what was done)
NOTE_REQUIRED = {"resolved", "unresolvable", "escalated", ("resolved", "in_progress")}
#: statuses in which the deadline can be missed
WORKING = ("not_started", "in_progress")
EDITABLE = ("lead_unit", "responsible_unit", "responsible_person", "measures", "deadline",
            "category", "description")
EXPORT_COLUMNS = ("序号", "安置点", "户主", "问题类别", "问题描述", "发现时间", "责任单位", "责任人",
                  "整改措施", "完成时限", "状态", "销号时间")
ACTION_LABELS = {"in_progress": "开始整改", "resolved": "整改完成,提交复核", "closed": "复核通过,销号",
                 "unresolvable": "无法解决", "escalated": "上报镇", "back": "复核不通过,退回整改"}


def create_problem(actor, *, site_id: int, category: str, description: str,
                   household_id: Optional[int] = None, found_date: Optional[date] = None,
                   source: str = "visit", visit_id: Optional[int] = None, lead_unit: str = "",
                   responsible_unit: str = "", responsible_person: str = "", measures: str = "",
                   deadline: Optional[date] = None) -> Problem:
    if category not in PROBLEM_CATEGORIES:
        raise ValidationFailed("请选择问题类别")
    description = (description or "").strip()
    if not description:
        raise ValidationFailed("请填写问题描述")
    if source not in PROBLEM_SOURCES:
        raise ValidationFailed("请选择问题来源")
    found = found_date or local_today()
    if found > local_today():
        raise ValidationFailed("发现时间不能晚于今天")
    if deadline is not None and deadline < found:
        raise ValidationFailed("完成时限不能早于发现时间")
    if household_id is not None:
        home = db.session.get(Household, household_id)
        if home is None or home.site_id != site_id:
            raise ValidationFailed("这一户不在所选安置点")
    problem = Problem(site_id=site_id, household_id=household_id, category=category,
                      description=description[:2000], found_date=found, source=source, visit_id=visit_id,
                      lead_unit=_short(lead_unit), responsible_unit=_short(responsible_unit),
                      responsible_person=_short(responsible_person, 64), measures=(measures or "").strip() or None,
                      deadline=deadline, status="not_started", created_by_id=getattr(actor, "id", actor))
    db.session.add(problem)
    db.session.flush()
    _log(problem, actor, None, "not_started", "登记问题")
    audit.record(actor, "support.problem.create", "support_problem", problem.id, site_id=site_id,
                 after={"category": category, "household_id": household_id})
    return problem


def change_status(problem: Problem, to: str, actor, note: str = "") -> ProblemChange:
    """Move a problem along the machine; refuses forbidden moves with a clear message."""
    if to not in PROBLEM_STATUSES:
        raise ValidationFailed("未知的状态")
    if to not in TRANSITIONS[problem.status]:
        raise ValidationFailed(
            f"“{PROBLEM_STATUSES[problem.status]}”的问题不能直接改为“{PROBLEM_STATUSES[to]}”")
    note = (note or "").strip()
    if (to in NOTE_REQUIRED or (problem.status, to) in NOTE_REQUIRED) and not note:
        raise ValidationFailed("请填写说明(整改情况、原因或复核意见)")
    actor_id = getattr(actor, "id", actor)
    if to == "closed":
        if actor_id is None or actor_id == problem.resolved_by_id:
            raise Forbidden("销号须由另一位复核人办理:整改人不能给自己的整改销号")
        problem.closed_by_id, problem.closed_at = actor_id, utcnow()
    if to == "resolved":
        problem.resolved_by_id, problem.resolved_at = actor_id, utcnow()
    if to == "in_progress" and problem.status == "resolved":
        problem.resolved_by_id = problem.resolved_at = None
    before = problem.status
    problem.status = to
    db.session.flush()
    change = _log(problem, actor, before, to, note)
    audit.record(actor, "support.problem.status", "support_problem", problem.id, site_id=problem.site_id,
                 before={"status": before}, after={"status": to, "note": note})
    return change


def update_problem(problem: Problem, actor, note: str = "", **fields) -> Optional[ProblemChange]:
    """Edit the plan (units, person, measures, deadline ...); every edit is kept."""
    if problem.status == "closed":
        raise ValidationFailed("已销号的问题不能再修改")
    changed = {}
    for name, value in fields.items():
        if name not in EDITABLE:
            raise ValidationFailed(f"不能修改 {name}")
        if isinstance(value, str):
            value = value.strip() or None
        if name == "category" and value not in PROBLEM_CATEGORIES:
            raise ValidationFailed("请选择问题类别")
        if name == "description" and not value:
            raise ValidationFailed("请填写问题描述")
        if name == "deadline" and value is not None and value < problem.found_date:
            raise ValidationFailed("完成时限不能早于发现时间")
        if getattr(problem, name) != value:
            changed[name] = [_plain(getattr(problem, name)), _plain(value)]
            setattr(problem, name, value)
    if not changed:
        return None
    db.session.flush()
    change = _log(problem, actor, problem.status, problem.status, (note or "").strip() or "修改整改计划", changed)
    audit.record(actor, "support.problem.update", "support_problem", problem.id, site_id=problem.site_id,
                 after=changed)
    return change


def _log(problem, actor, before, to, note, fields=None) -> ProblemChange:
    change = ProblemChange(problem_id=problem.id, actor_id=getattr(actor, "id", actor), from_status=before,
                           to_status=to, note=note or None, at=utcnow(),
                           fields=json.dumps(fields, ensure_ascii=False) if fields else None)
    db.session.add(change)
    db.session.flush()
    return change


def _short(value, limit=100):
    return (value or "").strip()[:limit] or None


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def allowed_actions(problem: Problem, user) -> list[tuple[str, str]]:
    """(target status, button label) the user may take now."""
    actions = []
    for to in TRANSITIONS[problem.status]:
        if to == "closed" and user.id == problem.resolved_by_id:
            continue
        label = ACTION_LABELS["back"] if (problem.status, to) == ("resolved", "in_progress") else ACTION_LABELS[to]
        actions.append((to, label))
    return actions


# ------------------------------------------------------------------ queries
def list_problems(site_ids: Optional[Iterable[int]], status: Optional[str] = None,
                  category: Optional[str] = None, overdue_only: bool = False,
                  household_id: Optional[int] = None) -> list[Problem]:
    query = select(Problem).order_by(Problem.site_id, Problem.found_date, Problem.id)
    if site_ids is not None:
        query = query.where(Problem.site_id.in_(list(site_ids)))
    if status:
        query = query.where(Problem.status == status)
    if category:
        query = query.where(Problem.category == category)
    if household_id:
        query = query.where(Problem.household_id == household_id)
    if overdue_only:
        query = query.where(Problem.status.in_(WORKING), Problem.deadline < local_today())
    return db.session.execute(query).scalars().all()


def is_overdue(problem: Problem, on: Optional[date] = None) -> bool:
    on = on or local_today()
    return problem.status in WORKING and problem.deadline is not None and problem.deadline < on


def local_midnight_utc(day: date) -> datetime:
    """00:00 local time on `day`, as naive UTC (how the database stores moments)."""
    return datetime.combine(day, time()).replace(tzinfo=local_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def status_at(problem: Problem, moment: datetime) -> Optional[str]:
    """The problem's status just before `moment` (None = not yet recorded)."""
    status = None
    for change in problem.changes:
        if change.at < moment:
            status = change.to_status
    return status


def closed_on(problem: Problem) -> Optional[date]:
    return to_local(problem.closed_at).date() if problem.closed_at else None


# ------------------------------------------------------------------ export
def export_xlsx(problems: list[Problem]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    ws.append(workbook.row(ws, EXPORT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    sites = dict(db.session.execute(select(Site.id, Site.name)).all())
    for n, p in enumerate(problems, start=1):
        ws.append(workbook.row(ws, [n, sites.get(p.site_id, ""), p.household.head_name if p.household else "(公共)",
                   p.category, p.description, p.found_date, p.responsible_unit or "", p.responsible_person or "",
                   p.measures or "", p.deadline, PROBLEM_STATUSES[p.status],
                   to_local(p.closed_at).replace(tzinfo=None) if p.closed_at else None]))
    for letter, width in zip("ABCDEFGHIJKL", (6, 16, 10, 10, 40, 12, 18, 10, 36, 12, 14, 18)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
