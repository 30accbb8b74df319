"""Sync: the offline sales a kiosk queued while cut off, applied once each (docs/offline.md "Sync").

One batch is one transaction (the view commits once): under the kiosk's device row lock, items are
applied in counter order, each advancing kiosk_device.offline_counter in the same transaction as its
rows. A crash before the COMMIT leaves nothing of the batch, and the kiosk's retry applies it again
from the start; after the COMMIT a retry finds every item applied and hears its stored result. Two
syncs of one kiosk (two tabs, a retry racing the first try) queue on the lock, and the later one
reads what the first committed.

Lock order of one item, as the online redemption's: the redemption row, the goods by id, then the
allowance row and the household (services/supermarket/allowances.py)."""
import json
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import (
    Card,
    Goods,
    Household,
    KioskDevice,
    OfflineSale,
    OwedLine,
    Redemption,
    RedemptionLine,
    SyncRefusal,
)
from models.clock import utcnow
from models.redemption import receipt_number
from services import ledger
from services.errors import DomainError, ValidationFailed
from services.supermarket import allowances
from services.supermarket import goods as goods_service
from services.supermarket.kiosk_phrases import phrase
from services.supermarket.offline_items import BadItem, OfflineItem, load_key, parse_item, signed_by
from services.supermarket.receipts import receipt_json

#: items one sync may send; a longer queue syncs in several calls
MAX_BATCH = 200
#: the codes of a refused item (its `error`; the message is the phrase sync.<code>)
REFUSALS = ("bad_item", "bad_signature", "other_device", "counter_gap", "counter_used", "uid_used", "unknown_card",
            "unknown_goods")


class NoKey(DomainError):
    code = "no_key"
    status = 409
    message = phrase("offline.no_key")


def parse_batch(items, queue) -> tuple[list, int]:
    """The request's shape (400 when wrong, nothing written); the items themselves are checked one by one."""
    if not isinstance(items, list):
        raise ValidationFailed(phrase("offline.bad_items"))
    if len(items) > MAX_BATCH:
        raise ValidationFailed(phrase("offline.too_many", max=MAX_BATCH))
    if type(queue) is not int or not 0 <= queue < 2**31:
        raise ValidationFailed(phrase("offline.bad_queue"))
    return items, queue


def sync(device, items, queue) -> list[dict]:
    """Apply a kiosk's queued items (`device`: a KioskDevice or the API's DeviceCredential); returns one
    result per item, in the order sent: {"uid", "counter", "status": "applied", "receipt", "owed"} or
    {"uid", "counter", "status": "refused", "error", "message"}. An item applied before answers its
    first result. Raises ValidationFailed (the batch's shape) or NoKey before writing anything.
    Flushes, never commits: the caller commits the batch once."""
    items, queue = parse_batch(items, queue)
    locked = allowances.lock_device(device.id)  # read fresh: a second sync that waited sees the counter
    if locked.public_key is None:
        raise NoKey()
    run = _Run(locked)
    results: list[Optional[dict]] = [None] * len(items)
    parsed = []
    for index, raw in enumerate(items):
        try:
            parsed.append((index, parse_item(raw)))
        except BadItem as bad:
            results[index] = run.refuse(bad.uid, bad.counter, "bad_item")
    for index, item in sorted(parsed, key=lambda pair: pair[1].counter):
        results[index] = run.take(item)
    locked.last_sync_at = utcnow()
    locked.queue_reported = queue
    db.session.flush()
    return results


class _Run:
    """One sync call: the locked device, its key, the other kiosks' keys (read once, when needed)."""

    def __init__(self, device: KioskDevice):
        self.device = device
        self.key = load_key(device.public_key)
        self.others = None
        self.gap_at: Optional[int] = None  # the counter sync waits for once a gap was met
        self.now = utcnow()

    def take(self, item: OfflineItem) -> dict:
        if self.gap_at is not None:  # the batch stops at the gap
            return self.refuse(item.uid, item.counter, "counter_gap", expected=self.gap_at)
        if not signed_by(self.key, item):
            return self.refuse(item.uid, item.counter, "other_device" if self._another_signed(item) else "bad_signature")
        sale = db.session.execute(select(OfflineSale.device_id, OfflineSale.result)
                                  .where(OfflineSale.uid == item.uid)).first()
        if sale is not None:
            if sale.device_id == self.device.id:
                return json.loads(sale.result)
            return self.refuse(item.uid, item.counter, "other_device")
        used_by = db.session.execute(select(Redemption.device_id).where(Redemption.request_id == item.uid)).first()
        if used_by is not None:  # an online redemption's request_id
            return self.refuse(item.uid, item.counter, "uid_used" if used_by.device_id == self.device.id
                               else "other_device")
        expected = self.device.offline_counter + 1
        if item.counter < expected:
            return self.refuse(item.uid, item.counter, "counter_used", number=item.counter)
        if item.counter > expected:
            self.gap_at = expected
            return self.refuse(item.uid, item.counter, "counter_gap", expected=expected)
        card = db.session.execute(select(Card).where(Card.token_hash == item.card_hash)).scalar_one_or_none()
        if card is None:  # any status: the card was valid when the kiosk scanned it offline
            return self.refuse(item.uid, item.counter, "unknown_card")
        goods = {row.id: row for row in db.session.execute(
            select(Goods).where(Goods.id.in_([goods_id for goods_id, _q, _p in item.lines]))).scalars()}
        if len(goods) != len(item.lines) or any(row.site_id != self.device.site_id for row in goods.values()):
            return self.refuse(item.uid, item.counter, "unknown_goods")
        return _apply(self.device, item, card, goods, self.now)

    def _another_signed(self, item: OfflineItem) -> bool:
        if self.others is None:
            self.others = [load_key(key) for key in db.session.execute(
                select(KioskDevice.public_key).where(KioskDevice.id != self.device.id,
                                                     KioskDevice.public_key.is_not(None))).scalars()]
        return any(signed_by(key, item) for key in self.others)

    def refuse(self, uid, counter, code: str, **params) -> dict:
        """The refusal's answer; kept as a SyncRefusal unless the same one (device, uid, counter, code)
        is kept already: a kiosk retrying in a loop does not flood the table."""
        message = phrase(f"sync.{code}", **params)
        same = select(SyncRefusal.id).where(
            SyncRefusal.device_id == self.device.id, SyncRefusal.error == code,
            SyncRefusal.uid.is_(None) if uid is None else SyncRefusal.uid == uid,
            SyncRefusal.counter.is_(None) if counter is None else SyncRefusal.counter == counter).limit(1)
        if db.session.execute(same).first() is None:
            db.session.add(SyncRefusal(device_id=self.device.id, uid=uid, counter=counter, error=code,
                                       detail=message, received_at=self.now))
        return {"uid": uid, "counter": counter, "status": "refused", "error": code, "message": message}


def _apply(device: KioskDevice, item: OfflineItem, card: Card, goods: dict, now) -> dict:
    """One offline sale: the redemption (lines at the prices signed), the stock the shelf has (the rest
    owed), the allowance's return and the redemption's debit (what neither covers owed), the OfflineSale
    with its result, and the device's counter."""
    household_id = card.household_id
    redemption = Redemption(request_id=item.uid, household_id=household_id, site_id=device.site_id,
                            device_id=device.id, card_id=card.id, total_points=item.total, balance_after=0,
                            status="done", created_at=now,
                            lines=[RedemptionLine(goods_id=goods_id, name=goods[goods_id].name,
                                                  unit=goods[goods_id].unit, price=price, quantity=qty,
                                                  points=price * qty) for goods_id, qty, price in item.lines])
    db.session.add(redemption)
    db.session.flush()
    owed = []
    for goods_id, qty, _price in sorted(item.lines):  # goods rows locked by id, as every redemption does
        taken = goods_service.take_what_is_there(goods[goods_id], qty, redemption.id)
        if taken < qty:
            owed.append({"kind": "stock", "goods_id": goods_id, "name": goods[goods_id].name,
                         "unit": goods[goods_id].unit, "quantity": qty - taken})
    from_allowance = min(allowances.held(device.id, household_id, lock=True), item.total)
    move_id = None
    if from_allowance:
        move_id = allowances.give_back(device.id, household_id, from_allowance, "offline_sale").source_id
    balance, base = _locked_balance(household_id)
    paid = min(item.total, max(balance - base, 0))  # the whole total, unless the kiosk broke its limits
    receipt_no = receipt_number(device.site.code, redemption.id)
    if paid:
        entry = ledger.post(household_id, -paid, "redemption", ledger.Source("redemption", redemption.id), None,
                            f"积分超市离线兑换 {receipt_no}", f"redeem:{item.uid}")
        redemption.ledger_entry_id, redemption.balance_after = entry.id, entry.balance_after
    else:
        redemption.balance_after = balance
    if paid < item.total:
        owed.append({"kind": "points", "quantity": item.total - paid})
    db.session.flush()
    result = {"uid": item.uid, "counter": item.counter, "status": "applied",
              "receipt": {**receipt_json(redemption), "pending": False}, "owed": owed}
    sale = OfflineSale(uid=item.uid, device_id=device.id, counter=item.counter, household_id=household_id,
                       card_hash=item.card_hash, total_points=item.total,
                       payload=json.dumps(item.raw, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                       signature=item.signature, client_time=item.client_moment(), received_at=now,
                       redemption_id=redemption.id, allowance_move_id=move_id,
                       result=json.dumps(result, ensure_ascii=False, separators=(",", ":")))
    db.session.add(sale)
    db.session.flush()
    db.session.add_all(OwedLine(offline_sale_id=sale.id, site_id=device.site_id, kind=line["kind"],
                                goods_id=line.get("goods_id"), quantity=line["quantity"], created_at=now)
                       for line in owed)
    device.offline_counter = item.counter
    db.session.flush()
    return result


def _locked_balance(household_id: int) -> tuple[int, int]:
    """The household's balance and base points (a redemption keeps the latter), under the row's lock."""
    return tuple(db.session.execute(select(Household.balance, Household.base_points)
                                    .where(Household.id == household_id).with_for_update()).one())
