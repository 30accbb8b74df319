"""问题台账: problems found on visits, their status and rectification plan."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.support import MANAGERS, READERS, VISITORS, _household, attachment
from admin.support.forms import ProblemEditForm, ProblemForm, ProblemStatusForm
from extensions import db
from models import Site
from models.clock import local_today
from models.support import (
    PROBLEM_STATUSES,
    Problem,
)
from services import fields
from services.errors import DomainError
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services.support import exports, problems
from services.support import responsibility as support


def _problem(problem_id) -> Problem:
    problem = db.get_or_404(Problem, problem_id)
    require_site(current_user, problem.site_id)
    return problem


def _problem_filters():
    args = request.args
    return dict(status=args.get("status") if args.get("status") in PROBLEM_STATUSES else None,
                category=args.get("category") or None, overdue_only=args.get("overdue") == "1")


def _problems_in_scope():
    allowed = allowed_site_ids(current_user)
    site_id = request.args.get("site_id", type=int)
    if site_id:
        require_site(current_user, site_id)
        allowed = [site_id]
    return problems.list_problems(allowed, **_problem_filters())


@bp.route("/support/problems")
@roles_required(*READERS)
def support_problems():
    return render_template("admin/support/problems.html", problem_list=_problems_in_scope(), sites=sites_in_scope(current_user),
                           args=request.args, today=local_today(), is_overdue=problems.is_overdue)


@bp.route("/support/problems/export.xlsx")
@roles_required(*READERS)
def support_problems_export():
    today = local_today()
    site_id = request.args.get("site_id", type=int)
    scope = db.session.get(Site, site_id).name if site_id else _scope_title()
    data = problems.export_xlsx(_problems_in_scope(), f"{scope}后续扶持问题台账", today)
    return attachment(data, f"问题台账-{today.isoformat()}.xlsx")


def _scope_title() -> str:
    """The area the signed-in user's 台账 covers: a village, a township or the county."""
    return exports.scope_title([s.path_names() for s in sites_in_scope(current_user)])


@bp.route("/support/problems/new", methods=["GET", "POST"])
@roles_required(*VISITORS)
def support_problem_new():
    form = ProblemForm()
    raw_home = request.values.get("household_id")
    home = _household(fields.record_id(raw_home, "请选择住户")) if raw_home else None

    def page():
        return render_template("admin/support/problem_new.html", home=home, form=form,
                               sites=sites_in_scope(current_user), today=local_today())

    if not form.is_submitted():
        return page()
    if not home and not form.site_id.data and not form.site_id.errors:
        form.site_id.errors = ["请选择安置点"]
    if not form.validate() or form.site_id.errors:
        return refused(page)
    site_id = home.site_id if home else form.site_id.data
    require_site(current_user, site_id)
    try:
        problem = problems.create_problem(
            current_user, site_id=site_id, household_id=home.id if home else None,
            category=form.category.data, description=form.description.data,
            found_date=form.found_date.data, source=form.source.data or "visit",
            lead_unit=form.lead_unit.data, responsible_unit=form.responsible_unit.data,
            responsible_person=form.responsible_person.data, measures=form.measures.data,
            deadline=form.deadline.data)
        for f in form.photos.data or []:
            if f and f.filename:
                support.save_photo(f.read(), "problem_before", problem.id, site_id, current_user)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash("问题已登记", "success")
    return redirect(url_for("admin.support_problem_detail", problem_id=problem.id))


@bp.route("/support/problems/<int:problem_id>")
@roles_required(*READERS)
def support_problem_detail(problem_id):
    return _detail_page(_problem(problem_id))


def _detail_page(problem, status_form=None, edit_form=None):
    """The problem page; a refused status / edit form is shown again with its errors and values."""
    manager = current_user.has_role("admin", *MANAGERS)
    return render_template("admin/support/problem_detail.html", p=problem, field_changes=problems.field_changes,
                           actions=problems.allowed_actions(problem, current_user),
                           before=support.photos_of("problem_before", problem.id),
                           after=support.photos_of("problem_after", problem.id),
                           overdue=problems.is_overdue(problem), can_manage=manager,
                           can_edit=manager and problem.status != "closed",
                           takes_after_photos=problem.status == "in_progress",
                           own_resolution=problem.status == "resolved" and problem.resolved_by_id == current_user.id,
                           status_form=status_form or ProblemStatusForm(formdata=None),
                           edit_form=edit_form or ProblemEditForm(formdata=None, obj=problem))


@bp.route("/support/problems/<int:problem_id>/status", methods=["POST"])
@roles_required(*MANAGERS)
def support_problem_status(problem_id):
    problem = _problem(problem_id)
    form = ProblemStatusForm()
    to = form.to.data or ""
    try:
        form.validate()
        problems.change_status(problem, to, current_user, form.note.data or "")
        for f in form.photos.data or []:
            if f and f.filename:
                support.save_photo(f.read(), "problem_after", problem.id, problem.site_id, current_user)
    except DomainError as error:
        return refused(lambda: _detail_page(problem, status_form=form), error)
    db.session.commit()
    flash(f"状态已改为“{PROBLEM_STATUSES[to]}”", "success")
    return redirect(url_for("admin.support_problem_detail", problem_id=problem.id))


@bp.route("/support/problems/<int:problem_id>/edit", methods=["POST"])
@roles_required(*MANAGERS)
def support_problem_edit(problem_id):
    problem = _problem(problem_id)
    form = ProblemEditForm()
    if not form.validate():
        return refused(lambda: _detail_page(problem, edit_form=form))
    changes = {name: getattr(form, name).data or "" for name in
               ("lead_unit", "responsible_unit", "responsible_person", "measures")}
    try:
        change = problems.update_problem(problem, current_user, form.note.data or "", deadline=form.deadline.data,
                                         **changes)
    except DomainError as error:
        return refused(lambda: _detail_page(problem, edit_form=form), error)
    db.session.commit()
    flash("整改计划已修改(修改记录已保留)" if change else "没有改动", "success")
    return redirect(url_for("admin.support_problem_detail", problem_id=problem.id))
