"""Integrity screens: recusal declarations, anomaly audit, two-person goods controls, stocktake (盘点),
the points fund (资金台账) and its dashboard and exports."""
from flask import request

from admin import bp
from extensions import db
from services import recusal


@bp.after_app_request
def _write_recusal_refusals(response):
    """A refusal rolled back with its request is written to the audit log here (also for the kiosk API)."""
    try:
        recusal.write_pending_refusals()
    except Exception:  # never turn a refusal page into a 500
        db.session.rollback()
    return response


def hold_stock_change(goods, form) -> bool:
    """Called by the goods page before a loss/adjustment: True when it went to the second-person queue
    (committed and flashed) or was refused (flashed); False when it is small and the page goes on."""
    from flask import flash
    from flask_login import current_user

    from services import stocktake
    from services.errors import DomainError

    try:
        quantity = int(str(form.get("quantity")).strip())
    except (TypeError, ValueError):
        return False  # the goods service gives the clear message
    if abs(quantity) * goods.price <= stocktake.threshold():
        return False
    try:
        _, control = stocktake.change_stock(current_user, goods, quantity, form.get("kind"), form.get("note"))
        db.session.commit()
        flash(f"数量较大(价值 {control.points_value} 分),已提交,须由另一位工作人员复核后生效", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return True


def hold_void(row, reason) -> bool:
    """Called by the redemption page before a void: True when the void waits for a second person."""
    from flask import flash
    from flask_login import current_user

    from services import stocktake
    from services.errors import DomainError

    if row.total_points <= stocktake.threshold():
        return False
    try:
        stocktake.request_void(current_user, row.id, reason)
        db.session.commit()
        flash("金额较大,作废申请已提交,须由另一位工作人员复核后生效", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return True
