"""Goods controls that do not rely on one person, and the monthly stocktake (盘点).

- A stock adjustment, loss or redemption void whose value passes GOODS_CONTROL_POINTS waits as a
  GoodsControl until a DIFFERENT staff member confirms it; the stock itself only ever moves through
  services.supermarket.goods (conditional UPDATEs) and services.supermarket.redemption.void.
- A stocktake records counted quantities against the book; posting turns every difference into an
  adjustment with its reason (through the same two-person rule); 账实不符 is reported per site and month.
"""
from dataclasses import dataclass
from datetime import date
from typing import Optional

from flask import current_app
from sqlalchemy import func, select, update

from extensions import db
from models import Goods, Redemption, Site
from models.clock import local_today, utcnow
from models.fund import GoodsControl, Stocktake, StocktakeLine
from services import fields
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.staff import audit
from services.staff.scope import allowed_site_ids, require_site
from services.supermarket import goods as goods_service
from services.supermarket import redemption

CONTROL_ROLES = ("admin", "shopkeeper", "cadre")


class ControlRefused(DomainError):
    code = "control_refused"
    status = 409
    message = "这条申请不能这样处理"


def threshold() -> int:
    """Changes worth more than this many points need a second person."""
    return int(current_app.config.get("GOODS_CONTROL_POINTS", 200))




def _reason(value) -> str:
    reason = (value or "").strip()
    if not reason:
        raise ValidationFailed("请填写原因")
    if len(reason) > 500:
        raise ValidationFailed("原因请在 500 字以内")
    return reason


# ------------------------------------------------------------------ two-person rule

def change_stock(actor, goods: Goods, quantity, kind: str, reason: str, stocktake_line_id: Optional[int] = None):
    """报损 / 盘点调整. Small: posts now and returns (movement, None). Above the threshold: returns
    (None, pending control)."""
    require_site(actor, goods.site_id)
    if kind not in ("loss", "adjust"):
        raise ValidationFailed("未知的库存操作")
    reason = _reason(reason)
    quantity = fields.integer(quantity, "数量", 1 if kind == "loss" else -goods_service.MAX_STOCK_STEP,
                    goods_service.MAX_STOCK_STEP)
    if quantity == 0:
        raise ValidationFailed("调整数量不能为 0")
    value = abs(quantity) * goods.price
    if value <= threshold():
        move = goods_service.stock_out(goods, quantity, kind, reason, actor)
        return move, None
    if kind == "loss" and quantity > goods.stock or kind == "adjust" and -quantity > goods.stock:
        raise goods_service.OutOfStock(f"“{goods.name}”库存不足(现有 {goods.stock})", goods_id=goods.id)
    control = GoodsControl(site_id=goods.site_id, kind=kind, goods_id=goods.id, quantity=quantity, points_value=value,
                           reason=reason, requested_by_id=actor.id, stocktake_line_id=stocktake_line_id)
    db.session.add(control)
    db.session.flush()
    audit.record(actor, "goods_control.request", "goods_control", control.id, site_id=goods.site_id,
                 after={"kind": kind, "goods_id": goods.id, "quantity": quantity, "points": value})
    return None, control


def request_void(actor, redemption_id: int, reason: str):
    """作废兑换. Small: voids now and returns (redemption, None); large: (None, pending control)."""
    row = db.session.get(Redemption, redemption_id)
    if row is None:
        raise NotFound("没有这笔兑换记录")
    require_site(actor, row.site_id)
    reason = _reason(reason)
    if row.total_points <= threshold():
        return redemption.void(row.id, actor, reason), None
    from services.integrity.recusal import ensure_not_recused

    ensure_not_recused(actor, row.household_id, "redemption.void")
    if row.status != "done":
        raise ControlRefused("这笔兑换已经作废")
    open_one = db.session.execute(select(GoodsControl.id).where(
        GoodsControl.redemption_id == row.id, GoodsControl.status == "pending")).first()
    if open_one:
        raise ControlRefused("这笔兑换的作废申请正在等待复核")
    control = GoodsControl(site_id=row.site_id, kind="void", redemption_id=row.id, points_value=row.total_points,
                           reason=reason, requested_by_id=actor.id)
    db.session.add(control)
    db.session.flush()
    audit.record(actor, "goods_control.request", "goods_control", control.id, site_id=row.site_id,
                 after={"kind": "void", "redemption_id": row.id, "points": row.total_points})
    return None, control


def decide(actor, control_id: int, confirm: bool, note: str = "") -> GoodsControl:
    """The second person confirms (the change happens now) or rejects (with a note)."""
    control = db.session.get(GoodsControl, control_id)
    if control is None:
        raise NotFound("没有这条申请")
    require_site(actor, control.site_id)
    if not actor.has_role(*CONTROL_ROLES):
        raise Forbidden("只有超市管理员、干部或系统管理员可以复核")
    if control.requested_by_id == actor.id:
        raise Forbidden("不能确认自己提出的申请,须由另一位工作人员复核")
    note = (note or "").strip()
    if not confirm and not note:
        raise ValidationFailed("驳回请写明理由")
    claimed = db.session.execute(
        update(GoodsControl).where(GoodsControl.id == control.id, GoodsControl.status == "pending")
        .values(status="confirmed" if confirm else "rejected", decided_by_id=actor.id, decided_at=utcnow(),
                decision_note=note or None).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise ControlRefused("这条申请已经处理过了")
    db.session.refresh(control)
    if confirm:
        if control.kind == "void":
            redemption.void(control.redemption_id, actor, f"{control.reason}(复核确认)")
        else:
            goods = goods_service.get_goods(control.goods_id)
            move = goods_service.stock_out(goods, control.quantity, control.kind,
                                           f"{control.reason}(复核确认)", control.requested_by_id)
            control.movement_id = move.id
    audit.record(actor, f"goods_control.{'confirm' if confirm else 'reject'}", "goods_control", control.id,
                 site_id=control.site_id, after={"note": note})
    db.session.flush()
    return control


def controls(user, status: Optional[str] = "pending", limit: int = 200) -> list[GoodsControl]:
    allowed = allowed_site_ids(user)
    query = select(GoodsControl)
    if status:
        query = query.where(GoodsControl.status == status)
    if allowed is not None:
        query = query.where(GoodsControl.site_id.in_(allowed or {-1}))
    return list(db.session.execute(query.order_by(GoodsControl.id.desc()).limit(limit)).scalars())


# ------------------------------------------------------------------ stocktake (盘点)

def open_stocktake(actor, site_id: int, year: int, month: int) -> Stocktake:
    """A draft count for the month with every goods' book quantity now; one per site and month."""
    require_site(actor, site_id)
    if db.session.get(Site, site_id) is None:
        raise NotFound("没有这个安置点")
    try:
        first = date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise ValidationFailed("月份格式应为 2026-01") from None
    if first > local_today():
        raise ValidationFailed("不能为将来的月份盘点")
    existing = db.session.execute(select(Stocktake).where(
        Stocktake.site_id == site_id, Stocktake.year == first.year, Stocktake.month == first.month)).scalar_one_or_none()
    if existing is not None:
        return existing
    take = Stocktake(site_id=site_id, year=first.year, month=first.month, status="draft", created_by_id=actor.id)
    db.session.add(take)
    for goods in goods_service.goods_for_site(site_id):
        take.lines.append(StocktakeLine(goods_id=goods.id, book_qty=goods.stock))
    db.session.flush()
    audit.record(actor, "stocktake.open", "stocktake", take.id, site_id=site_id,
                 after={"month": f"{first.year}-{first.month:02d}"})
    return take


def record_counts(actor, take: Stocktake, counts: dict, reasons: Optional[dict] = None) -> Stocktake:
    """counts: goods_id -> counted quantity (blank = not counted yet); reasons: goods_id -> text."""
    require_site(actor, take.site_id)
    if take.status != "draft":
        raise ControlRefused("这次盘点已经过账,不能再修改")
    reasons = reasons or {}
    for line in take.lines:
        raw = counts.get(line.goods_id, counts.get(str(line.goods_id)))
        if raw is not None and str(raw).strip() != "":
            line.counted_qty = fields.integer(raw, f"“{line.goods.name}”实盘数量", 0, 10**6)
        reason = reasons.get(line.goods_id, reasons.get(str(line.goods_id)))
        if reason is not None:
            line.reason = (str(reason).strip()[:500]) or None
    db.session.flush()
    return take


def post_stocktake(actor, take: Stocktake) -> dict:
    """Every difference becomes a 盘点调整 with its reason (large ones wait for a second person)."""
    require_site(actor, take.site_id)
    if take.status != "draft":
        raise ControlRefused("这次盘点已经过账")
    missing = [line.goods.name for line in take.lines if line.counted_qty is None]
    if missing:
        raise ValidationFailed("还有商品没有盘点:" + "、".join(missing[:10]))
    no_reason = [line.goods.name for line in take.lines if line.difference and not line.reason]
    if no_reason:
        raise ValidationFailed("账实不符的商品必须写明原因:" + "、".join(no_reason[:10]))
    claimed = db.session.execute(update(Stocktake).where(Stocktake.id == take.id, Stocktake.status == "draft")
                                 .values(status="posted", posted_by_id=actor.id, posted_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise ControlRefused("这次盘点已经过账")
    posted = pending = 0
    label = f"{take.year}年{take.month}月盘点"
    for line in take.lines:
        if not line.difference:
            continue
        move, control = change_stock(actor, line.goods, line.difference, "adjust", f"{label}:{line.reason}",
                                     stocktake_line_id=line.id)
        posted += move is not None
        pending += control is not None
    db.session.refresh(take)
    audit.record(actor, "stocktake.post", "stocktake", take.id, site_id=take.site_id,
                 after={"posted": posted, "pending": pending})
    return {"posted": posted, "pending": pending}


@dataclass
class Mismatch:
    site: Site
    year: int
    month: int
    status: str
    lines: int
    mismatched: int
    difference_units: int
    difference_points: int


def mismatches(user, year: Optional[int] = None) -> list[Mismatch]:
    """账实不符 per site and month, from the stocktakes."""
    allowed = allowed_site_ids(user)
    query = select(Stocktake)
    if allowed is not None:
        query = query.where(Stocktake.site_id.in_(allowed or {-1}))
    if year:
        query = query.where(Stocktake.year == year)
    rows = []
    for take in db.session.execute(query.order_by(Stocktake.year.desc(), Stocktake.month.desc(),
                                                  Stocktake.site_id)).scalars():
        diffs = [line for line in take.lines if line.difference]
        rows.append(Mismatch(db.session.get(Site, take.site_id), take.year, take.month, take.status, len(take.lines),
                             len(diffs), sum(line.difference for line in diffs),
                             sum(line.difference * line.goods.price for line in diffs)))
    return rows


def get_stocktake(stocktake_id: int) -> Stocktake:
    take = db.session.get(Stocktake, stocktake_id)
    if take is None:
        raise NotFound("没有这次盘点")
    return take


def last_count_date(site_id: int) -> Optional[date]:
    row = db.session.execute(select(func.max(Stocktake.posted_at)).where(Stocktake.site_id == site_id)).scalar()
    return row.date() if row else None
