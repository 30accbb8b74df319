"""Anomaly audit: findings over a period, marking them checked, the ledger entries behind one."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import _first_error
from admin.integrity.forms import AnomalyCheckForm
from extensions import db
from models import Household, StaffUser
from services import fields
from services.errors import DomainError
from services.integrity import anomalies
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
    """The findings of [start, end]; `back` is where a 已核查 form returns to."""
    try:
        thresholds = anomalies.Thresholds.from_form(request.args)
    except DomainError as error:
        flash(error.message, "error")
        thresholds = anomalies.Thresholds()
    findings = anomalies.find(start, end, thresholds, allowed_site_ids(current_user))
    if request.args.get("open"):
        findings = [f for f in findings if f.check is None]
    return render_template("admin/integrity/anomalies.html", findings=findings, rules=anomalies.RULES,
                           t=thresholds, start=start, end=end, back=back, sites={s.id: s for s in sites_in_scope(current_user)})


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

