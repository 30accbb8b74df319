"""后续扶持 pages, part two: 问题台账, 防返贫监测 (with its 公示), the monthly report."""
from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.support.responsibility import MANAGERS, READERS, VISITORS, _date, _household, _int
from extensions import db
from models import Area
from models.clock import local_today
from models.support import PROBLEM_STATUSES, MonitoringCase, Problem
from services.support import monitoring
from services.reports import monthly_report
from services.support import problems
from services.support import responsibility as support
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services.errors import ValidationFailed


# ------------------------------------------------------------------ 问题台账
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


# ------------------------------------------------------------------ 监测
def _case(case_id) -> MonitoringCase:
    case = db.get_or_404(MonitoringCase, case_id)
    require_site(current_user, case.site_id)
    return case


@bp.route("/support/monitoring")
@roles_required(*READERS)
def support_monitoring():
    status = request.args.get("status") or None
    return render_template("admin/support/monitoring.html", cases=monitoring.cases(allowed_site_ids(current_user), status),
                           status=status, over=monitoring.over_time_limit)


@bp.route("/support/monitoring/new", methods=["POST"])
@roles_required(*MANAGERS)
def support_monitoring_new():
    home = _household(_int(request.form.get("household_id"), "请选择住户"))
    case = monitoring.open_case(home, request.form.get("type", ""), current_user, _date("found_date"),
                                request.form.get("risk_note", ""), request.form.get("note", ""))
    db.session.commit()
    flash("已登记风险发现,请按程序办理后续步骤", "success")
    return redirect(url_for("admin.support_monitoring_detail", case_id=case.id))


@bp.route("/support/monitoring/<int:case_id>")
@roles_required(*READERS)
def support_monitoring_detail(case_id):
    case = _case(case_id)
    publicity = next((s for s in monitoring.phase_steps(case) if s.step == "publicity"), None)
    return render_template("admin/support/monitoring_detail.html", case=case, next_step=monitoring.next_step(case),
                           publicity_end=publicity.publicity_end if publicity else None,
                           today=local_today(), default_end=monitoring.publicity_end_for(local_today()),
                           days=monitoring.publicity_days(), over=monitoring.over_time_limit(case),
                           can_manage=current_user.has_role("admin", *MANAGERS))


@bp.route("/support/monitoring/<int:case_id>/step", methods=["POST"])
@roles_required(*MANAGERS)
def support_monitoring_step(case_id):
    case = _case(case_id)
    form = request.form
    if form.get("action") == "eliminate":
        monitoring.start_elimination(case, current_user, _date("step_date"), form.get("note", ""))
    else:
        monitoring.add_step(case, form.get("step", ""), current_user, _date("step_date"),
                            passed=form.get("passed", "1") == "1", note=form.get("note", ""),
                            publicity_start=_date("publicity_start"), publicity_end=_date("publicity_end"))
    db.session.commit()
    flash("已记录", "success")
    return redirect(url_for("admin.support_monitoring_detail", case_id=case.id))


@bp.route("/support/monitoring/<int:case_id>/notice")
@roles_required(*READERS)
def support_monitoring_notice(case_id):
    """The printable 公示: built from monitoring.notice(), which holds only what may be shown."""
    return render_template("admin/support/notice.html", n=monitoring.notice(_case(case_id)))


# ------------------------------------------------------------------ monthly report
def _report():
    year, month = support.parse_month(request.args.get("month"))
    scope = request.args.get("scope") or (f"site:{sites_in_scope(current_user)[0].id}" if sites_in_scope(current_user) else "")
    ids, title = monthly_report.scope_sites(scope, allowed_site_ids(current_user))
    return monthly_report.build(year, month, ids, title), scope


def _scope_choices():
    sites = sites_in_scope(current_user)
    allowed = allowed_site_ids(current_user)
    townships = db.session.execute(select(Area).where(Area.level == "township").order_by(Area.id)).scalars().all()
    choices = []
    for town in townships:
        try:
            monthly_report.scope_sites(f"area:{town.id}", allowed)
            choices.append((f"area:{town.id}", f"{town.name}(全镇)"))
        except Exception:  # noqa: BLE001 - out of scope: not offered
            pass
    return choices + [(f"site:{s.id}", s.name) for s in sites]


@bp.route("/support/report")
@roles_required(*READERS)
def support_report():
    report, scope = _report()
    return render_template("admin/support/report.html", report=report, scope=scope, choices=_scope_choices(),
                           month=f"{report.year}-{report.month:02d}", heading=monthly_report.heading(report))


@bp.route("/support/report.<fmt>")
@roles_required(*READERS)
def support_report_file(fmt):
    report, _ = _report()
    name = f"report-{report.year}-{report.month:02d}"
    if fmt == "xlsx":
        return Response(monthly_report.to_xlsx(report),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    if fmt == "pdf":
        return Response(monthly_report.to_pdf(report), mimetype="application/pdf",
                        headers={"Content-Disposition": f"inline; filename={name}.pdf"})
    return Response("unknown format", status=404)


@bp.route("/support/monitoring/find")
@roles_required(*MANAGERS)
def support_monitoring_find():
    from admin.support.responsibility import _find_households
    return render_template("admin/support/visit_find.html", q=request.args.get("q", ""),
                           found=_find_households(request.args.get("q", "")), purpose="monitoring")
