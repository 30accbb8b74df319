"""Goods and stock: catalogue edits, photos, 入库/报损/盘点, low stock, monthly reconciliation.

Stock moves only through conditional UPDATEs here and in services/supermarket/redemption.py, so it can
never go below zero however many kiosks and staff act at once."""
import io
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Optional

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import DateTime, bindparam, func, select, text

from extensions import db
from models import Goods, StockMovement
from models.clock import local_today, local_zone
from models.goods import LIMIT_PERIODS, STOCK_SOURCES
from services import fields
from services.database import Statement, run_together
from services.errors import DomainError, NotFound, ValidationFailed
from services.supermarket.kiosk_phrases import phrase

MAX_PRICE = 100_000
MAX_STOCK_STEP = 100_000
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_SIZE = 640

_TAKE_SQL = text("UPDATE goods SET stock = stock - :q WHERE id = :id AND stock >= :q RETURNING stock")
_ADD_SQL = text("UPDATE goods SET stock = stock + :q WHERE id = :id RETURNING stock")


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409
    message = "库存不足"






def save_goods(site_id: int, form: dict, goods: Optional[Goods] = None) -> Goods:
    """Create or edit goods from form values (all strings); stock is never edited here."""
    name = fields.text(form.get("name"), "名称", 64)
    clash = db.session.execute(select(Goods.id).where(Goods.site_id == site_id, Goods.name == name)).scalar()
    if clash is not None and (goods is None or clash != goods.id):
        raise ValidationFailed(f"本安置点已有名为“{name}”的商品")
    limit_qty = form.get("limit_qty") or None
    limit_period = form.get("limit_period") or None
    if limit_qty is not None:
        limit_qty = fields.integer(limit_qty, "限购数量", 1, 999)
        if limit_period not in LIMIT_PERIODS:
            raise ValidationFailed("设置限购数量时请选择限购周期")
    else:
        limit_period = None
    if goods is None:
        goods = Goods(site_id=site_id, stock=0)
        db.session.add(goods)
    goods.name = name
    goods.category = fields.text(form.get("category"), "分类", 32, required=False) or "其他"
    goods.price = fields.integer(form.get("price"), "积分价格", 1, MAX_PRICE)
    goods.unit = fields.text(form.get("unit"), "单位", 16, required=False) or "个"
    goods.low_stock = fields.integer(form.get("low_stock") or 5, "库存预警线", 0, MAX_STOCK_STEP)
    goods.limit_qty, goods.limit_period = limit_qty, limit_period
    goods.active = form.get("active") in ("1", "on", "true", True)
    db.session.flush()
    return goods


def process_photo(data: bytes) -> bytes:
    """Check it is an image, shrink to PHOTO_SIZE, drop EXIF/metadata, return JPEG bytes."""
    if not data:
        raise ValidationFailed("没有收到图片")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed("图片太大(最大 8 MB)")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise ValidationFailed("图片像素太多,请换一张")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_SIZE, PHOTO_SIZE))
            clean = Image.new("RGB", image.size)
            clean.paste(image)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed("这不是可用的图片文件(请上传 JPG 或 PNG)") from None
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def set_photo(goods: Goods, data: bytes) -> None:
    goods.photo = process_photo(data)
    goods.photo_version = (goods.photo_version or 0) + 1
    db.session.flush()


def _movement(goods: Goods, kind: str, quantity: int, stock_after: int, actor=None, **columns) -> StockMovement:
    move = StockMovement(goods_id=goods.id, site_id=goods.site_id, kind=kind, quantity=quantity,
                         stock_after=stock_after, actor_id=getattr(actor, "id", actor),
                         movement_date=columns.pop("movement_date", None) or local_today(), **columns)
    db.session.add(move)
    return move


def take_stock_statement(goods, quantity: int) -> Statement:
    """The conditional decrement as a statement (returns the new stock, or refuses with OutOfStock);
    `goods` is a Goods or a row with id and name."""
    return Statement(_TAKE_SQL, {"q": quantity, "id": goods.id},
                     OutOfStock(phrase("refusal.out_of_stock", goods=goods.name), goods_id=goods.id))


def take_stock(goods: Goods, quantity: int) -> int:
    """Conditional decrement; returns the new stock or raises OutOfStock."""
    (rows,) = run_together([take_stock_statement(goods, quantity)])
    return rows[0][0]


def add_stock(goods: Goods, quantity: int) -> int:
    return db.session.execute(_ADD_SQL, {"q": quantity, "id": goods.id}).scalar_one()


def take_what_is_there(goods: Goods, quantity: int, redemption_id: int) -> int:
    """A synced offline sale's line (docs/offline.md): the goods left the shelf while the kiosk was
    offline, so take what the shelf has, up to `quantity`, with its movement; returns the pieces taken
    (the caller records the rest as owed). Reads the stock under the goods row's lock."""
    stock = db.session.execute(select(Goods.stock).where(Goods.id == goods.id).with_for_update()).scalar_one()
    taken = min(stock, quantity)
    if taken:
        _movement(goods, "redeem", -taken, take_stock(goods, taken), redemption_id=redemption_id)
        _refresh(goods)
    return taken




def stock_in(goods: Goods, quantity, source: str, source_name: str = "", note: str = "",
             movement_date=None, actor=None) -> StockMovement:
    """入库 from a donor, 帮扶单位 or a purchase."""
    quantity = fields.integer(quantity, "入库数量", 1, MAX_STOCK_STEP)
    if source not in STOCK_SOURCES:
        raise ValidationFailed("请选择物资来源")
    day = fields.past_date(movement_date)
    move = _movement(goods, "in", quantity, add_stock(goods, quantity), actor, source=source,
                     source_name=fields.text(source_name, "来源单位", 100, required=False),
                     note=fields.text(note, "备注", 500, required=False), movement_date=day)
    _refresh(goods)
    return move


def stock_out(goods: Goods, quantity, kind: str, reason: str, actor=None) -> StockMovement:
    """报损 (loss) or 盘点调整 (adjust, either sign) with a reason; never below zero."""
    if kind not in ("loss", "adjust"):
        raise ValidationFailed("未知的库存操作")
    reason = fields.text(reason, "原因", 500)
    low = 1 if kind == "loss" else -MAX_STOCK_STEP
    quantity = fields.integer(quantity, "数量", low, MAX_STOCK_STEP)
    if quantity == 0:
        raise ValidationFailed("调整数量不能为 0")
    signed = -quantity if kind == "loss" else quantity
    after = take_stock(goods, -signed) if signed < 0 else add_stock(goods, signed)
    move = _movement(goods, kind, signed, after, actor, note=reason)
    _refresh(goods)
    return move


def _refresh(goods: Goods) -> None:
    db.session.flush()
    db.session.expire(goods, ["stock"])


def goods_for_site(site_id: int, only_active: bool = False) -> list[Goods]:
    query = select(Goods).where(Goods.site_id == site_id)
    if only_active:
        query = query.where(Goods.active.is_(True))
    return list(db.session.execute(query.order_by(Goods.category, Goods.price, Goods.name)).scalars())


def shelf_statement(site_id: int, household_id: Optional[int] = None) -> Statement:
    """The site's active goods as the kiosk lists them, as a statement: run it alone
    (services.database.run) or with others (the scan's). Its value: [ShelfRow] in shelf order, plain
    rows (the scan is the kiosk's busiest request); `used`: what the household already redeemed of
    each limited goods in its current limit period (None without a limit or a household)."""
    return Statement(_SHELF, {"site_id": site_id, "household_id": household_id, **period_starts()},
                     read=_shelf_rows)


def _shelf_rows(rows) -> list:
    return [ShelfRow(*row) for row in rows]


#: units of the outer query's `goods` the household (bind household_id) redeemed, not voided, in the
#: goods' current limit period (binds: period_starts()); NULL for goods without a limit
USED_IN_PERIOD_SQL = (
    "CASE WHEN goods.limit_qty > 0 THEN (SELECT COALESCE(SUM(line.quantity), 0) FROM redemption_line line "
    "JOIN redemption ON redemption.id = line.redemption_id WHERE line.goods_id = goods.id "
    "AND redemption.household_id = :household_id AND redemption.status = 'done' "
    "AND redemption.created_at >= CASE goods.limit_period WHEN 'day' THEN :day WHEN 'week' THEN :week "
    "WHEN 'month' THEN :month ELSE :year END) END")
_PERIOD_BINDS = [bindparam(period, type_=DateTime()) for period in LIMIT_PERIODS]


def used_in_period_query(sql: str):
    """SQL text holding USED_IN_PERIOD_SQL, its period binds typed (PostgreSQL casts them)."""
    return text(sql).bindparams(*_PERIOD_BINDS)


ShelfRow = namedtuple("ShelfRow", "id name category price unit stock photo_version limit_qty limit_period used")
_SHELF = used_in_period_query(
    f"SELECT {', '.join(ShelfRow._fields[:-1])}, {USED_IN_PERIOD_SQL} FROM goods "
    "WHERE site_id = :site_id AND active ORDER BY category, price, name")


def get_goods(goods_id: int) -> Goods:
    goods = db.session.get(Goods, goods_id)
    if goods is None:
        raise NotFound("没有这个商品")
    return goods


def period_starts() -> dict[str, datetime]:
    """period_start() of every limit period, today."""
    return _period_starts(local_today(), local_zone().key)


@lru_cache(maxsize=4)
def _period_starts(today: date, _zone: str) -> dict[str, datetime]:
    return {period: period_start(period, today) for period in LIMIT_PERIODS}


def period_start(period: str, today: Optional[date] = None) -> datetime:
    """Start (naive UTC) of the current limit period in the local zone."""
    today = today or local_today()
    first = {"day": today, "week": today - timedelta(days=today.weekday()),
             "month": today.replace(day=1), "year": today.replace(month=1, day=1)}[period]
    local_midnight = datetime.combine(first, datetime.min.time(), tzinfo=local_zone())
    return local_midnight.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass
class ReconRow:
    goods: Goods
    opening: int
    stock_in: int
    stock_out: int
    closing: int


def reconciliation(site_id: int, year: int, month: int) -> list[ReconRow]:
    """Monthly 账实相符 view: opening + in − out = closing, per goods, from the movements."""
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    before = dict(db.session.execute(
        select(StockMovement.goods_id, func.sum(StockMovement.quantity))
        .where(StockMovement.site_id == site_id, StockMovement.movement_date < first)
        .group_by(StockMovement.goods_id)).all())
    ins = dict(db.session.execute(
        select(StockMovement.goods_id, func.sum(StockMovement.quantity))
        .where(StockMovement.site_id == site_id, StockMovement.movement_date >= first,
               StockMovement.movement_date < after, StockMovement.quantity > 0)
        .group_by(StockMovement.goods_id)).all())
    outs = dict(db.session.execute(
        select(StockMovement.goods_id, func.sum(StockMovement.quantity))
        .where(StockMovement.site_id == site_id, StockMovement.movement_date >= first,
               StockMovement.movement_date < after, StockMovement.quantity < 0)
        .group_by(StockMovement.goods_id)).all())
    rows = []
    for goods in goods_for_site(site_id):
        opening, got, gone = int(before.get(goods.id) or 0), int(ins.get(goods.id) or 0), -int(outs.get(goods.id) or 0)
        rows.append(ReconRow(goods, opening, got, gone, opening + got - gone))
    return rows


def low_stock(site_ids: Optional[set[int]]) -> list[Goods]:
    query = select(Goods).where(Goods.active.is_(True), Goods.stock <= Goods.low_stock)
    if site_ids is not None:
        query = query.where(Goods.site_id.in_(site_ids))
    return list(db.session.execute(query.order_by(Goods.stock)).scalars())
