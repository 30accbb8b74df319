"""Anomaly audit: findings over a period, marking them checked, the ledger entries behind one."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from extensions import db
from models import Household, StaffUser
from services.errors import DomainError
from services.integrity import anomalies
from services.staff.scope import allowed_site_ids, sites_in_scope


def _period():
    start, end = anomalies.default_period()
    try:
        start = date.fromisoformat(request.args["start"]) if request.args.get("start") else start
        end = date.fromisoformat(request.args["end"]) if request.args.get("end") else end
    except ValueError:
        abort(400, "日期格式应为 年-月-日")
    if end < start or (end - start).days > 400:
        abort(400, "核查期间应在 400 天以内,且结束不早于开始")
    return start, end


@bp.route("/integrity/anomalies")
@roles_required("auditor", "cadre", "committee")
def integrity_anomalies():
    start, end = _period()
    try:
        thresholds = anomalies.Thresholds.from_form(request.args)
    except DomainError as error:
        flash(error.message, "error")
        thresholds = anomalies.Thresholds()
    findings = anomalies.find(start, end, thresholds, allowed_site_ids(current_user))
    if request.args.get("open"):
        findings = [f for f in findings if f.check is None]
    return render_template("admin/integrity/anomalies.html", findings=findings, rules=anomalies.RULES,
                           t=thresholds, start=start, end=end, sites={s.id: s for s in sites_in_scope(current_user)})


@bp.route("/integrity/anomalies/check", methods=["POST"])
@roles_required("auditor", "cadre", "committee")
def integrity_anomaly_check():
    back = request.form.get("back") or url_for("admin.integrity_anomalies")
    if not back.startswith("/admin/"):
        back = url_for("admin.integrity_anomalies")
    try:
        anomalies.mark_checked(current_user, request.form.get("rule", ""), request.form.get("fingerprint", ""),
                               request.form.get("note"))
        db.session.commit()
        flash("已标记为已核查", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
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

