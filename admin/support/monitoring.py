"""防返贫监测: monitoring cases, their steps and the printable 公示."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.support import MANAGERS, READERS, _household
from admin.support.dashboard import household_page
from admin.support.forms import MonitoringNewForm, MonitoringStepForm
from admin.support.visits import _find_households
from extensions import db
from models.clock import local_today
from models.support import (
    MonitoringCase,
)
from services.errors import DomainError, ValidationFailed
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
    form = MonitoringNewForm()
    if form.household_id.data is None:
        raise ValidationFailed(form.household_id.errors[0] if form.household_id.errors else "请选择住户")
    home = _household(form.household_id.data)
    if not form.validate():
        return refused(lambda: household_page(home, monitoring_form=form))
    try:
        case = monitoring.open_case(home, form.type.data or "", current_user, form.found_date.data,
                                    form.risk_note.data or "", form.note.data or "")
    except DomainError as error:
        return refused(lambda: household_page(home, monitoring_form=form), error)
    db.session.commit()
    flash("已登记风险发现,请按程序办理后续步骤", "success")
    return redirect(url_for("admin.support_monitoring_detail", case_id=case.id))


@bp.route("/support/monitoring/<int:case_id>")
@roles_required(*READERS)
def support_monitoring_detail(case_id):
    return _detail_page(_case(case_id))


def _detail_page(case, form=None):
    """The case page; a refused step form is shown again with its errors and values."""
    publicity = next((s for s in monitoring.phase_steps(case) if s.step == "publicity"), None)
    next_step = monitoring.next_step(case)
    publicity_end = publicity.publicity_end if publicity else None
    today = local_today()
    return render_template("admin/support/monitoring_detail.html", case=case, next_step=next_step,
                           publicity_end=publicity_end, today=today,
                           default_end=monitoring.publicity_end_for(today),
                           days=monitoring.publicity_days(), over=monitoring.over_time_limit(case),
                           time_limit=monitoring.time_limit(),
                           can_manage=current_user.has_role("admin", *MANAGERS),
                           can_record=monitoring.may_record(current_user, next_step or "found"),
                           step_level=monitoring.LEVEL_NAMES[monitoring.STEP_LEVELS.get(next_step or "found")],
                           has_notice=any(s.step == "publicity" for s in case.steps),
                           waiting_publicity=next_step == "township" and publicity_end is not None
                           and publicity_end >= today,
                           can_eliminate=case.status == "monitored", form=form or MonitoringStepForm(formdata=None))


@bp.route("/support/monitoring/<int:case_id>/step", methods=["POST"])
@roles_required(*MANAGERS)
def support_monitoring_step(case_id):
    case = _case(case_id)
    form = MonitoringStepForm()
    if not form.validate():
        return refused(lambda: _detail_page(case, form))
    try:
        if form.action.data == "eliminate":
            monitoring.start_elimination(case, current_user, form.step_date.data, form.note.data or "")
        else:
            monitoring.add_step(case, form.step.data or "", current_user, form.step_date.data,
                                passed=(form.passed.data or "1") == "1", note=form.note.data or "",
                                publicity_start=form.publicity_start.data, publicity_end=form.publicity_end.data)
    except DomainError as error:
        return refused(lambda: _detail_page(case, form), error)
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

