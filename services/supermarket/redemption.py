"""The redemption: ONE transaction of conditional stock UPDATEs, the ledger debit and the rows.

Idempotent by the kiosk's request_id (unique): a retry or a double tap gets the first result,
also when two copies race (the later INSERT … ON CONFLICT DO NOTHING waits for the first one's
COMMIT and then returns the stored result). Lock order everywhere: redemption row, goods by id, then the household (ledger)."""
import uuid
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Optional

from sqlalchemy import Date, DateTime, bindparam, select, text, update

from extensions import db
from models import Goods, Redemption, StockMovement
from models.clock import local_today, utcnow
from models.goods import LIMIT_PERIODS
from models.redemption import receipt_number
from services import ledger
from services.database import Statement, begin_writes, own_connection, run_together, stored_functions
from services.errors import DomainError, Forbidden, IdempotencyConflict, NotFound, ValidationFailed
from services.households.cards import CardUnusable
from services.integrity.recusal import ensure_not_recused
from services.staff import audit
from services.supermarket import devices as kiosk_devices
from services.supermarket.goods import (
    USED_IN_PERIOD_SQL,
    add_stock,
    period_starts,
    take_stock_statement,
    used_in_period_query,
)
from services.supermarket.kiosk_phrases import phrase

MAX_LINES = 30
MAX_QTY = 99


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    status = 409
    message = phrase("refusal.limit_exceeded_any")


class GoodsUnavailable(DomainError):
    code = "goods_unavailable"
    status = 409
    message = phrase("refusal.goods_unavailable_any")


class PriceChanged(DomainError):
    code = "price_changed"
    status = 409
    message = phrase("refusal.price_changed")


def parse_request_id(value) -> str:
    try:
        return str(uuid.UUID(str(value))) if isinstance(value, str) and len(value) <= 40 else _bad_request_id()
    except ValueError:
        return _bad_request_id()


def _bad_request_id():
    raise ValidationFailed(phrase("request.bad_id"))


def parse_cart(cart) -> dict[int, int]:
    """[{"goods_id": 3, "qty": 2}, ...] -> {3: 2}; strict integers, 1..MAX_QTY, merged."""
    if not isinstance(cart, list) or not cart:
        raise ValidationFailed(phrase("cart.empty"))
    if len(cart) > MAX_LINES:
        raise ValidationFailed(phrase("cart.too_many_lines", max=MAX_LINES))
    merged: dict[int, int] = {}
    for line in cart:
        if not isinstance(line, dict):
            raise ValidationFailed(phrase("cart.bad_format"))
        goods_id, qty = line.get("goods_id"), line.get("qty")
        if type(goods_id) is not int or not 0 < goods_id < 2**31:
            raise ValidationFailed(phrase("cart.bad_goods_id"))
        if type(qty) is not int:
            raise ValidationFailed(phrase("cart.qty_not_int"))
        if qty < 1:
            raise ValidationFailed(phrase("cart.qty_min"))
        merged[goods_id] = merged.get(goods_id, 0) + qty
        if merged[goods_id] > MAX_QTY:
            raise ValidationFailed(phrase("cart.qty_max", max=MAX_QTY))
    return merged


def find(request_id: str) -> Optional[Redemption]:
    return db.session.execute(select(Redemption).where(Redemption.request_id == request_id)).scalar_one_or_none()


def _replay(existing: Redemption, device, cart: dict[int, int]) -> "Receipt":
    """The stored redemption's Receipt, when the repeated request is the same (device and cart)."""
    same = existing.device_id == device.id and {l.goods_id: l.quantity for l in existing.lines} == cart
    if not same:
        raise IdempotencyConflict(phrase("redeem.conflict"))
    household, site = existing.household, existing.site
    return Receipt(id=existing.id, request_id=existing.request_id,
                   household=HouseholdRow(household.id, household.status, household.head_name, household.site_id),
                   site=SiteRow(site.id, site.code, site.name), device_id=existing.device_id,
                   card_id=existing.card_id, total_points=existing.total_points,
                   balance_after=existing.balance_after, status=existing.status, created_at=existing.created_at,
                   ledger_entry_id=existing.ledger_entry_id,
                   lines=tuple(ReceiptLine(line.id, line.goods_id, line.name, line.unit, line.price, line.quantity,
                                           line.points) for line in existing.lines))


@dataclass(frozen=True)
class RedeemRequest:
    """A kiosk's redemption request, checked for shape (parse_request)."""

    session_id: object
    request_id: str
    lines: dict[int, int]
    expected_total: Optional[int] = None

    def reads(self) -> list[Statement]:
        """The session's holder and the cart's goods: the kiosk API sends them with the device's query."""
        return [Statement(_HOLDER_QUERY, kiosk_devices.live_session_params(self.session_id)),
                _goods_statement(self.lines)]


def parse_request(session_id, request_id, cart, expected_total=None) -> RedeemRequest:
    if expected_total is not None and type(expected_total) is not int:
        raise ValidationFailed(phrase("request.bad_total"))
    return RedeemRequest(session_id, parse_request_id(request_id), parse_cart(cart), expected_total)


ReceiptLine = namedtuple("ReceiptLine", "id goods_id name unit price quantity points")


@dataclass(frozen=True)
class Receipt:
    """A redemption as redeem() wrote it (or found it, for a repeated request_id): its columns and what
    its receipt shows, as plain values (receipts.receipt_json reads it as it reads a Redemption)."""

    id: int
    request_id: str
    household: "HouseholdRow"  #: id, status, head_name, site_id
    site: "SiteRow"  #: the kiosk's: id, code, name
    device_id: int
    card_id: int
    total_points: int
    balance_after: int
    status: str
    created_at: datetime
    ledger_entry_id: int
    lines: tuple  #: ReceiptLine, by goods id

    @property
    def receipt_no(self) -> str:
        return receipt_number(self.site.code, self.id)


def redeem(device, request: RedeemRequest, read: Optional[list] = None) -> Receipt:
    """Redeem the parsed request's cart for the household of the device's kiosk session (in a READ
    transaction: its reads take no lock; begin_writes() before the writes). `read`: the values of
    request.reads(), when already read with the device's query. Returns the new redemption's Receipt;
    a repeated request_id gets the first one's (also after its session ended), and IdempotencyConflict
    when its device or cart differ. Raises SessionExpired, CardUnusable, NotFound, Forbidden,
    GoodsUnavailable, PriceChanged, OutOfStock, LimitExceeded, InsufficientPoints: nothing written.
    Flushes, never commits (inside commit_follows() the ledger entry's statements carry the COMMIT).
    A caller that needs the Redemption loads it by the receipt's id."""
    try:
        return _redeem(device, request, read)
    except kiosk_devices.SessionExpired:
        existing = find(request.request_id)  # a retry that arrives after its session ended still gets its receipt
        if existing is None:
            raise
        return _replay(existing, device, request.lines)


def _redeem(device, request: RedeemRequest, read: Optional[list]) -> Receipt:
    """Reads and the new rows first; the shared rows (goods stock, household balance) are locked
    last, by ledger.post, so they stay locked for two round trips, the second carrying the COMMIT
    when the view commits right after (database.commit_follows; docs/performance.md).
    On SQLite the reads run before the write lock is taken (a READ transaction): a card revoked or a
    session ended in between counts as just after this redemption; stock, balance and limits are
    checked again under the lock."""
    request_id, lines = request.request_id, request.lines
    db.session.flush()  # pending changes of the caller must be visible to the SQL below
    holder_rows, goods_rows = read if read is not None else run_together(request.reads())
    card_id, household, household_site = _holder(holder_rows, device)
    goods = _cart_goods(goods_rows, device.site_id, lines)
    total = sum(goods[gid].price * qty for gid, qty in lines.items())
    if request.expected_total is not None and request.expected_total != total:
        raise PriceChanged(total=total)
    now, today = utcnow(), local_today()
    columns = dict(request_id=request_id, household_id=household.id, site_id=device.site_id, device_id=device.id,
                   card_id=card_id, total_points=total, balance_after=0, status="done", created_at=now)
    line_rows, seen = _line_rows(goods, lines), kiosk_devices.seen_statements(device)
    # the receipt's site is the kiosk's: the household's, already loaded, unless it moved since the scan
    site = household_site if household_site.id == device.site_id else SiteRow(device.site.id, device.site.code,
                                                                               device.site.name)
    begin_writes()  # on SQLite the write lock is taken here, after the reads
    inserted, *line_ids = run_together([  # the lines find the new row by its request_id: one round trip
        *seen, Statement(_INSERT_REDEMPTION, columns),
        *(Statement(_INSERT_LINE, dict(row, request_id=request_id)) for row in line_rows)])[len(seen):]
    if not inserted:  # the request_id was used before (a retry, a double tap): the first result
        existing = find(request_id)
        if existing is None:  # only under an isolation level stricter than the app's READ COMMITTED
            raise IdempotencyConflict(phrase("redeem.in_progress"))
        return _replay(existing, device, lines)
    redemption_id, key, ordered = inserted[0][0], f"redeem:{request_id}", sorted(lines)

    def movements_and_receipt(entry):
        return [*(Statement(_MOVEMENT_SQL, dict(goods_id=gid, quantity=-lines[gid], day=today,
                                                redemption_id=redemption_id, now=now)) for gid in ordered),
                Statement(_FINISH_SQL, dict(key=key, balance=entry.balance_after, id=redemption_id))]

    entry = ledger.post(household.id, -total, "redemption", ledger.Source("redemption", redemption_id), None,
                            f"积分超市兑换 {receipt_number(site.code, redemption_id)}", key,
                            locked_with=[*(take_stock_statement(goods[gid], lines[gid]) for gid in ordered),
                                         *_limit_statements(household.id, [goods[gid] for gid in ordered])],
                            then=movements_and_receipt, last=True)
    return Receipt(id=redemption_id, request_id=request_id, household=household, site=site, device_id=device.id,
                   card_id=card_id, total_points=total, balance_after=entry.balance_after, status="done",
                   created_at=now, ledger_entry_id=entry.id,
                   lines=tuple(ReceiptLine(ids[0][0], **row) for ids, row in zip(line_ids, line_rows)))


def redeem_for(header: Optional[str], request: RedeemRequest) -> Receipt:
    """The kiosk API's redemption for the device behind `header` (`Authorization: Device <token>`):
    redeem()'s refusals (DeviceUnauthorized first) and replays. On PostgreSQL one jifen_redeem call,
    then the entry with the COMMIT (docs/decisions.md#redeem-function); on SQLite redeem()."""
    if not stored_functions():
        device, reads = kiosk_devices.device_from_header(header, request.reads())
        return redeem(device, request, reads)
    from services.supermarket.redeem_function import redeem_in_database  # it imports this module
    token_hash = kiosk_devices.credential_hash(header)
    with own_connection():  # inside the view's commit_follows(): a pooled psycopg connection, no ORM session
        return redeem_in_database(token_hash, request)


HouseholdRow = namedtuple("HouseholdRow", "id status head_name site_id")
SiteRow = namedtuple("SiteRow", "id code name")


def _holder(rows, device) -> tuple[int, HouseholdRow, SiteRow]:
    """The card id, household and the household's site of the device's open session, from the rows of
    _HOLDER_QUERY (checked, not touched: the kiosk touches it while the resident is busy). Plain rows:
    the ORM's loading of these objects was a seventh of a redemption's CPU."""
    if not rows or rows[0][0] != device.id:  # no such live session, or another kiosk's
        raise kiosk_devices.SessionExpired()
    _, card_id, card_status, household_id, household_status, head_name, site_id, site_code, site_name = rows[0]
    if card_status != "active" or household_status != "active":
        raise CardUnusable(phrase("card.disabled"), reason="disabled")
    return card_id, HouseholdRow(household_id, household_status, head_name, site_id), SiteRow(site_id, site_code,
                                                                                               site_name)


def _line_rows(goods: dict, lines: dict[int, int]) -> list[dict]:
    """The columns of the redemption's lines but its id."""
    return [dict(goods_id=gid, name=goods[gid].name, unit=goods[gid].unit,
                 price=goods[gid].price, quantity=lines[gid], points=goods[gid].price * lines[gid])
            for gid in sorted(lines)]


#: the live session's device, card, household and the household's site in one statement (the receipt
#: shows the latter two); binds of kiosk_devices.LIVE_SESSION_SQL: the device is known only after the
#: statement (it is read in the same round trip), so _holder() checks it
_HOLDER_QUERY = text(
    "SELECT kiosk_session.device_id, card.id, card.status, household.id, household.status, household.head_name, "
    "site.id, site.code, site.name FROM kiosk_session JOIN card ON card.id = kiosk_session.card_id "
    "JOIN household ON household.id = kiosk_session.household_id JOIN site ON site.id = household.site_id "
    f"WHERE {kiosk_devices.LIVE_SESSION_SQL}").bindparams(bindparam("now", type_=DateTime()))
#: no row back when the request_id exists: a concurrent copy waits for the first one's COMMIT, then
#: finds its row (unique index), so both get the same receipt
_INSERT_REDEMPTION = text(
    "INSERT INTO redemption (request_id, household_id, site_id, device_id, card_id, total_points, balance_after, "
    "status, created_at) VALUES (:request_id, :household_id, :site_id, :device_id, :card_id, :total_points, "
    ":balance_after, :status, :created_at) ON CONFLICT (request_id) DO NOTHING RETURNING id"
).bindparams(bindparam("created_at", type_=DateTime()))
#: sent with _INSERT_REDEMPTION: the redemption row is this transaction's own only while it has no
#: ledger entry (a stored one always has one), so a request_id used before gets no lines here
_INSERT_LINE = text(
    "INSERT INTO redemption_line (redemption_id, goods_id, name, unit, price, quantity, points) "
    "SELECT id, :goods_id, :name, :unit, :price, :quantity, :points FROM redemption "
    "WHERE request_id = :request_id AND ledger_entry_id IS NULL RETURNING id")
#: stock_after is read back from the goods row the conditional UPDATE just changed (same transaction)
_MOVEMENT_SQL = text(
    "INSERT INTO stock_movement (goods_id, site_id, kind, quantity, stock_after, movement_date, redemption_id, "
    "created_at) SELECT id, site_id, 'redeem', :quantity, stock, :day, :redemption_id, :now FROM goods "
    "WHERE id = :goods_id"
).bindparams(bindparam("day", type_=Date()), bindparam("now", type_=DateTime()))
_FINISH_SQL = text("UPDATE redemption SET ledger_entry_id = (SELECT id FROM ledger_entry WHERE idempotency_key = :key), "
                   "balance_after = :balance WHERE id = :id")


def _goods_statement(lines: dict[int, int]) -> Statement:
    """The cart's goods as plain rows (the ORM's per-query work cost more than the query)."""
    ids = sorted(lines)
    return Statement(_goods_query(len(ids)), {f"id{n}": gid for n, gid in enumerate(ids)})


def _cart_goods(rows, site_id: int, lines: dict[int, int]) -> dict:
    """id -> GoodsRow from the rows of _goods_statement; every goods must exist, be the site's and be on sale."""
    found = {row[0]: GoodsRow(*row) for row in rows}
    for goods_id in sorted(lines):
        goods = found.get(goods_id)
        if goods is None:
            raise NotFound(phrase("refusal.not_found"), goods_id=goods_id)
        if goods.site_id != site_id:
            raise Forbidden(phrase("refusal.foreign_goods"), goods_id=goods_id)
        if not goods.active:
            raise GoodsUnavailable(phrase("refusal.goods_unavailable", goods=goods.name), goods_id=goods_id)
    return found


GoodsRow = namedtuple("GoodsRow", "id site_id name unit price active limit_qty limit_period")


@lru_cache(maxsize=MAX_LINES)
def _goods_query(count: int):
    """The cart's goods by id; one statement per cart size (at most MAX_LINES of them)."""
    ids = ", ".join(f":id{n}" for n in range(count))
    return text(f"SELECT {', '.join(GoodsRow._fields)} FROM goods WHERE id IN ({ids})")


def used_in_periods(household_id: int, goods_list) -> dict[int, int]:
    """goods id -> units the household redeemed (not voided) in that goods' current limit period, for
    the goods with a limit; one query for all of them (a kiosk lists a whole shelf, a cart has many)."""
    limited = [goods.id for goods in goods_list if goods.limit_qty]
    if not limited:
        return {}
    return dict(db.session.execute(_USED_IN_PERIODS, {"household_id": household_id, "ids": limited,
                                                      **period_starts()}).all())


_USED_IN_PERIODS = used_in_period_query(f"SELECT goods.id, {USED_IN_PERIOD_SQL} FROM goods "
                                        "WHERE goods.id IN :ids").bindparams(bindparam("ids", expanding=True))


def limit_left(household_id: int, goods, used: Optional[dict[int, int]] = None) -> Optional[int]:
    """Units of `goods` the household may still redeem this period, None without a limit; `used`:
    used_in_periods() of a list holding it (else it is queried)."""
    if not goods.limit_qty:
        return None
    if used is None:
        used = used_in_periods(household_id, [goods])
    return max(goods.limit_qty - used[goods.id], 0)


def _limit_statements(household_id: int, goods_list: list) -> list[Statement]:
    """Refused when the household went over a goods' limit, this redemption's lines counted. Sent after
    that goods' stock UPDATE, which holds its row: a second kiosk redeeming it for the household waits
    for this COMMIT, then counts both."""
    starts = period_starts()
    return [Statement(_WITHIN_LIMIT, {"goods_id": goods.id, "household_id": household_id, **starts}, LimitExceeded(
        phrase("refusal.limit_exceeded", goods=goods.name, period=LIMIT_PERIODS[goods.limit_period],
               limit=goods.limit_qty, unit=goods.unit),
        goods_id=goods.id)) for goods in goods_list if goods.limit_qty]


_WITHIN_LIMIT = used_in_period_query(
    f"SELECT goods.id FROM goods WHERE goods.id = :goods_id AND {USED_IN_PERIOD_SQL} <= goods.limit_qty")


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
