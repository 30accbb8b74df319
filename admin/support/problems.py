"""问题台账: problems found on visits, their status and rectification plan."""
from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.support import MANAGERS, READERS, VISITORS, _date, _household, _int
from extensions import db
from models.clock import local_today
from models.support import (
    PROBLEM_STATUSES,
    Problem,
)
from services.errors import ValidationFailed
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services.support import problems
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
    data = problems.export_xlsx(_problems_in_scope())
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''%E9%97%AE%E9%A2%98%E5%8F%B0%E8%B4%A6.xlsx"})


@bp.route("/support/problems/new", methods=["GET", "POST"])
@roles_required(*VISITORS)
def support_problem_new():
    form = request.form
    home = _household(_int(request.values["household_id"])) if request.values.get("household_id") else None
    if request.method == "POST":
        site_id = home.site_id if home else _int(form.get("site_id"), "请选择安置点")
        require_site(current_user, site_id)
        try:
            problem = problems.create_problem(
                current_user, site_id=site_id, household_id=home.id if home else None,
                category=form.get("category"), description=form.get("description"),
                found_date=_date("found_date"), source=form.get("source", "visit"),
                lead_unit=form.get("lead_unit"), responsible_unit=form.get("responsible_unit"),
                responsible_person=form.get("responsible_person"), measures=form.get("measures"),
                deadline=_date("deadline"))
            for f in request.files.getlist("photos"):
                if f and f.filename:
                    support.save_photo(f.read(), "problem_before", problem.id, site_id, current_user)
            db.session.commit()
            flash("问题已登记", "success")
            return redirect(url_for("admin.support_problem_detail", problem_id=problem.id))
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return render_template("admin/support/problem_new.html", home=home, sites=sites_in_scope(current_user), values=form, today=local_today())


@bp.route("/support/problems/<int:problem_id>")
@roles_required(*READERS)
def support_problem_detail(problem_id):
    problem = _problem(problem_id)
    return render_template("admin/support/problem_detail.html", p=problem,
                           actions=problems.allowed_actions(problem, current_user),
                           before=support.photos_of("problem_before", problem.id),
                           after=support.photos_of("problem_after", problem.id),
                           overdue=problems.is_overdue(problem), can_manage=current_user.has_role("admin", *MANAGERS))


@bp.route("/support/problems/<int:problem_id>/status", methods=["POST"])
@roles_required(*MANAGERS)
def support_problem_status(problem_id):
    problem = _problem(problem_id)
    to = request.form.get("to", "")
    problems.change_status(problem, to, current_user, request.form.get("note", ""))
    for f in request.files.getlist("photos"):
        if f and f.filename:
            support.save_photo(f.read(), "problem_after", problem.id, problem.site_id, current_user)
    db.session.commit()
    flash(f"状态已改为“{PROBLEM_STATUSES[to]}”", "success")
    return redirect(url_for("admin.support_problem_detail", problem_id=problem.id))


@bp.route("/support/problems/<int:problem_id>/edit", methods=["POST"])
@roles_required(*MANAGERS)
def support_problem_edit(problem_id):
    problem = _problem(problem_id)
    form = request.form
    fields = {name: form.get(name, "") for name in ("lead_unit", "responsible_unit", "responsible_person", "measures")}
    fields["deadline"] = _date("deadline")
    change = problems.update_problem(problem, current_user, form.get("note", ""), **fields)
    db.session.commit()
    flash("整改计划已修改(修改记录已保留)" if change else "没有改动", "success")
    return redirect(url_for("admin.support_problem_detail", problem_id=problem.id))

