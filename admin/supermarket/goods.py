"""积分超市 staff pages: goods and photos, 入库/报损/盘点, low stock, monthly reconciliation and its
Excel export (兑换台账), redemptions and 作废, kiosk devices (pairing codes, disable)."""
from datetime import date

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import controls as integrity
from admin.scope import chosen_site
from admin.supermarket.forms import GoodsForm, KioskForm, StockForm, VoidForm
from admin.supermarket.goods_export import ledger_workbook
from extensions import db
from models import Goods, KioskDevice, Redemption, Site, StockMovement
from models.clock import local_today
from models.goods import LIMIT_PERIODS, MOVEMENT_KINDS, STOCK_SOURCES
from services import fields
from services.errors import DomainError
from services.staff import audit
from services.staff.scope import require_site, sites_in_scope
from services.supermarket import devices as kiosk_devices
from services.supermarket import goods as goods_service
from services.supermarket import redemption

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
    form = GoodsForm(obj=goods)

    def page():
        return render_template("admin/goods/form.html", site=site, goods=goods, form=form, periods=LIMIT_PERIODS)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    before = _snapshot(goods)
    values = {name: getattr(form, name).data for name in
              ("name", "category", "price", "unit", "low_stock", "limit_qty", "limit_period", "active")}
    try:
        saved = goods_service.save_goods(site.id, values, goods)
        upload = form.photo.data  # the stored photo's bytes (from obj=goods) when no file was sent
        if isinstance(upload, FileStorage) and upload.filename:
            goods_service.set_photo(saved, upload.read())
    except DomainError as error:
        return refused(page, error)
    audit.record(current_user, "goods.save", "goods", saved.id, before=before, after=_snapshot(saved),
                 site_id=site.id)
    db.session.commit()
    flash(f"已保存“{saved.name}”", "success")
    return redirect(url_for("admin.goods_detail", goods_id=saved.id))


def _snapshot(goods) -> dict | None:
    if goods is None:
        return None
    return {k: getattr(goods, k) for k in ("name", "category", "price", "unit", "low_stock", "limit_qty",
                                           "limit_period", "active", "photo_version")}


@bp.route("/goods/<int:goods_id>")
@roles_required(*SHOP_ROLES, "auditor")
def goods_detail(goods_id: int):
    return _detail_page(_goods_in_scope(goods_id))


def _detail_page(goods: Goods, stock_form: StockForm | None = None):
    """The goods page; a refused 入库 or 报损/盘点 form is shown again in its own box with its errors."""
    moves = db.session.execute(select(StockMovement).where(StockMovement.goods_id == goods.id)
                               .order_by(StockMovement.id.desc()).limit(200)).scalars().all()
    blank = StockForm(formdata=None)
    refused_in = stock_form is not None and stock_form.kind.data == "in"
    return render_template("admin/goods/detail.html", goods=goods, moves=moves, kinds=MOVEMENT_KINDS,
                           sources=STOCK_SOURCES, periods=LIMIT_PERIODS, today=local_today(),
                           can_manage=current_user.has_role("admin", *SHOP_ROLES),
                           in_form=stock_form if refused_in else blank,
                           out_form=stock_form if stock_form is not None and not refused_in else blank)


@bp.route("/goods/<int:goods_id>/stock", methods=["POST"])
@roles_required(*SHOP_ROLES)
def goods_stock(goods_id: int):
    goods = _goods_in_scope(goods_id)
    form = StockForm()
    if not form.validate():
        return refused(lambda: _detail_page(goods, form))
    try:
        if form.kind.data != "in" and integrity.hold_stock_change(goods, form.quantity.data, form.kind.data,
                                                                  form.note.data):
            return redirect(url_for("admin.goods_detail", goods_id=goods_id))
        if form.kind.data == "in":
            move = goods_service.stock_in(goods, form.quantity.data, form.source.data, form.source_name.data,
                                          form.note.data, form.movement_date.data, current_user)
        else:
            move = goods_service.stock_out(goods, form.quantity.data, form.kind.data, form.note.data, current_user)
    except DomainError as error:
        return refused(lambda: _detail_page(goods, form), error)
    audit.record(current_user, f"stock.{move.kind}", "goods", goods.id, after={"quantity": move.quantity},
                 site_id=goods.site_id)
    db.session.commit()
    flash(f"{MOVEMENT_KINDS[move.kind]} {abs(move.quantity)}{goods.unit},现有库存 {move.stock_after}", "success")
    return redirect(url_for("admin.goods_detail", goods_id=goods_id))


def _month() -> tuple[int, int]:
    """?month=2026-01, the current month when left out; a bad one is refused (400)."""
    return fields.month(request.args.get("month"), required=False) or (local_today().year, local_today().month)


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
    # the page shows each row's household, site (receipt number) and lines: three queries, not 600
    rows = db.session.execute(select(Redemption).where(Redemption.site_id == site.id)
                              .options(joinedload(Redemption.household), joinedload(Redemption.site),
                                       selectinload(Redemption.lines))
                              .order_by(Redemption.id.desc()).limit(200)).scalars().all()
    return render_template("admin/goods/redemptions.html", site=site, sites=sites_in_scope(current_user), rows=rows)


@bp.route("/redemptions/<int:redemption_id>")
@roles_required(*SHOP_ROLES, "auditor")
def redemption_detail(redemption_id: int):
    row = db.get_or_404(Redemption, redemption_id)
    require_site(current_user, row.site_id)
    return _redemption_page(row)


def _redemption_page(row: Redemption, form: VoidForm | None = None):
    return render_template("admin/goods/redemption.html", r=row, form=form or VoidForm(formdata=None),
                           can_void=row.status == "done" and current_user.has_role("admin", *SHOP_ROLES))


@bp.route("/redemptions/<int:redemption_id>/void", methods=["POST"])
@roles_required(*SHOP_ROLES)
def redemption_void(redemption_id: int):
    row = db.get_or_404(Redemption, redemption_id)
    require_site(current_user, row.site_id)
    form = VoidForm()
    if not form.validate():
        return refused(lambda: _redemption_page(row, form))
    try:
        if integrity.hold_void(row, form.reason.data):
            return redirect(url_for("admin.redemption_detail", redemption_id=redemption_id))
        redemption.void(redemption_id, current_user, form.reason.data)
    except DomainError as error:
        return refused(lambda: _redemption_page(db.session.get(Redemption, redemption_id), form), error)
    db.session.commit()
    flash("已作废:积分已退回,商品已退回库存", "success")
    return redirect(url_for("admin.redemption_detail", redemption_id=redemption_id))


@bp.route("/kiosks")
@roles_required()
def kiosks_list():
    return _kiosks_page(KioskForm(formdata=None))


def _kiosks_page(form: KioskForm):
    devices = db.session.execute(select(KioskDevice).options(joinedload(KioskDevice.site))
                                 .order_by(KioskDevice.site_id, KioskDevice.id)).scalars().all()
    return render_template("admin/goods/kiosks.html", devices=devices, sites=sites_in_scope(current_user), form=form,
                           can_disable={d.id for d in devices if d.status != "disabled"})


@bp.route("/kiosks/new", methods=["POST"])
@roles_required()
def kiosk_new():
    form = KioskForm()
    if not form.validate():
        return refused(lambda: _kiosks_page(form))
    site = chosen_site()
    try:
        device, code = kiosk_devices.create_device(site.id, form.name.data, current_user)
    except DomainError as error:
        return refused(lambda: _kiosks_page(form), error)
    audit.record(current_user, "kiosk.create", "kiosk_device", device.id, site_id=site.id)
    db.session.commit()
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
    returned = kiosk_devices.disable(device, current_user)
    audit.record(current_user, "kiosk.disable", "kiosk_device", device.id, site_id=device.site_id)
    db.session.commit()
    back = f";它保留的 {returned} 分离线额度已退回各户余额" if returned else ""
    flash(f"已停用终端“{device.name}”,它不能再兑换{back}", "success")
    return redirect(url_for("admin.kiosks_list"))
