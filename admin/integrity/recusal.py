"""回避: staff declare the households they may not act for; refusals are written to the audit log."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import STAFF, _done, _first_error
from admin.integrity.forms import RecusalForm, RecusalWithdrawForm
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
    form = RecusalForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return refused(lambda: _page(form))
    try:
        recusal.declare(current_user, form.user_id.data or current_user.id, form.household_id.data,
                        form.relation.data)
    except DomainError as error:
        return refused(lambda: _page(form), error)
    return _done("admin.integrity_recusal", "已登记回避:今后不能为这一户记分、评分、审批或办理")


def _page(form: RecusalForm):
    admin = current_user.has_role("admin")
    rows = recusal.declarations(None if admin else current_user.id)
    users = {u.id: u for u in db.session.execute(select(StaffUser)).scalars()}
    own = [u for u in users.values() if u.household_id and (admin or u.id == current_user.id)]
    homes = {h.id: h for h in db.session.execute(
        select(Household).where(Household.id.in_({r.household_id for r in rows} | {u.household_id for u in users.values()
                                                                                    if u.household_id}))).scalars()}
    return render_template("admin/integrity/recusal.html", rows=rows, users=users, homes=homes, own=own, form=form,
                           can_choose_user=admin, can_withdraw=admin)


@bp.route("/integrity/recusal/withdraw", methods=["POST"])
@roles_required()
def integrity_recusal_withdraw():
    form = RecusalWithdrawForm()
    if not form.validate():
        return refused(lambda: _page(RecusalForm(formdata=None)), _first_error(form))
    try:
        recusal.withdraw(current_user, form.declaration_id.data)
    except DomainError as error:
        return refused(lambda: _page(RecusalForm(formdata=None)), error)
    return _done("admin.integrity_recusal", "已撤销这条回避申报")
