"""Two-person controls: large stock changes and voids wait for a second member of staff."""
from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import _done, _first_error
from admin.integrity.forms import DecisionForm
from admin.scope import scoped_arg
from extensions import db
from models import StaffUser
from models.fund import CONTROL_KINDS, CONTROL_STATUSES, GoodsControl
from services.errors import DomainError
from services.supermarket import stocktake as stocktakes


@scoped_arg("control_id")
def _control_site(control_id):
    return db.session.execute(select(GoodsControl.site_id).where(GoodsControl.id == control_id)).scalar_one_or_none()


def hold_stock_change(goods, quantity: int, kind: str, note) -> bool:
    """Called by the goods page before a loss/adjustment: True when it is large and went to the
    second-person queue (committed and flashed); False when it is small and the page goes on.
    Raises the service's DomainError when it is refused (nothing written)."""
    if abs(quantity) * goods.price <= stocktakes.threshold():
        return False
    _, control = stocktakes.change_stock(current_user, goods, quantity, kind, note)
    db.session.commit()
    flash(f"数量较大(价值 {control.points_value} 分),已提交,须由另一位工作人员复核后生效", "success")
    return True


def hold_void(row, reason) -> bool:
    """Called by the redemption page before a void: True when the void waits for a second person
    (committed and flashed). Raises the service's DomainError when it is refused."""
    if row.total_points <= stocktakes.threshold():
        return False
    stocktakes.request_void(current_user, row.id, reason)
    db.session.commit()
    flash("金额较大,作废申请已提交,须由另一位工作人员复核后生效", "success")
    return True


@bp.route("/integrity/controls")
@roles_required("shopkeeper", "cadre", "auditor")
def integrity_controls():
    return _controls_page(request.args.get("status", "pending"))


def _controls_page(status: str):
    rows = stocktakes.controls(current_user, status if status in CONTROL_STATUSES else None)
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    decider = current_user.has_role("admin", "shopkeeper", "cadre")
    return render_template("admin/integrity/controls.html", rows=rows, names=names, kinds=CONTROL_KINDS,
                           statuses=CONTROL_STATUSES, status=status, threshold=stocktakes.threshold(),
                           can_decide={c.id for c in rows if decider and c.status == "pending"
                                       and c.requested_by_id != current_user.id})


@bp.route("/integrity/controls/<int:control_id>/decide", methods=["POST"])
@roles_required("shopkeeper", "cadre")
def integrity_control_decide(control_id: int):
    form = DecisionForm()
    if not form.validate():
        return refused(lambda: _controls_page("pending"), _first_error(form))
    try:
        stocktakes.decide(current_user, control_id, form.decision.data == "confirm", form.note.data)
    except DomainError as error:
        return refused(lambda: _controls_page("pending"), error)
    return _done("admin.integrity_controls", "已复核")
