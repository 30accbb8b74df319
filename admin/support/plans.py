"""年度计划 and 任务分解: the township's plans, one plan's tasks with the problems still to take up, one
task's progress and completion, and the export."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused, refused_on_field
from admin.scope import COUNTY_WIDE, scoped_arg
from admin.support import READERS, attachment
from admin.support.forms import NoteForm, PlanForm, TakeUpForm, TaskForm
from extensions import db
from models import StaffUser
from models.clock import local_today
from models.plan import PlanTask, WorkPlan
from services.errors import ValidationFailed
from services.support import plans


# a plan is the township's: the views check the township (plans.require_read), not one site
@scoped_arg("plan_id")
def _plan_exists(plan_id):
    return COUNTY_WIDE if db.session.get(WorkPlan, plan_id) else None


@scoped_arg("task_id")
def _task_exists(task_id):
    return COUNTY_WIDE if db.session.get(PlanTask, task_id) else None


def _plan(plan_id) -> WorkPlan:
    plan = db.get_or_404(WorkPlan, plan_id)
    plans.require_read(current_user, plan)
    return plan


def _task(task_id) -> PlanTask:
    task = db.get_or_404(PlanTask, task_id)
    plans.require_read(current_user, task.plan)
    return task


def _people(plan: WorkPlan):
    """Staff who can be named responsible: active cadres and committee members who reach the township."""
    users = db.session.execute(select(StaffUser).where(StaffUser.active).order_by(StaffUser.display_name)).scalars()
    return [u for u in users if u.has_role("cadre", "committee", "admin") and plans.can_read(u, plan)]


@bp.route("/support/plans", methods=["GET", "POST"])
@roles_required(*READERS)
def support_plans():
    form = PlanForm()

    def page():
        mine = plans.overdue_tasks_for(current_user)
        open_mine = db.session.execute(select(PlanTask).where(PlanTask.responsible_user_id == current_user.id,
                                                              PlanTask.status == "open")
                                       .order_by(PlanTask.deadline)).scalars().all()
        rows = [(p, plans.summary(p)) for p in plans.plans_in_scope(current_user)]
        towns = [t for t in plans.townships_in_scope(current_user) if plans.can_manage(current_user, t.id)]
        return render_template("admin/support/plans.html", rows=rows, form=form, towns=towns, my_tasks=open_mine,
                               overdue_ids={t.id for t in mine}, year=local_today().year)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    try:
        plan = plans.create_plan(current_user, area_id=form.area_id.data, year=form.year.data, title=form.title.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash(f"已建立 {plan.year} 年计划,接下来把问题台账里的问题分解成任务", "ok")
    return redirect(url_for("admin.support_plan", plan_id=plan.id))


def _plan_page(plan, task_form, take_up_form):
    def page():
        return render_template("admin/support/plan.html", plan=plan, summary=plans.summary(plan),
                               task_form=task_form, take_up_form=take_up_form, problems=plans.problems_to_plan(plan),
                               people=_people(plan), can_manage=plans.can_manage(current_user, plan.area_id),
                               is_overdue=plans.is_overdue, today=local_today())
    return page


@bp.route("/support/plans/<int:plan_id>")
@roles_required(*READERS)
def support_plan(plan_id):
    plan = _plan(plan_id)
    return _plan_page(plan, TaskForm(formdata=None), TakeUpForm(formdata=None, prefix="up"))()


@bp.route("/support/plans/<int:plan_id>/tasks", methods=["POST"])
@roles_required("cadre")
def support_plan_task_new(plan_id):
    plan = _plan(plan_id)
    form = TaskForm()
    page = _plan_page(plan, form, TakeUpForm(formdata=None, prefix="up"))
    if not form.validate():
        return refused(page)
    try:
        plans.add_task(current_user, plan, title=form.title.data, deadline=form.deadline.data,
                       responsible_unit=form.responsible_unit.data, responsible_user_id=form.responsible_user_id.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash("已添加任务", "ok")
    return redirect(url_for("admin.support_plan", plan_id=plan.id))


@bp.route("/support/plans/<int:plan_id>/take-up", methods=["POST"])
@roles_required("cadre")
def support_plan_take_up(plan_id):
    plan = _plan(plan_id)
    form = TakeUpForm(prefix="up")
    page = _plan_page(plan, TaskForm(formdata=None), form)
    if not form.validate():
        return refused(page)
    try:
        tasks = plans.take_up_problems(current_user, plan, form.problem_ids.data, deadline=form.deadline.data,
                                       responsible_unit=form.responsible_unit.data,
                                       responsible_user_id=form.responsible_user_id.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash(f"已把 {len(tasks)} 个问题列入计划任务", "ok")
    return redirect(url_for("admin.support_plan", plan_id=plan.id))


@bp.route("/support/plans/<int:plan_id>/export.xlsx")
@roles_required(*READERS)
def support_plan_export(plan_id):
    plan = _plan(plan_id)
    return attachment(plans.export_xlsx(plan, local_today()), "任务分解.xlsx")


def _task_page(task, progress_form, done_form):
    def page():
        return render_template("admin/support/plan_task.html", task=task, plan=task.plan,
                               progress_form=progress_form, done_form=done_form,
                               can_report=plans.can_report(current_user, task),
                               can_manage=plans.can_manage(current_user, task.plan.area_id),
                               overdue=plans.is_overdue(task))
    return page


@bp.route("/support/plans/tasks/<int:task_id>")
@roles_required(*READERS)
def support_plan_task(task_id):
    task = _task(task_id)
    return _task_page(task, NoteForm(formdata=None), NoteForm(formdata=None, prefix="done"))()


@bp.route("/support/plans/tasks/<int:task_id>/progress", methods=["POST"])
@roles_required(*READERS)
def support_plan_task_progress(task_id):
    task = _task(task_id)
    form = NoteForm()
    page = _task_page(task, form, NoteForm(formdata=None, prefix="done"))
    try:
        plans.add_progress(current_user, task, form.note.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash("已记录进展", "ok")
    return redirect(url_for("admin.support_plan_task", task_id=task.id))


@bp.route("/support/plans/tasks/<int:task_id>/complete", methods=["POST"])
@roles_required("cadre")
def support_plan_task_complete(task_id):
    task = _task(task_id)
    form = NoteForm(prefix="done")
    page = _task_page(task, NoteForm(formdata=None), form)
    try:
        plans.complete(current_user, task, form.note.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash("任务已确认完成", "ok")
    return redirect(url_for("admin.support_plan", plan_id=task.plan_id))
