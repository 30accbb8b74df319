"""Anomaly audit: the stored findings of a period (the checks run in the background, started here),
marking them checked, the ledger entries behind one."""
import json
import threading

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import background, bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import _first_error
from admin.integrity.forms import AnomalyCheckForm, AnomalyRunForm
from extensions import db
from models import Household, StaffUser
from services import fields
from services.errors import DomainError
from services.integrity import anomalies, anomaly_runs
from services.staff.scope import allowed_site_ids, sites_in_scope


def _period():
    """?start=&end= (the default period when left out); a bad date or span is refused (400)."""
    start, end = anomalies.default_period()
    start = fields.day(request.args.get("start"), "开始日期", required=False) or start
    end = fields.day(request.args.get("end"), "结束日期", required=False) or end
    if end < start or (end - start).days > 400:
        abort(400, "核查期间应在 400 天以内,且结束不早于开始")
    return start, end


@bp.route("/integrity/anomalies")
@roles_required("auditor", "cadre", "committee")
def integrity_anomalies():
    return _page(*_period(), back=request.full_path)


def _page(start, end, back: str):
    """The stored findings of [start, end] with the asked thresholds (never run inside the request);
    `back` is where a 已核查 form returns to."""
    try:
        thresholds = anomalies.Thresholds.from_form(request.args)
    except DomainError as error:
        flash(error.message, "error")
        thresholds = anomalies.Thresholds()
    run = anomaly_runs.latest(start, end, thresholds)
    findings = anomaly_runs.findings_of(run, allowed_site_ids(current_user))
    if request.args.get("open"):
        findings = [f for f in findings if f.check is None]
    failed = json.loads(run.findings).get("error") if run is not None and run.state == "failed" else None
    return render_template("admin/integrity/anomalies.html", findings=findings, rules=anomalies.RULES, run=run,
                           failed=failed, t=thresholds, start=start, end=end, back=back,
                           sites={s.id: s for s in sites_in_scope(current_user)})


@bp.route("/integrity/anomalies/run", methods=["POST"])
@roles_required("auditor", "cadre", "committee")
def integrity_anomaly_run():
    """Start the checks of the page's period and thresholds in the background; back to the page."""
    back = url_for("admin.integrity_anomalies", **request.args)
    if not AnomalyRunForm().validate_on_submit():
        flash("页面已过期,请刷新后再试", "error")
        return redirect(back)
    start, end = _period()
    try:
        run = anomaly_runs.start_run(current_user, start, end, anomalies.Thresholds.from_form(request.args))
    except DomainError as refused_run:
        flash(refused_run.message, "error")
        return redirect(back)
    run_id = run.id
    db.session.commit()
    start_in_background(current_app._get_current_object(), run_id)
    flash("异常核查已开始,通常几秒钟;本页会自动刷新显示结果", "success")
    return redirect(back)


def start_in_background(app, run_id: int) -> threading.Thread:
    """Compute the run's findings on a read snapshot, then store them. Returns the thread (tests wait)."""
    return background.start_run(app, "anomalies", run_id, anomaly_runs.compute, anomaly_runs.finish)


@bp.route("/integrity/anomalies/check", methods=["POST"])
@roles_required("auditor", "cadre", "committee")
def integrity_anomaly_check():
    form = AnomalyCheckForm()
    back = form.back.data or url_for("admin.integrity_anomalies")
    if not back.startswith("/admin/"):
        back = url_for("admin.integrity_anomalies")
    page = lambda: _page(*anomalies.default_period(), back=back)  # noqa: E731
    if not form.validate():
        return refused(page, _first_error(form))
    try:
        anomalies.mark_checked(current_user, form.rule.data or "", form.fingerprint.data or "", form.note.data)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash("已标记为已核查", "success")
    return redirect(back)


@bp.route("/integrity/entries")
@roles_required("auditor", "cadre", "committee")
def integrity_entries():
    """The ledger entries a finding is about (?ids=1,2,3), within the user's sites."""
    from models import LedgerEntry
    from services.households.registry import LEDGER_KIND_LABELS as labels

    raw = (request.args.get("ids") or "").split(",")
    ids = sorted({int(x) for x in raw if x.strip().isdecimal() and 0 < int(x) < 2**31})[:500]
    query = select(LedgerEntry).where(LedgerEntry.id.in_(ids or [-1]))
    allowed = allowed_site_ids(current_user)
    if allowed is not None:
        query = query.where(LedgerEntry.site_id.in_(allowed or {-1}))
    rows = list(db.session.execute(query.order_by(LedgerEntry.id)).scalars())
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    homes = dict(db.session.execute(select(Household.id, Household.head_name)
                                    .where(Household.id.in_({r.household_id for r in rows} or {-1}))).all())
    return render_template("admin/integrity/entries.html", rows=rows, names=names, homes=homes, labels=labels)

