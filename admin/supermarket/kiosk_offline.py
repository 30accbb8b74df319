"""A kiosk's offline page (docs/offline.md#staff): allowances out, synced offline sales, refusals and
owed lines; 对账 of an owed line; 退回离线额度 for a lost or retired kiosk."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused, refused_on_field
from admin.supermarket.forms import ReturnAllowancesForm, SettleForm, SkipCounterForm
from extensions import db
from models import KioskDevice
from services.errors import DomainError, ValidationFailed
from services.supermarket import offline_admin

READ_ROLES = ("shopkeeper", "auditor")
ACT_ROLES = ("shopkeeper",)


@bp.route("/kiosks/<int:device_id>/offline")
@roles_required(*READ_ROLES)
def kiosk_offline(device_id: int):
    return _offline_page(db.get_or_404(KioskDevice, device_id))


def _offline_page(device: KioskDevice, form: SettleForm | None = None, refused_line: int | None = None,
                  skip_form: SkipCounterForm | None = None):
    return render_template("admin/goods/kiosk_offline.html", view=offline_admin.kiosk_offline(device),
                           refusal_label=offline_admin.refusal_label, form=form or SettleForm(formdata=None),
                           refused_line=refused_line, can_act=current_user.has_role("admin", *ACT_ROLES),
                           skip_form=skip_form or SkipCounterForm(formdata=None),
                           can_skip=current_user.has_role("admin"))


@bp.route("/kiosks/<int:device_id>/offline/skip", methods=["POST"])
@roles_required()
def kiosk_offline_skip(device_id: int):
    """跳过 the counter a stuck kiosk can never send (admin only: it gives up a sale record)."""
    device = db.get_or_404(KioskDevice, device_id)
    form = SkipCounterForm()

    def page():
        return _offline_page(db.session.get(KioskDevice, device.id), skip_form=form)

    if not form.validate():
        return refused(page)
    try:
        counter = offline_admin.skip_counter(device.id, form.counter.data, current_user, form.note.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"已跳过第 {counter} 笔,这台终端后面的离线兑换会继续同步", "success")
    return redirect(url_for("admin.kiosk_offline", device_id=device.id) + "#refusals")


@bp.route("/kiosks/owed/<int:owed_line_id>/settle", methods=["POST"])
@roles_required(*ACT_ROLES)
def kiosk_owed_settle(owed_line_id: int):
    line, sale = offline_admin.owed_line(owed_line_id)
    device = db.get_or_404(KioskDevice, sale.device_id)
    form = SettleForm()

    def page():
        return _offline_page(db.session.get(KioskDevice, device.id), form, owed_line_id)

    if not form.validate():
        return refused(page)
    try:
        offline_admin.settle(owed_line_id, current_user, form.note.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"已对账:{offline_admin.OWED_KINDS[line.kind]} {line.quantity}", "success")
    return redirect(url_for("admin.kiosk_offline", device_id=device.id) + "#owed")


@bp.route("/kiosks/<int:device_id>/offline/return", methods=["GET", "POST"])
@roles_required(*ACT_ROLES)
def kiosk_allowance_return(device_id: int):
    """退回离线额度: the GET is the confirmation page saying what happens; the POST does it."""
    device = db.get_or_404(KioskDevice, device_id)
    form = ReturnAllowancesForm()

    def page():
        households, points = offline_admin.allowances_out(device.id)
        return render_template("admin/goods/kiosk_return.html", device=device, households=households,
                               points=points, form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    try:
        households, points = offline_admin.return_allowances(device, current_user)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"已把这台终端保管的 {points} 分退回 {households} 户", "success")
    return redirect(url_for("admin.kiosk_offline", device_id=device.id))
