"""年度计划 and 任务分解: the township turns its villages' 问题台账 into an annual plan whose tasks go to
responsible units or people, each with a deadline, dated progress notes and a completion note.

A plan belongs to a township. Whoever may act on any of its sites may read it and write progress on a
task they answer for; adding tasks or completing them needs a cadre whose scope covers the whole
township (or an admin). An open task past its deadline is overdue and shows on the home page of the
staff member who answers for it."""
import io
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from extensions import db
from models import Area, Problem, StaffUser
from models.clock import local_today, utcnow
from models.plan import PlanTask, PlanTaskProblem, PlanTaskProgress, WorkPlan
from services import fields, workbook
from services.errors import Forbidden, ValidationFailed
from services.staff import audit
from services.staff.scope import allowed_site_ids, site_ids_under

#: 问题台账 statuses a plan can still take up (closed problems are done with)
OPEN_PROBLEM_STATUSES = ("not_started", "in_progress", "unresolvable", "escalated")
TITLE_LIMIT, UNIT_LIMIT, NOTE_LIMIT = 200, 100, 1000


def townships_in_scope(user) -> list[Area]:
    """The townships with at least one site the user may act on."""
    allowed = allowed_site_ids(user)
    towns = db.session.execute(select(Area).where(Area.level == "township").order_by(Area.name)).scalars()
    return [t for t in towns if allowed is None or site_ids_under(t.id) & allowed]


def can_read(user, plan: WorkPlan) -> bool:
    allowed = allowed_site_ids(user)
    return allowed is None or bool(site_ids_under(plan.area_id) & allowed)


def can_manage(user, area_id: int) -> bool:
    """An admin, or a cadre whose scope covers every site of the township."""
    if user.has_role("admin"):
        return True
    if not user.has_role("cadre"):
        return False
    allowed = allowed_site_ids(user)
    sites = site_ids_under(area_id)
    return allowed is None or (bool(sites) and sites <= allowed)


def require_read(user, plan: WorkPlan) -> None:
    if not can_read(user, plan):
        raise Forbidden("这个乡镇不在您的管理范围内")


def require_manage(user, area_id: int) -> None:
    if not can_manage(user, area_id):
        raise Forbidden("只有管到整个乡镇的干部才能制定计划、分解任务和确认完成")


def _text(value, label: str, limit: int, field: str, required: bool = True) -> str:
    return fields.text(value, label, limit, required, field=field) or ""


def create_plan(actor, *, area_id: Optional[int], year: Optional[int], title: str) -> WorkPlan:
    area = db.session.get(Area, area_id) if area_id else None
    if area is None or area.level != "township":
        raise ValidationFailed("请选择乡镇", field="area_id")
    require_manage(actor, area.id)
    if year is None or not 2000 <= year <= 2100:
        raise ValidationFailed("请填写年度(如 2026)", field="year")
    title = _text(title, "计划名称", UNIT_LIMIT, "title")
    if db.session.execute(select(WorkPlan.id).where(WorkPlan.area_id == area.id, WorkPlan.year == year)).first():
        raise ValidationFailed(f"{area.name} 已有 {year} 年的计划", field="year")
    plan = WorkPlan(area_id=area.id, year=year, title=title, created_by=actor.id)
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "plan.create", "support_plan", plan.id, after={"乡镇": area.name, "年度": year, "名称": title})
    return plan


def _responsible(user_id: Optional[int]) -> Optional[StaffUser]:
    if user_id is None:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise ValidationFailed("请选择在职的责任人", field="responsible_user_id")
    return user


def add_task(actor, plan: WorkPlan, *, title: str, deadline: Optional[date], responsible_unit: str = "",
             responsible_user_id: Optional[int] = None, problem_ids: Iterable[int] = ()) -> PlanTask:
    require_manage(actor, plan.area_id)
    title = _text(title, "任务内容", TITLE_LIMIT, "title")
    unit = _text(responsible_unit, "责任单位", UNIT_LIMIT, "responsible_unit", required=False)
    person = _responsible(responsible_user_id)
    if not unit and person is None:
        raise ValidationFailed("请填写责任单位或选择责任人", field="responsible_unit")
    if deadline is None:
        raise ValidationFailed("请填写完成时限", field="deadline")
    problems = _problems_to_take_up(plan, problem_ids)
    task = PlanTask(plan_id=plan.id, title=title, responsible_unit=unit,
                    responsible_user_id=person.id if person else None, deadline=deadline, created_by=actor.id)
    db.session.add(task)
    db.session.flush()
    for problem in problems:
        db.session.add(PlanTaskProblem(task_id=task.id, problem_id=problem.id))
    db.session.flush()
    audit.record(actor, "plan.task", "support_plan_task", task.id,
                 after={"任务": title, "责任单位": unit, "责任人": person.display_name if person else "",
                        "完成时限": deadline.isoformat(), "问题": [p.id for p in problems]})
    return task


def _problems_to_take_up(plan: WorkPlan, problem_ids: Iterable[int]) -> list[Problem]:
    ids = sorted(set(problem_ids))
    if not ids:
        return []
    sites = site_ids_under(plan.area_id)
    found = db.session.execute(select(Problem).where(Problem.id.in_(ids))).scalars().all()
    if len(found) != len(ids) or any(p.site_id not in sites for p in found):
        raise ValidationFailed("所选问题不在这个乡镇的问题台账里", field="problem_ids")
    if any(p.status not in OPEN_PROBLEM_STATUSES for p in found):
        raise ValidationFailed("已销号的问题不需要再列入计划", field="problem_ids")
    taken = db.session.execute(select(PlanTaskProblem.problem_id).where(PlanTaskProblem.problem_id.in_(ids))).scalars().all()
    if taken:
        raise ValidationFailed("所选问题已经列入了计划任务", field="problem_ids")
    return sorted(found, key=lambda p: p.id)


def take_up_problems(actor, plan: WorkPlan, problem_ids: Iterable[int], *, deadline: Optional[date],
                     responsible_unit: str = "", responsible_user_id: Optional[int] = None) -> list[PlanTask]:
    """One task per chosen problem, titled by the problem, all with the same responsible and deadline."""
    problems = _problems_to_take_up(plan, problem_ids)
    if not problems:
        raise ValidationFailed("请勾选要列入计划的问题", field="problem_ids")
    return [add_task(actor, plan, title=f"{p.category}:{p.description}"[:TITLE_LIMIT], deadline=deadline,
                     responsible_unit=responsible_unit or p.responsible_unit or p.lead_unit or "",
                     responsible_user_id=responsible_user_id, problem_ids=[p.id]) for p in problems]


def can_report(user, task: PlanTask) -> bool:
    return task.responsible_user_id == user.id or can_manage(user, task.plan.area_id)


def add_progress(actor, task: PlanTask, note: str) -> PlanTaskProgress:
    if not can_report(actor, task):
        raise Forbidden("只有任务的责任人或乡镇干部能填写进展")
    if task.status != "open":
        raise ValidationFailed("任务已完成,不能再填写进展")
    row = PlanTaskProgress(task_id=task.id, note=_text(note, "进展情况", NOTE_LIMIT, "note"), actor_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def complete(actor, task: PlanTask, note: str) -> PlanTask:
    require_manage(actor, task.plan.area_id)
    if task.status != "open":
        raise ValidationFailed("任务已经完成")
    task.done_note = _text(note, "完成情况", NOTE_LIMIT, "note")
    task.status, task.done_at = "done", utcnow()
    db.session.flush()
    audit.record(actor, "plan.task_done", "support_plan_task", task.id, after={"完成情况": task.done_note})
    return task


def is_overdue(task: PlanTask, today: Optional[date] = None) -> bool:
    return task.status == "open" and task.deadline < (today or local_today())


def done_on_time(task: PlanTask) -> bool:
    from models.clock import to_local
    return task.status == "done" and to_local(task.done_at).date() <= task.deadline


def overdue_tasks_for(user, today: Optional[date] = None) -> list[PlanTask]:
    """Open tasks past their deadline that this staff member answers for (the home page's list)."""
    return list(db.session.execute(
        select(PlanTask).where(PlanTask.responsible_user_id == user.id, PlanTask.status == "open",
                               PlanTask.deadline < (today or local_today()))
        .order_by(PlanTask.deadline, PlanTask.id)).scalars())


def problems_to_plan(plan: WorkPlan) -> list[Problem]:
    """The township's open problems no task has taken up yet: 上报镇 first, then the oldest."""
    taken = select(PlanTaskProblem.problem_id)
    rows = db.session.execute(
        select(Problem).where(Problem.site_id.in_(site_ids_under(plan.area_id) or {-1}),
                              Problem.status.in_(OPEN_PROBLEM_STATUSES), Problem.id.not_in(taken))
        .order_by(Problem.found_date, Problem.id)).scalars().all()
    return sorted(rows, key=lambda p: p.status != "escalated")


def plans_in_scope(user) -> list[WorkPlan]:
    towns = {t.id for t in townships_in_scope(user)}
    rows = db.session.execute(select(WorkPlan).order_by(WorkPlan.year.desc(), WorkPlan.id)).scalars()
    return [p for p in rows if p.area_id in towns]


@dataclass
class Summary:
    total: int
    done: int
    done_on_time: int
    overdue: int


def summary(plan: WorkPlan, today: Optional[date] = None) -> Summary:
    tasks = plan.tasks
    return Summary(len(tasks), sum(t.status == "done" for t in tasks), sum(done_on_time(t) for t in tasks),
                   sum(is_overdue(t, today) for t in tasks))


EXPORT_COLUMNS = ("序号", "任务内容", "来源问题", "责任单位", "责任人", "完成时限", "状态", "最新进展", "完成情况")


def export_xlsx(plan: WorkPlan, today: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "任务分解"
    sheet.append([workbook.cell(sheet, f"{plan.area.name} {plan.year} 年 {plan.title}", font=Font(bold=True, size=14))])
    sheet.append([f"截至 {today.isoformat()}"])
    sheet.append(workbook.row(sheet, EXPORT_COLUMNS, font=Font(bold=True)))
    for n, t in enumerate(plan.tasks, 1):
        status = t.status_label + (" · 超期" if is_overdue(t, today) else "")
        sheet.append(workbook.row(sheet, [
            n, t.title, "、".join(f"#{p.id}" for p in t.problems), t.responsible_unit,
            t.responsible_user.display_name if t.responsible_user else "", t.deadline.isoformat(), status,
            t.progress[-1].note if t.progress else "", t.done_note or ""]))
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
