"""Sync of offline sales (docs/offline.md), on SQLite and PostgreSQL: applied once and answered the same
on every replay; forged, foreign and out-of-order items refused and kept for staff; short stock or
allowance recorded as owed, never dropped; bad requests write nothing."""
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    AllowanceMove,
    Goods,
    Household,
    KioskDevice,
    LedgerEntry,
    OfflineSale,
    OwedLine,
    Redemption,
    StockMovement,
    SyncRefusal,
)
from models.clock import utcnow
from services.ledger.verify import verify
from services.supermarket import allowances
from tests.supermarket.kiosk_helpers import add_goods, card_for
from tests.supermarket.offline_kiosk import FakeKiosk, days


@pytest.fixture
def shop(any_app, make_site, make_household):
    site = make_site("幸福家园安置点")
    rice = add_goods(site, "大米", price=10, stock=10)
    oil = add_goods(site, "食用油", price=25, stock=2, unit="桶")
    home = make_household(site=site, head_name="欧阳小明", balance=200)
    card = card_for(home)
    kiosk = FakeKiosk.paired(site)
    _hold(kiosk, home, 100)
    db.session.commit()
    return {"site": site, "rice": rice.id, "oil": oil.id, "home": home.id, "card": card, "kiosk": kiosk,
            "client": any_app.test_client()}


def _hold(kiosk, home, points):
    now = utcnow()
    allowances.hold(kiosk.device.id, home.id, points, now, now + days(3))


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _sync(shop, items, kiosk=None):
    res = (kiosk or shop["kiosk"]).sync(shop["client"], items)
    assert res.status_code == 200, res.get_json()
    db.session.expire_all()
    return res.get_json()


def _balance(shop) -> int:
    return db.session.get(Household, shop["home"]).balance


def _held(shop) -> int:
    return allowances.held(shop["kiosk"].device.id, shop["home"])


def test_a_sale_applies_once_and_a_replay_hears_the_first_result(shop):
    kiosk = shop["kiosk"]
    item = kiosk.sell(shop["card"], [(shop["rice"], 3, 10)])
    body = _sync(shop, [item])
    (result,) = body["results"]
    assert body["counter"] == 1
    assert result["status"] == "applied" and result["uid"] == item["uid"] and result["owed"] == []
    receipt = result["receipt"]
    assert (receipt["total"], receipt["balance_after"], receipt["pending"]) == (30, 100, False)
    assert receipt["request_id"] == item["uid"] and receipt["lines"][0]["qty"] == 3
    assert (_balance(shop), _held(shop)) == (100, 70)  # +30 back from the allowance, −30 redeemed
    assert db.session.get(Goods, shop["rice"]).stock == 7
    entries = db.session.execute(select(LedgerEntry.kind, LedgerEntry.points).where(
        LedgerEntry.household_id == shop["home"]).order_by(LedgerEntry.seq)).all()
    assert [tuple(e) for e in entries][-2:] == [("allowance_return", 30), ("redemption", -30)]
    sale = db.session.execute(select(OfflineSale)).scalar_one()
    move = db.session.get(AllowanceMove, sale.allowance_move_id)
    assert (move.reason, move.points) == ("offline_sale", 30)
    assert json.loads(sale.payload) == item and sale.signature == item["signature"]
    device = db.session.get(KioskDevice, kiosk.device.id)
    assert (device.offline_counter, device.queue_reported) == (1, 1) and device.last_sync_at is not None

    again = _sync(shop, [item, item])
    assert again["results"] == [result, result] and again["counter"] == 1
    assert (_count(Redemption), _count(OfflineSale), _count(StockMovement, StockMovement.kind == "redeem")) == (1, 1, 1)
    assert (_balance(shop), _held(shop)) == (100, 70)
    assert verify().ok


def test_a_batch_applies_in_counter_order_whatever_order_it_comes_in(shop):
    kiosk = shop["kiosk"]
    items = [kiosk.sell(shop["card"], [(shop["rice"], 1, 10)]) for _ in range(3)]
    body = _sync(shop, list(reversed(items)))
    assert [r["uid"] for r in body["results"]] == [i["uid"] for i in reversed(items)]
    assert {r["status"] for r in body["results"]} == {"applied"} and body["counter"] == 3
    counters = db.session.execute(select(OfflineSale.counter).order_by(OfflineSale.id)).scalars().all()
    assert counters == [1, 2, 3]


def test_a_forged_item_is_refused_and_kept_once(shop):
    kiosk = shop["kiosk"]
    item = kiosk.sell(shop["card"], [(shop["rice"], 1, 10)])
    forged = {**item, "lines": [{"goods_id": shop["rice"], "qty": 9, "price": 10}], "total": 90}
    for _ in range(3):  # a kiosk retrying in a loop
        (result,) = _sync(shop, [forged])["results"]
        assert (result["status"], result["error"]) == ("refused", "bad_signature") and "签名" in result["message"]
    assert _count(SyncRefusal) == 1 and _count(Redemption) == 0
    assert db.session.get(KioskDevice, kiosk.device.id).offline_counter == 0
    assert _sync(shop, [item])["results"][0]["status"] == "applied"  # the true one still goes through


def test_an_item_of_another_kiosk_is_refused(shop):
    other = FakeKiosk.paired(shop["site"], "二号机")
    db.session.commit()
    mine = shop["kiosk"].sell(shop["card"], [(shop["rice"], 1, 10)])
    assert _sync(shop, [mine])["results"][0]["status"] == "applied"
    replayed = _sync(shop, [mine], kiosk=other)["results"][0]  # signed by the first kiosk's key
    assert (replayed["status"], replayed["error"]) == ("refused", "other_device")
    reused = other.sell(shop["card"], [(shop["rice"], 1, 10)])  # the other kiosk's own key, the same uid
    reused["uid"] = mine["uid"]
    reused["signature"] = other.sign(other.message(reused))
    result = _sync(shop, [reused], kiosk=other)["results"][0]
    assert (result["status"], result["error"]) == ("refused", "other_device")
    # the same (kiosk, uid, counter, code) twice: kept once
    assert _count(Redemption) == 1 and _count(SyncRefusal, SyncRefusal.device_id == other.device.id) == 1
    assert db.session.get(KioskDevice, other.device.id).offline_counter == 0


def test_a_counter_gap_stops_the_batch_until_the_missing_item_comes(shop):
    kiosk = shop["kiosk"]
    items = [kiosk.sell(shop["card"], [(shop["rice"], 1, 10)]) for _ in range(4)]
    body = _sync(shop, [items[0], items[2], items[3]])
    assert [r["status"] for r in body["results"]] == ["applied", "refused", "refused"]
    assert {r["error"] for r in body["results"][1:]} == {"counter_gap"} and "第 2 条" in body["results"][1]["message"]
    assert body["counter"] == 1
    assert sorted(db.session.execute(select(SyncRefusal.counter)).scalars()) == [3, 4]
    body = _sync(shop, items)
    assert [r["status"] for r in body["results"]] == ["applied"] * 4 and body["counter"] == 4
    assert _count(Redemption) == 4 and verify().ok


def test_a_used_counter_with_a_new_uid_is_refused(shop):
    kiosk = shop["kiosk"]
    first = kiosk.sell(shop["card"], [(shop["rice"], 1, 10)])
    _sync(shop, [first])
    kiosk.counter = 0
    second = kiosk.sell(shop["card"], [(shop["rice"], 2, 10)])
    (result,) = _sync(shop, [second])["results"]
    assert (result["status"], result["error"]) == ("refused", "counter_used")
    assert _count(Redemption) == 1


@pytest.mark.parametrize("skew", [days(2), -days(2)])
def test_a_kiosk_clock_days_off_is_accepted_and_both_times_kept(shop, skew):
    sold_at = datetime.now(timezone.utc) + skew
    item = shop["kiosk"].sell(shop["card"], [(shop["rice"], 1, 10)], client_time=sold_at)
    assert _sync(shop, [item])["results"][0]["status"] == "applied"
    sale = db.session.execute(select(OfflineSale)).scalar_one()
    assert abs(sale.client_time - sold_at.replace(tzinfo=None)).total_seconds() < 0.01
    assert abs((sale.received_at - utcnow()).total_seconds()) < 60


def test_goods_short_on_the_shelf_become_an_owed_stock_line(shop):
    item = shop["kiosk"].sell(shop["card"], [(shop["oil"], 5, 25)])  # the shelf holds 2
    (result,) = _sync(shop, [item])["results"]
    assert result["status"] == "applied"
    assert result["owed"] == [{"kind": "stock", "goods_id": shop["oil"], "name": "食用油", "unit": "桶", "quantity": 3}]
    assert db.session.get(Goods, shop["oil"]).stock == 0
    moved = db.session.execute(select(StockMovement.quantity, StockMovement.stock_after).where(
        StockMovement.goods_id == shop["oil"], StockMovement.kind == "redeem")).one()
    assert tuple(moved) == (-2, 0)
    owed = db.session.execute(select(OwedLine)).scalar_one()
    assert (owed.kind, owed.goods_id, owed.quantity, owed.site_id) == ("stock", shop["oil"], 3, shop["site"].id)
    assert result["receipt"]["total"] == 125 and _balance(shop) == 100 - 25  # points were held: all paid
    assert verify().ok


def test_a_sale_beyond_the_allowance_is_paid_by_the_balance(shop):
    item = shop["kiosk"].sell(shop["card"], [(shop["rice"], 10, 10), (shop["oil"], 2, 25)])  # 150 > 100 held
    (result,) = _sync(shop, [item])["results"]
    assert result["status"] == "applied" and result["owed"] == []
    assert (_balance(shop), _held(shop)) == (50, 0)
    assert verify().ok


def test_what_neither_allowance_nor_balance_covers_is_owed_points(any_app, make_site, make_household):
    site = make_site()
    rice = add_goods(site, "大米", price=10, stock=10)
    home = make_household(site=site, balance=30)
    card = card_for(home)
    kiosk = FakeKiosk.paired(site)
    _hold(kiosk, home, 20)
    db.session.commit()
    shop = {"client": any_app.test_client(), "kiosk": kiosk, "home": home.id}
    (result,) = _sync(shop, [kiosk.sell(card, [(rice.id, 5, 10)])])["results"]
    assert result["status"] == "applied" and result["owed"] == [{"kind": "points", "quantity": 20}]
    assert result["receipt"]["total"] == 50 and result["receipt"]["balance_after"] == 0
    assert (_balance(shop), _held(shop)) == (0, 0)
    owed = db.session.execute(select(OwedLine)).scalar_one()
    assert (owed.kind, owed.goods_id, owed.quantity) == ("points", None, 20)
    assert db.session.execute(select(LedgerEntry.points).where(LedgerEntry.kind == "redemption")).scalar_one() == -30
    assert _count(OfflineSale) == 1 and verify().ok


def test_a_card_reported_lost_since_the_sale_still_pays(shop):
    from models import Card

    db.session.execute(Card.__table__.update().values(status="lost"))
    db.session.commit()
    item = shop["kiosk"].sell(shop["card"], [(shop["rice"], 1, 10)])
    assert _sync(shop, [item])["results"][0]["status"] == "applied"


@pytest.mark.parametrize("change, error", [
    ({"card_hash": "0" * 64}, "unknown_card"),
    ({"lines": [{"goods_id": 999999, "qty": 1, "price": 10}]}, "unknown_goods"),
])
def test_an_item_naming_what_is_not_there_is_refused(shop, change, error):
    kiosk = shop["kiosk"]
    item = {**kiosk.sell(shop["card"], [(shop["rice"], 1, 10)]), **change}
    item["signature"] = kiosk.sign(kiosk.message(item))
    (result,) = _sync(shop, [item])["results"]
    assert (result["status"], result["error"]) == ("refused", error)
    assert _count(Redemption) == 0 and _count(SyncRefusal) == 1


@pytest.mark.parametrize("change", [
    {"uid": "not-a-uuid"}, {"counter": 0}, {"counter": "1"}, {"total": 11}, {"lines": []},
    {"lines": [{"goods_id": 1, "qty": 0, "price": 10}]}, {"client_time": "yesterday"},
    {"client_time": "2026-12-07 08:00:00"}, {"issued_at": "a|b"}, {"signature": "short"}, {"card_hash": "AB"},
])
def test_an_item_of_the_wrong_shape_is_refused_as_bad(shop, change):
    item = {**shop["kiosk"].sell(shop["card"], [(shop["rice"], 1, 10)]), **change}
    results = _sync(shop, [item, "not an item"])["results"]
    assert [(r["status"], r["error"]) for r in results] == [("refused", "bad_item")] * 2
    assert _count(Redemption) == 0


@pytest.mark.parametrize("payload", [
    {"items": "x", "queue": 0}, {"items": [], "queue": -1}, {"items": [], "queue": "3"}, {"queue": 0},
    {"items": [{}] * 201, "queue": 0}, ["not", "an", "object"],
])
def test_a_bad_request_is_400_and_writes_nothing(shop, payload):
    res = shop["client"].post("/kiosk/api/offline/sync", json=payload, headers=shop["kiosk"].headers())
    assert res.status_code == 400
    assert res.get_json()["error"] == "invalid" and res.get_json()["message"]
    db.session.expire_all()
    assert _count(SyncRefusal) == 0 and db.session.get(KioskDevice, shop["kiosk"].device.id).last_sync_at is None


def test_sync_needs_a_credential(shop):
    res = shop["client"].post("/kiosk/api/offline/sync", json={"items": [], "queue": 0})
    assert res.status_code == 401
