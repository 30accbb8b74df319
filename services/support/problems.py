"""问题台账: problems, their status machine, the kept history of every change, and the export.

未启动 → 进行中 → 已整改待复核 → 已销号; 未启动/进行中 → 无法解决 → 上报镇.
已整改待复核 can be sent back to 进行中 (复核不通过); 上报镇 can be taken up again (进行中).
销号 needs a reviewer (复核人) who is not the person who reported the fix."""
import io
import json
from datetime import date, datetime, time, timezone
from typing import Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from extensions import db
from models import Household
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
#: statuses of a problem not yet 销号
OPEN = ("not_started", "in_progress", "resolved", "unresolvable", "escalated")
EDITABLE = ("lead_unit", "responsible_unit", "responsible_person", "measures", "deadline",
            "category", "description")
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


#: how an edited field is named in the change history
FIELD_LABELS = {"lead_unit": "牵头单位", "responsible_unit": "责任单位", "responsible_person": "责任人",
                "measures": "整改措施", "deadline": "完成时限", "category": "问题类别", "description": "问题描述"}


def field_changes(change: ProblemChange) -> list[str]:
    """A kept edit as readable lines: 完成时限:2026-12-01 → 2026-12-15."""
    if not change.fields:
        return []
    try:
        edited = json.loads(change.fields)
    except ValueError:
        return []
    return [f"{FIELD_LABELS.get(name, name)}:{before or '(空)'} → {after or '(空)'}"
            for name, (before, after) in edited.items()]


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
#: the township 问题台账's columns, in its order
EXPORT_COLUMNS = ("序号", "乡镇", "村(社区)", "安置点", "户主", "门牌", "联系电话", "问题类别", "问题来源",
                  "问题描述", "发现时间", "牵头单位", "责任单位", "责任人", "整改措施", "完成时限", "是否超期",
                  "整改情况", "整改人", "复核意见", "复核人", "状态", "销号时间")
EXPORT_WIDTHS = (6, 10, 12, 16, 10, 14, 14, 10, 10, 40, 12, 16, 18, 10, 36, 12, 8, 36, 10, 30, 10, 12, 18)


def _last_note(problem: Problem, *moves) -> Optional[str]:
    """The note of the latest change that made one of the moves (from, to)."""
    for change in reversed(problem.changes):
        if (change.from_status, change.to_status) in moves or (None, change.to_status) in moves:
            return change.note
    return None


def ledger_row(n: int, p: Problem, on: date) -> list:
    """One row of the exported 问题台账 (EXPORT_COLUMNS)."""
    home, names = p.household, p.site.path_names()
    review = _last_note(p, ("resolved", "closed"), ("resolved", "in_progress"))
    reviewer = p.closed_by.display_name if p.closed_by else None
    return [n, names.get("township", ""), names.get("village", ""), p.site.name,
            home.head_name if home else "(公共)",
            f"{home.building or ''}{home.door_no or ''}" if home else "", (home.phone or "") if home else "",
            p.category, PROBLEM_SOURCES.get(p.source, p.source), p.description, p.found_date,
            p.lead_unit or "", p.responsible_unit or "", p.responsible_person or "", p.measures or "",
            p.deadline, "超期" if is_overdue(p, on) else "", _last_note(p, ("in_progress", "resolved")) or "",
            p.resolved_by.display_name if p.resolved_by else "", review or "", reviewer or "",
            PROBLEM_STATUSES[p.status], to_local(p.closed_at).replace(tzinfo=None) if p.closed_at else None]


def export_xlsx(problems: list[Problem], title: str = "问题台账", on: Optional[date] = None) -> bytes:
    """The township 问题台账: a title, the as-of date, a frozen header; user text never a formula
    (services/workbook.py)."""
    on = on or local_today()
    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    ws.append([workbook.cell(ws, title, font=Font(bold=True, size=14))])
    ws.append([workbook.cell(ws, f"截至 {on.year}年{on.month}月{on.day}日 · 共 {len(problems)} 条"
                                 f" · 超期 {sum(1 for p in problems if is_overdue(p, on))} 条")])
    heading = PatternFill("solid", fgColor="F0EEEA")
    ws.append([workbook.cell(ws, h, font=Font(bold=True), fill=heading,
                             alignment=Alignment(wrap_text=True, vertical="center")) for h in EXPORT_COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    for n, p in enumerate(problems, start=1):
        values = ledger_row(n, p, on)
        ws.append([workbook.cell(ws, v, alignment=wrap, **_format(v)) for v in values])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(EXPORT_COLUMNS))
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    for index, width in enumerate(EXPORT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _format(value) -> dict:
    if isinstance(value, datetime):
        return {"number_format": "yyyy-mm-dd hh:mm"}
    if isinstance(value, date):
        return {"number_format": "yyyy-mm-dd"}
    return {}
