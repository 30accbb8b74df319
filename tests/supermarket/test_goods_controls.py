"""Two-person goods controls: large adjustments, losses and voids wait for a DIFFERENT person."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Card, Redemption, StockMovement
from models.fund import GoodsControl
from services.errors import Forbidden, ValidationFailed
from services.supermarket import devices as kiosk_devices
from services.supermarket import redemption
from services.supermarket import stocktake as controls
from tests.supermarket.kiosk_helpers import add_goods, card_for, new_request_id, paired_device


@pytest.fixture
def shop(app, make_site, make_household, make_user):
    app.config["GOODS_CONTROL_POINTS"] = 100
    site = make_site("幸福家园安置点")
    oil = add_goods(site, "食用油 5L", price=85, stock=10, unit="桶")
    soap = add_goods(site, "肥皂", price=5, stock=50, unit="块")
    home = make_household(site=site, head_name="欧阳小明", balance=1000)
    card_for(home)
    device, _ = paired_device(site)
    first = make_user("shopkeeper", sites=[site])
    second = make_user("shopkeeper", sites=[site])
    return {"site": site, "oil": oil, "soap": soap, "home": home, "device": device, "first": first, "second": second}


def _redeem(shop, cart):
    card = db.session.execute(select(Card).where(Card.household_id == shop["home"].id)).scalar_one()
    session, _ = kiosk_devices.start_session(shop["device"], card)
    receipt = redemption.redeem(shop["device"], redemption.parse_request(session["id"], new_request_id(), cart))
    return db.session.get(Redemption, receipt.id)


def test_small_loss_posts_at_once(shop):
    move, control = controls.change_stock(shop["first"], shop["soap"], 3, "loss", "受潮")
    assert control is None and move.quantity == -3 and shop["soap"].stock == 47


def test_large_adjustment_waits_and_same_user_cannot_confirm(shop):
    move, control = controls.change_stock(shop["first"], shop["oil"], -2, "adjust", "盘亏")
    assert move is None and control.status == "pending" and control.points_value == 170
    assert shop["oil"].stock == 10
    with pytest.raises(Forbidden, match="不能确认自己"):
        controls.decide(shop["first"], control.id, True)
    assert control.status == "pending" and shop["oil"].stock == 10
    controls.decide(shop["second"], control.id, True)
    db.session.expire(shop["oil"])
    assert control.status == "confirmed" and shop["oil"].stock == 8
    move = db.session.get(StockMovement, control.movement_id)
    assert move.kind == "adjust" and move.quantity == -2 and move.actor_id == shop["first"].id


def test_confirm_twice_and_reject_needs_note(shop):
    _, control = controls.change_stock(shop["first"], shop["oil"], 2, "loss", "破损")
    with pytest.raises(ValidationFailed):
        controls.decide(shop["second"], control.id, False)
    controls.decide(shop["second"], control.id, False, "没有破损照片")
    assert control.status == "rejected"
    with pytest.raises(controls.ControlRefused):
        controls.decide(shop["second"], control.id, True)
    db.session.expire(shop["oil"])
    assert shop["oil"].stock == 10


def test_large_void_needs_second_person(shop):
    r = _redeem(shop, [{"goods_id": shop["oil"].id, "qty": 2}])
    done, control = controls.request_void(shop["first"], r.id, "顾客退货")
    assert done is None and r.status == "done"
    with pytest.raises(Forbidden):
        controls.decide(shop["first"], control.id, True)
    controls.decide(shop["second"], control.id, True)
    db.session.refresh(r)
    assert r.status == "void"


def test_small_void_is_immediate(shop):
    r = _redeem(shop, [{"goods_id": shop["soap"].id, "qty": 2}])
    done, control = controls.request_void(shop["first"], r.id, "扫错了")
    assert control is None and done.status == "void"


def test_goods_page_routes_large_changes_to_second_person(shop, client, login):
    login(shop["first"])
    oil_id = shop["oil"].id
    response = client.post(f"/admin/goods/{oil_id}/stock", data={"kind": "loss", "quantity": "3", "note": "过期"},
                           follow_redirects=True)
    assert "复核" in response.get_data(as_text=True)
    db.session.rollback()
    rows = db.session.execute(select(GoodsControl)).scalars().all()
    assert len(rows) == 1 and rows[0].status == "pending"
    assert db.session.get(type(shop["oil"]), oil_id).stock == 10
