"""QR cards: print (issues a new generation), report lost, revoke, staff lookup by short code."""
from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.households.forms import ActionForm, CardPrintForm, ShortCodeForm
from extensions import db
from models import Card
from services.errors import ValidationFailed
from services.households import card_actions
from services.households.card_pdf import render_sheet, render_single
from services.households.cards import card_by_short_code
from services.pdf_fonts import find_font
from services.staff.scope import require_site


@bp.route("/cards/print", methods=["POST"])
@roles_required("cadre")
def cards_print():
    form = CardPrintForm()
    if not form.validate_on_submit():
        raise ValidationFailed("请先勾选要制卡的住户")
    find_font()  # no font, no cards: fail before anything is issued
    printed = card_actions.issue_for_print(current_user, form.household_ids.data)
    faces = [item.face() for item in printed]
    name = f"cards-{printed[0].household.id}.pdf" if len(printed) == 1 else f"cards-{len(printed)}.pdf"
    db.session.commit()  # commit first: rendering must not hold the SQLite write lock the kiosks need
    pdf = (render_single if form.layout.data == "single" else render_sheet)(faces)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"})


@bp.route("/cards/handover", methods=["POST"])
@roles_required("cadre")
def cards_handover():
    """确认换卡: the new cards arrived; the older cards of these households stop working."""
    form = CardPrintForm()
    if not form.validate_on_submit():
        raise ValidationFailed("请先选择已拿到新卡的住户")
    stopped = card_actions.confirm_handover(current_user, form.household_ids.data)
    db.session.commit()
    flash(f"已确认换卡:{len(set(form.household_ids.data))} 户的新卡启用,旧卡 {stopped} 张已停用", "success")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/admin/") else url_for("admin.households"))


@bp.route("/cards/<int:card_id>/lost", methods=["POST"])
@roles_required("cadre", "shopkeeper")
def card_lost(card_id: int):
    return _set_status(card_id, "lost", "已挂失,这张卡立即停用;请为这一户制作新卡")


@bp.route("/cards/<int:card_id>/revoke", methods=["POST"])
@roles_required("cadre")
def card_revoke(card_id: int):
    return _set_status(card_id, "revoked", "已作废,这张卡立即停用")


def _set_status(card_id: int, status: str, message: str):
    card = db.get_or_404(Card, card_id)
    if not ActionForm().validate_on_submit():
        raise ValidationFailed("页面已过期,请刷新后重试")
    card_actions.set_status(current_user, card, status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.household_detail", household_id=card.household_id))


@bp.route("/cards/lookup")
@roles_required("cadre", "committee", "shopkeeper", "auditor")
def card_lookup():
    form = ShortCodeForm(request.args)
    if request.args and form.validate():
        card = card_by_short_code(form.code.data)
        require_site(current_user, card.household.site_id)
        return redirect(url_for("admin.household_detail", household_id=card.household_id))
    return render_template("admin/cards/lookup.html", form=form)
