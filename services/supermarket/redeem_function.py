"""The kiosk redemption on PostgreSQL: ONE call of the jifen_redeem function (the checks and every
write under the locks, migrations/versions/0014_redeem_function.py), then the ledger entry's INSERT
and the COMMIT in one send (docs/decisions.md#redeem-function). Its refusals are the codes the
function answers, raised as the same errors as services/supermarket/redemption.py's statement-by-
statement path (which SQLite keeps)."""
from collections import namedtuple

from sqlalchemy import text

from models.clock import local_today, utcnow
from models.goods import LIMIT_PERIODS
from models.redemption import receipt_number
from services import ledger
from services.database import Statement, run
from services.errors import Forbidden, IdempotencyConflict, InsufficientPoints, NotFound, ValidationFailed
from services.households.cards import CardUnusable
from services.supermarket import devices as kiosk_devices
from services.supermarket.goods import OutOfStock, period_starts
from services.supermarket.kiosk_phrases import phrase
from services.supermarket.redemption import (
    _FINISH_SQL,
    GoodsUnavailable,
    HouseholdRow,
    LimitExceeded,
    PriceChanged,
    Receipt,
    ReceiptLine,
    RedeemRequest,
    SiteRow,
    _replay,
    find,
)

_Device = namedtuple("_Device", "id")


def redeem_in_database(token_hash: str, request: RedeemRequest) -> Receipt:
    """redemption.redeem_for on PostgreSQL: one call of jifen_redeem, then the ledger entry with the
    COMMIT (inside the view's commit_follows()). `token_hash`: the device credential's stored hash."""
    request_id, lines = request.request_id, request.lines
    ordered = sorted(lines)
    now = utcnow()
    session_id = request.session_id if kiosk_devices.possible_session_id(request.session_id) else ""
    row = run(Statement(_REDEEM_CALL, dict(
        token_hash=token_hash, session_id=session_id, request_id=request_id, goods=ordered,
        qty=[lines[gid] for gid in ordered], expected=request.expected_total, now=now, today=local_today(),
        seen_before=now - kiosk_devices.LAST_SEEN_STEP, **period_starts())))[0]
    called = _Called(*row)
    if called.code != "ok":
        return _refused(called, request, ordered)
    site = (SiteRow(called.household_site_id, called.household_site_code, called.household_site_name)
            if called.household_site_id == called.device_site_id
            else SiteRow(called.device_site_id, called.device_site_code, called.device_site_name))
    redemption_id, total = called.redemption_id, called.total

    def finish(entry):
        return [Statement(_FINISH_SQL, dict(key=entry.idempotency_key, balance=entry.balance_after, id=redemption_id))]

    entry = ledger.post_moved(called.household_id, -total, "redemption", ledger.Source("redemption", redemption_id),
                              f"积分超市兑换 {receipt_number(site.code, redemption_id)}", f"redeem:{request_id}",
                              (called.balance, called.seq, called.prev_hash, called.entry_site_id),
                              then=finish, last=True)
    return Receipt(id=redemption_id, request_id=request_id,
                   household=HouseholdRow(called.household_id, called.household_status, called.head_name,
                                          called.household_site_id),
                   site=site, device_id=called.device_id, card_id=called.card_id, total_points=total,
                   balance_after=entry.balance_after, status="done", created_at=now, ledger_entry_id=entry.id,
                   lines=tuple(ReceiptLine(line_id, gid, name, unit, price, lines[gid], price * lines[gid])
                               for line_id, gid, name, unit, price in zip(called.line_ids, ordered, called.names,
                                                                          called.units, called.prices)))


def _refused(called: "_Called", request: RedeemRequest, ordered: list[int]) -> Receipt:
    """A replay's receipt, or the refusal of jifen_redeem's code as redeem() raises it (the caller
    rolls back what the function wrote)."""
    code = called.code
    if code == "replay":
        existing = find(request.request_id)
        if existing is None:  # only under an isolation level stricter than the app's READ COMMITTED
            raise IdempotencyConflict(phrase("redeem.in_progress"))
        return _replay(existing, _Device(called.device_id), request.lines)
    if code == "device_unauthorized":
        raise kiosk_devices.DeviceUnauthorized()
    if code == "session_expired":
        raise kiosk_devices.SessionExpired()
    if code == "card_disabled":
        raise CardUnusable(phrase("card.disabled"), reason="disabled")
    if code == "price_changed":
        raise PriceChanged(total=called.amount)
    if code == "insufficient_points":
        raise InsufficientPoints(needed=called.amount)
    if code == "bad_points":
        raise ValidationFailed(ledger.POINTS_RANGE)
    goods_id = called.goods_id
    if code == "not_found":
        raise NotFound(phrase("refusal.not_found"), goods_id=goods_id)
    if code == "foreign_goods":
        raise Forbidden(phrase("refusal.foreign_goods"), goods_id=goods_id)
    n = ordered.index(goods_id)
    name = called.names[n]
    if code == "goods_unavailable":
        raise GoodsUnavailable(phrase("refusal.goods_unavailable", goods=name), goods_id=goods_id)
    if code == "out_of_stock":
        raise OutOfStock(phrase("refusal.out_of_stock", goods=name), goods_id=goods_id)
    if code == "limit_exceeded":
        raise LimitExceeded(phrase("refusal.limit_exceeded", goods=name, period=LIMIT_PERIODS[called.limit_periods[n]],
                                   limit=called.limit_qtys[n], unit=called.units[n]), goods_id=goods_id)
    raise RuntimeError(f"jifen_redeem answered an unknown code: {code}")


#: jifen_redeem's answer (migrations/versions/0014_redeem_function.py), one row
_Called = namedtuple("_Called", "code goods_id amount device_id device_site_id device_site_code device_site_name "
                                "card_id household_id household_status head_name household_site_id "
                                "household_site_code household_site_name redemption_id total balance seq prev_hash "
                                "entry_site_id line_ids names units prices limit_qtys limit_periods")
_REDEEM_CALL = text(
    "SELECT * FROM jifen_redeem(:token_hash, :session_id, :request_id, :goods, :qty, :expected, :now, :today, "
    ":seen_before, :day, :week, :month, :year)")
