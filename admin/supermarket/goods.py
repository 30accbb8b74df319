"""积分超市 staff pages: goods and photos, 入库/报损/盘点, low stock, monthly reconciliation and its
Excel export (兑换台账), redemptions and 作废, kiosk devices (pairing codes, disable)."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.scope import chosen_site
from admin.supermarket.goods_export import ledger_workbook
from admin.integrity import controls as integrity
from extensions import db
from models import Goods, KioskDevice, Redemption, Site, StockMovement
from models.goods import LIMIT_PERIODS, MOVEMENT_KINDS, STOCK_SOURCES
from models.clock import local_today
from services.staff import audit
from services.supermarket import devices as kiosk_devices
from services.supermarket import redemption
from services.supermarket import goods as goods_service
from services.staff.scope import require_site, sites_in_scope
from services.errors import DomainError

SHOP_ROLES = ("shopkeeper",)




def _goods_in_scope(goods_id: int) -> Goods:
    goods = db.get_or_404(Goods, goods_id)
    require_site(current_user, goods.site_id)
    return goods


@bp.route("/goods")
@roles_required(*SHOP_ROLES)
def goods_list():
    site = chosen_site()
    return render_template("admin/goods/list.html", site=site, sites=sites_in_scope(current_user), periods=LIMIT_PERIODS,
                           goods=goods_service.goods_for_site(site.id))


@bp.route("/goods/new", methods=["GET", "POST"])
@roles_required(*SHOP_ROLES)
def goods_new():
    return _goods_form(chosen_site(), None)


@bp.route("/goods/<int:goods_id>/edit", methods=["GET", "POST"])
@roles_required(*SHOP_ROLES)
def goods_edit(goods_id: int):
    goods = _goods_in_scope(goods_id)
    return _goods_form(goods.site, goods)


def _goods_form(site: Site, goods):
    values = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            before = _snapshot(goods)
            goods = goods_service.save_goods(site.id, request.form, goods)
            upload = request.files.get("photo")
            if upload and upload.filename:
                goods_service.set_photo(goods, upload.read())
            audit.record(current_user, "goods.save", "goods", goods.id, before=before, after=_snapshot(goods),
                         site_id=site.id)
            db.session.commit()
            flash(f"已保存“{goods.name}”", "success")
            return redirect(url_for("admin.goods_detail", goods_id=goods.id))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return render_template("admin/goods/form.html", site=site, goods=goods, values=values,
                           periods=LIMIT_PERIODS), 400 if request.method == "POST" else 200


def _snapshot(goods) -> dict | None:
    if goods is None:
        return None
    return {k: getattr(goods, k) for k in ("name", "category", "price", "unit", "low_stock", "limit_qty",
                                           "limit_period", "active", "photo_version")}


@bp.route("/goods/<int:goods_id>")
@roles_required(*SHOP_ROLES, "auditor")
def goods_detail(goods_id: int):
    goods = _goods_in_scope(goods_id)
    moves = db.session.execute(select(StockMovement).where(StockMovement.goods_id == goods.id)
                               .order_by(StockMovement.id.desc()).limit(200)).scalars().all()
    return render_template("admin/goods/detail.html", goods=goods, moves=moves, kinds=MOVEMENT_KINDS,
                           sources=STOCK_SOURCES, periods=LIMIT_PERIODS, today=local_today())


@bp.route("/goods/<int:goods_id>/stock", methods=["POST"])
@roles_required(*SHOP_ROLES)
def goods_stock(goods_id: int):
    goods = _goods_in_scope(goods_id)
    form = request.form
    if form.get("kind") in ("loss", "adjust") and integrity.hold_stock_change(goods, form):
        return redirect(url_for("admin.goods_detail", goods_id=goods_id))
    try:
        if form.get("kind") == "in":
            move = goods_service.stock_in(goods, form.get("quantity"), form.get("source"), form.get("source_name"),
                                          form.get("note"), form.get("movement_date"), current_user)
        else:
            move = goods_service.stock_out(goods, form.get("quantity"), form.get("kind"), form.get("note"),
                                           current_user)
        audit.record(current_user, f"stock.{move.kind}", "goods", goods.id, after={"quantity": move.quantity},
                     site_id=goods.site_id)
        db.session.commit()
        flash(f"{MOVEMENT_KINDS[move.kind]} {abs(move.quantity)}{goods.unit},现有库存 {move.stock_after}", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("admin.goods_detail", goods_id=goods_id))


def _month() -> tuple[int, int]:
    raw = request.args.get("month") or local_today().strftime("%Y-%m")
    try:
        year, month = (int(x) for x in raw.split("-"))
        date(year, month, 1)
    except ValueError:
        abort(400, "月份格式应为 2026-01")
    return year, month


@bp.route("/goods/reconciliation")
@roles_required(*SHOP_ROLES, "auditor")
def goods_reconciliation():
    site, (year, month) = chosen_site(), _month()
    rows = goods_service.reconciliation(site.id, year, month)
    if request.args.get("format") == "xlsx":
        lines = _month_redemptions(site.id, year, month)
        data = ledger_workbook(site, year, month, rows, lines)
        return send_file(data, as_attachment=True, download_name=f"兑换台账-{site.code}-{year}{month:02d}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return render_template("admin/goods/reconciliation.html", site=site, sites=sites_in_scope(current_user), rows=rows,
                           month=f"{year}-{month:02d}")


def _month_redemptions(site_id: int, year: int, month: int) -> list[Redemption]:
    from datetime import datetime, timezone

    from models.clock import local_zone

    def utc(day):
        return datetime.combine(day, datetime.min.time(), tzinfo=local_zone()).astimezone(timezone.utc) \
            .replace(tzinfo=None)

    first, after = date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)
    return list(db.session.execute(
        select(Redemption).where(Redemption.site_id == site_id, Redemption.created_at >= utc(first),
                                 Redemption.created_at < utc(after)).order_by(Redemption.id)).scalars())


@bp.route("/redemptions")
@roles_required(*SHOP_ROLES, "auditor")
def redemptions_list():
    site = chosen_site()
    rows = db.session.execute(select(Redemption).where(Redemption.site_id == site.id)
                              .order_by(Redemption.id.desc()).limit(200)).scalars().all()
    return render_template("admin/goods/redemptions.html", site=site, sites=sites_in_scope(current_user), rows=rows)


@bp.route("/redemptions/<int:redemption_id>")
@roles_required(*SHOP_ROLES, "auditor")
def redemption_detail(redemption_id: int):
    row = db.get_or_404(Redemption, redemption_id)
    require_site(current_user, row.site_id)
    return render_template("admin/goods/redemption.html", r=row)


@bp.route("/redemptions/<int:redemption_id>/void", methods=["POST"])
@roles_required(*SHOP_ROLES)
def redemption_void(redemption_id: int):
    row = db.get_or_404(Redemption, redemption_id)
    require_site(current_user, row.site_id)
    if integrity.hold_void(row, request.form.get("reason")):
        return redirect(url_for("admin.redemption_detail", redemption_id=redemption_id))
    try:
        redemption.void(redemption_id, current_user, request.form.get("reason"))
        db.session.commit()
        flash("已作废:积分已退回,商品已退回库存", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("admin.redemption_detail", redemption_id=redemption_id))


@bp.route("/kiosks")
@roles_required()
def kiosks_list():
    devices = db.session.execute(select(KioskDevice).order_by(KioskDevice.site_id, KioskDevice.id)).scalars().all()
    return render_template("admin/goods/kiosks.html", devices=devices, sites=sites_in_scope(current_user))


@bp.route("/kiosks/new", methods=["POST"])
@roles_required()
def kiosk_new():
    site = chosen_site()
    try:
        device, code = kiosk_devices.create_device(site.id, request.form.get("name"), current_user)
        audit.record(current_user, "kiosk.create", "kiosk_device", device.id, site_id=site.id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.kiosks_list"))
    return render_template("admin/goods/kiosk_code.html", device=device, code=code)


@bp.route("/kiosks/<int:device_id>/code", methods=["POST"])
@roles_required()
def kiosk_code(device_id: int):
    device = db.get_or_404(KioskDevice, device_id)
    if device.status == "disabled":
        device.status = "pending"
    code = kiosk_devices.new_pairing_code(device)
    audit.record(current_user, "kiosk.pairing_code", "kiosk_device", device.id, site_id=device.site_id)
    db.session.commit()
    return render_template("admin/goods/kiosk_code.html", device=device, code=code)


@bp.route("/kiosks/<int:device_id>/disable", methods=["POST"])
@roles_required()
def kiosk_disable(device_id: int):
    device = db.get_or_404(KioskDevice, device_id)
    kiosk_devices.disable(device)
    audit.record(current_user, "kiosk.disable", "kiosk_device", device.id, site_id=device.site_id)
    db.session.commit()
    flash(f"已停用终端“{device.name}”,它不能再兑换", "success")
    return redirect(url_for("admin.kiosks_list"))
