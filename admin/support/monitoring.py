"""防返贫监测: monitoring cases, their steps and the printable 公示."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.support import MANAGERS, READERS, _date, _household, _int
from admin.support.visits import _find_households
from extensions import db
from models.clock import local_today
from models.support import (
    MonitoringCase,
)
from services.staff.scope import allowed_site_ids, require_site
from services.support import monitoring


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



@bp.route("/support/monitoring/find")
@roles_required(*MANAGERS)
def support_monitoring_find():
    return render_template("admin/support/visit_find.html", q=request.args.get("q", ""),
                           found=_find_households(request.args.get("q", "")), purpose="monitoring")

