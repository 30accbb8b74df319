"""The redemption: ONE transaction of conditional stock UPDATEs, the ledger debit and the rows.

Idempotent by the kiosk's request_id (unique): a retry or a double tap gets the first result,
also when two copies race (the loser's IntegrityError is rolled back and the stored result
returned). Lock order everywhere: redemption row, goods by id, then the household (ledger)."""
import uuid
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Goods, KioskDevice, Redemption, RedemptionLine, StockMovement
from models.clock import local_today, utcnow
from models.goods import LIMIT_PERIODS
from services import audit, ledger
from services.cards import CardUnusable
from services.errors import DomainError, Forbidden, IdempotencyConflict, NotFound, ValidationFailed
from services.goods import add_stock, period_start, take_stock
from services.kiosk_devices import get_session
from services.recusal import ensure_not_recused

MAX_LINES = 30
MAX_QTY = 99


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    status = 409
    message = "超过了每户限兑数量"


class GoodsUnavailable(DomainError):
    code = "goods_unavailable"
    status = 409
    message = "这个商品已下架"


class PriceChanged(DomainError):
    code = "price_changed"
    status = 409
    message = "商品价格有变化,请重新确认"


def parse_request_id(value) -> str:
    try:
        return str(uuid.UUID(str(value))) if isinstance(value, str) and len(value) <= 40 else _bad_request_id()
    except ValueError:
        return _bad_request_id()


def _bad_request_id():
    raise ValidationFailed("请求编号(request_id)缺失或格式不对")


def parse_cart(cart) -> dict[int, int]:
    """[{"goods_id": 3, "qty": 2}, ...] -> {3: 2}; strict integers, 1..MAX_QTY, merged."""
    if not isinstance(cart, list) or not cart:
        raise ValidationFailed("购物车是空的,请先选择商品")
    if len(cart) > MAX_LINES:
        raise ValidationFailed(f"一次最多兑换 {MAX_LINES} 种商品")
    merged: dict[int, int] = {}
    for line in cart:
        if not isinstance(line, dict):
            raise ValidationFailed("购物车格式不对")
        goods_id, qty = line.get("goods_id"), line.get("qty")
        if type(goods_id) is not int or not 0 < goods_id < 2**31:
            raise ValidationFailed("商品编号不对")
        if type(qty) is not int:
            raise ValidationFailed("数量必须是整数")
        if qty < 1:
            raise ValidationFailed("数量至少是 1")
        merged[goods_id] = merged.get(goods_id, 0) + qty
        if merged[goods_id] > MAX_QTY:
            raise ValidationFailed(f"每种商品一次最多兑换 {MAX_QTY} 件")
    return merged


def find(request_id: str) -> Optional[Redemption]:
    return db.session.execute(select(Redemption).where(Redemption.request_id == request_id)).scalar_one_or_none()


def _replay(existing: Redemption, device: KioskDevice, cart: dict[int, int]) -> Redemption:
    same = existing.device_id == device.id and {l.goods_id: l.quantity for l in existing.lines} == cart
    if not same:
        raise IdempotencyConflict("这次兑换已经提交过,但内容不同;请重新扫描积分卡")
    return existing


def redeem(device: KioskDevice, session_id, request_id, cart, expected_total=None) -> Redemption:
    """Redeem `cart` for the household of the kiosk session; the first result for a repeated request_id."""
    request_id = parse_request_id(request_id)
    lines = parse_cart(cart)
    existing = find(request_id)
    if existing is not None:
        return _replay(existing, device, lines)
    try:
        return _redeem(device, session_id, request_id, lines, expected_total)
    except IntegrityError:
        db.session.rollback()
        existing = find(request_id)
        if existing is None:
            raise
        return _replay(existing, device, lines)


def _redeem(device, session_id, request_id, lines, expected_total) -> Redemption:
    session = get_session(device, session_id)
    card = session.card
    if card.status != "active" or card.household.status != "active":
        raise CardUnusable("这张卡已停用,请到村(社区)办公室核实", reason=card.status)
    goods = _load_goods(device.site_id, lines)
    total = sum(goods[gid].price * qty for gid, qty in lines.items())
    if expected_total is not None and expected_total != total:
        raise PriceChanged(total=total)
    # household= and lines=[] hand the receipt objects already in memory: no lazy SELECT of the
    # household (garbage-collected from the identity map by then) nor of the empty lines collection
    redemption = Redemption(request_id=request_id, household=card.household, site_id=device.site_id,
                            device_id=device.id, card_id=card.id, total_points=total, balance_after=0, lines=[])
    db.session.add(redemption)
    db.session.flush()
    note = f"积分超市兑换 {redemption.receipt_no}"  # loads the site before any goods row is locked
    for goods_id in sorted(lines):
        _take_line(redemption, goods[goods_id], lines[goods_id])
    entry = ledger.post(session.household_id, -total, "redemption", ledger.Source("redemption", redemption.id),
                        None, note, f"redeem:{request_id}")
    _check_limits(session.household_id, [goods[gid] for gid in sorted(lines)])
    redemption.ledger_entry_id, redemption.balance_after = entry.id, entry.balance_after
    db.session.flush()
    return redemption


def _load_goods(site_id: int, lines: dict[int, int]) -> dict[int, Goods]:
    found = {g.id: g for g in db.session.execute(select(Goods).where(Goods.id.in_(lines))).scalars()}
    for goods_id in lines:
        goods = found.get(goods_id)
        if goods is None:
            raise NotFound("没有这个商品,请刷新后重试", goods_id=goods_id)
        if goods.site_id != site_id:
            raise Forbidden("这个商品不属于本超市", goods_id=goods_id)
        if not goods.active:
            raise GoodsUnavailable(f"“{goods.name}”已下架", goods_id=goods_id)
    return found


def _take_line(redemption: Redemption, goods: Goods, qty: int) -> None:
    after = take_stock(goods, qty)
    redemption.lines.append(RedemptionLine(goods_id=goods.id, name=goods.name, unit=goods.unit,
                                           price=goods.price, quantity=qty, points=goods.price * qty))
    db.session.add(StockMovement(goods_id=goods.id, site_id=goods.site_id, kind="redeem", quantity=-qty,
                                 stock_after=after, movement_date=local_today(),
                                 redemption_id=redemption.id, note=None))


def used_in_period(household_id: int, goods: Goods) -> int:
    """Units of `goods` the household redeemed (not voided) in the current limit period."""
    return int(db.session.execute(
        select(func.coalesce(func.sum(RedemptionLine.quantity), 0))
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .where(Redemption.household_id == household_id, Redemption.status == "done",
               RedemptionLine.goods_id == goods.id, Redemption.created_at >= period_start(goods.limit_period))
    ).scalar_one())


def limit_left(household_id: int, goods: Goods) -> Optional[int]:
    if not goods.limit_qty:
        return None
    return max(goods.limit_qty - used_in_period(household_id, goods), 0)


def _check_limits(household_id: int, goods_list: list[Goods]) -> None:
    """After the household row is locked by the ledger debit, so two kiosks cannot both pass."""
    for goods in goods_list:
        if goods.limit_qty and used_in_period(household_id, goods) > goods.limit_qty:
            period = LIMIT_PERIODS[goods.limit_period]
            raise LimitExceeded(f"“{goods.name}”{period}每户限兑 {goods.limit_qty}{goods.unit},已经超过了",
                                goods_id=goods.id)


def void(redemption_id: int, actor, reason: str) -> Redemption:
    """作废: credit the points back (redemption_void) and restock, exactly once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写作废原因")
    if len(reason) > 500:
        raise ValidationFailed("作废原因不能超过 500 个字")
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound("没有这笔兑换记录")
    ensure_not_recused(actor, redemption.household_id, "redemption.void")
    claimed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption_id, Redemption.status == "done")
        .values(status="void", void_reason=reason, voided_by=actor.id, voided_at=utcnow())
    ).rowcount
    db.session.refresh(redemption)
    if claimed != 1:
        return redemption
    for line in sorted(redemption.lines, key=lambda l: l.goods_id):
        goods = db.session.get(Goods, line.goods_id)
        after = add_stock(goods, line.quantity)
        db.session.add(StockMovement(goods_id=goods.id, site_id=goods.site_id, kind="void", quantity=line.quantity,
                                     stock_after=after, movement_date=local_today(),
                                     redemption_id=redemption.id, actor_id=actor.id, note=reason))
    entry = ledger.post(redemption.household_id, redemption.total_points, "redemption_void",
                        ledger.Source("redemption_void", redemption.id), actor, reason, f"void:{redemption.id}")
    redemption.void_entry_id = entry.id
    audit.record(actor, "redemption.void", "redemption", redemption.id, after={"reason": reason},
                 site_id=redemption.site_id)
    db.session.flush()
    return redemption


def get(redemption_id: int) -> Redemption:
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound("没有这笔兑换记录")
    return redemption
