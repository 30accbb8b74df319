"""Redemption service: void (credit back + restock, exactly once), per-household limits, lines."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Goods, Household, KioskSession, LedgerEntry, Redemption, StockMovement
from services.errors import ValidationFailed
from services.ledger.verify import verify
from services.supermarket import devices as kiosk_devices
from services.supermarket import redemption
from tests.supermarket.kiosk_helpers import add_goods, card_for, new_request_id, paired_device


@pytest.fixture
def counter(app, make_site, make_household, make_user):
    site = make_site("幸福家园安置点")
    oil = add_goods(site, "食用油 5L", price=85, stock=4, unit="桶", limit_qty=1, limit_period="month")
    soap = add_goods(site, "肥皂", price=5, stock=50, unit="块")
    home = make_household(site=site, head_name="欧阳小明", balance=300)
    card_for(home)
    device, _token = paired_device(site)
    shopkeeper = make_user("shopkeeper", sites=[site])
    return {"site": site, "oil": oil, "soap": soap, "home": home, "device": device, "shopkeeper": shopkeeper}


def _open(counter):
    from models import Card

    card = db.session.execute(select(Card).where(Card.household_id == counter["home"].id)).scalar_one()
    session, _ = kiosk_devices.start_session(counter["device"], card)
    return db.session.get(KioskSession, session["id"])


def _redeem(counter, cart, request_id=None):
    session = _open(counter)
    return redemption.redeem(counter["device"], redemption.parse_request(session.id, request_id or new_request_id(),
                                                                         cart))


def test_redeem_writes_lines_movements_and_one_entry(counter):
    r = _redeem(counter, [{"goods_id": counter["soap"].id, "qty": 3}, {"goods_id": counter["oil"].id, "qty": 1}])
    assert r.total_points == 100 and r.balance_after == 200
    assert [(l.name, l.quantity, l.points) for l in r.lines] == [("食用油 5L", 1, 85), ("肥皂", 3, 15)]
    entry = db.session.get(LedgerEntry, r.ledger_entry_id)
    assert (entry.kind, entry.points, entry.source_type, entry.source_id) == ("redemption", -100, "redemption", r.id)
    moves = db.session.execute(select(StockMovement).where(StockMovement.redemption_id == r.id)).scalars().all()
    assert sorted((m.kind, m.quantity) for m in moves) == [("redeem", -3), ("redeem", -1)]
    assert r.receipt_no.startswith("T")
    assert not db.session.new and not db.session.dirty  # written as SQL: nothing left for a flush to repeat
    assert isinstance(r, redemption.Receipt)
    assert (r.household.id, r.household.head_name, r.site.id) == (counter["home"].id, "欧阳小明", counter["site"].id)
    assert counter["home"].balance == 200  # the session's household reads its new balance
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Redemption, r.id)
    assert (stored.ledger_entry_id, stored.balance_after, len(stored.lines)) == (entry.id, 200, 2)


def test_receipt_shows_the_kiosks_site_when_the_household_moved_after_the_scan(counter, make_site):
    session = _open(counter)
    elsewhere = make_site("新村安置点")
    counter["home"].site_id = elsewhere.id  # moved between the scan and the redemption
    db.session.flush()
    r = redemption.redeem(counter["device"], redemption.parse_request(session.id, new_request_id(),
                                                                      [{"goods_id": counter["soap"].id, "qty": 1}]))
    assert r.site == (counter["site"].id, counter["site"].code, counter["site"].name)
    assert db.session.get(Redemption, r.id).site_id == counter["site"].id
    assert r.receipt_no == f"{counter['site'].code}-{r.id:08d}"


def test_monthly_limit_per_household(counter):
    from services.supermarket.redemption import LimitExceeded

    _redeem(counter, [{"goods_id": counter["oil"].id, "qty": 1}])
    db.session.commit()
    with pytest.raises(LimitExceeded, match="每月每户限兑 1桶"):
        _redeem(counter, [{"goods_id": counter["oil"].id, "qty": 1}])
    db.session.rollback()
    assert db.session.get(Goods, counter["oil"].id).stock == 3
    assert redemption.limit_left(counter["home"].id, db.session.get(Goods, counter["oil"].id)) == 0


def test_void_credits_back_and_restocks_once(counter):
    r = _redeem(counter, [{"goods_id": counter["oil"].id, "qty": 1}, {"goods_id": counter["soap"].id, "qty": 2}])
    db.session.commit()
    with pytest.raises(ValidationFailed, match="作废原因"):
        redemption.void(r.id, counter["shopkeeper"], "  ")
    voided = redemption.void(r.id, counter["shopkeeper"], "拿错了商品")
    db.session.commit()
    again = redemption.void(r.id, counter["shopkeeper"], "再点一次")
    db.session.commit()
    assert voided.status == again.status == "void" and again.void_reason == "拿错了商品"
    assert db.session.get(Household, counter["home"].id).balance == 300
    assert db.session.get(Goods, counter["oil"].id).stock == 4
    assert db.session.get(Goods, counter["soap"].id).stock == 50
    voids = db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == "redemption_void")).scalars().all()
    assert [(v.points, v.idempotency_key) for v in voids] == [(95, f"void:{r.id}")]
    # a voided redemption no longer counts toward the limit
    assert redemption.limit_left(counter["home"].id, db.session.get(Goods, counter["oil"].id)) == 1
    assert verify().ok


def test_void_after_points_spent_elsewhere_still_credits(counter):
    r = _redeem(counter, [{"goods_id": counter["soap"].id, "qty": 1}])
    _redeem(counter, [{"goods_id": counter["oil"].id, "qty": 1}, {"goods_id": counter["soap"].id, "qty": 42}])
    db.session.commit()
    assert db.session.get(Household, counter["home"].id).balance == 0
    redemption.void(r.id, counter["shopkeeper"], "退货")
    db.session.commit()
    assert db.session.get(Household, counter["home"].id).balance == 5


def test_same_request_id_different_cart_conflicts(counter):
    from services.errors import IdempotencyConflict

    request_id = new_request_id()
    _redeem(counter, [{"goods_id": counter["soap"].id, "qty": 1}], request_id)
    with pytest.raises(IdempotencyConflict):
        _redeem(counter, [{"goods_id": counter["soap"].id, "qty": 2}], request_id)


def test_inactive_goods_refused(counter):
    from services.supermarket.redemption import GoodsUnavailable

    counter["soap"].active = False
    with pytest.raises(GoodsUnavailable, match="已下架"):
        _redeem(counter, [{"goods_id": counter["soap"].id, "qty": 1}])


def test_expired_session_refused(counter):
    from datetime import timedelta

    from services.supermarket.devices import SessionExpired

    session = _open(counter)
    session.expires_at -= timedelta(minutes=10)
    with pytest.raises(SessionExpired):
        redemption.redeem(counter["device"], redemption.parse_request(session.id, new_request_id(),
                                                                      [{"goods_id": counter["soap"].id, "qty": 1}]))
