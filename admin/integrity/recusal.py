"""回避: staff declare the households they may not act for; refusals are written to the audit log."""
from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.integrity import STAFF, _done, _failed, _form_id
from extensions import db
from models import Household, StaffUser
from services.errors import DomainError
from services.integrity import recusal


@bp.after_app_request
def _write_recusal_refusals(response):
    """A refusal rolled back with its request is written to the audit log here (also for the kiosk API)."""
    try:
        recusal.write_pending_refusals()
    except Exception:  # never turn a refusal page into a 500
        db.session.rollback()
    return response


@bp.route("/integrity/recusal", methods=["GET", "POST"])
@roles_required(*STAFF)
def integrity_recusal():
    if request.method == "POST":
        try:
            _form_id("user_id")
            user_id = request.form.get("user_id", type=int) or current_user.id
            recusal.declare(current_user, user_id, _form_id("household_id"), request.form.get("relation"))
            return _done("admin.integrity_recusal", "已登记回避:今后不能为这一户记分、评分、审批或办理")
        except DomainError as error:
            return _failed(error, "admin.integrity_recusal")
    mine = None if current_user.has_role("admin") else current_user.id
    rows = recusal.declarations(mine)
    users = {u.id: u for u in db.session.execute(select(StaffUser)).scalars()}
    homes = {h.id: h for h in db.session.execute(
        select(Household).where(Household.id.in_({r.household_id for r in rows} | {u.household_id for u in users.values()
                                                                                    if u.household_id}))).scalars()}
    return render_template("admin/integrity/recusal.html", rows=rows, users=users, homes=homes)


@bp.route("/integrity/recusal/withdraw", methods=["POST"])
@roles_required()
def integrity_recusal_withdraw():
    try:
        _form_id("declaration_id")
        recusal.withdraw(current_user, request.form.get("declaration_id", type=int))
        return _done("admin.integrity_recusal", "已撤销这条回避申报")
    except DomainError as error:
        return _failed(error, "admin.integrity_recusal")

