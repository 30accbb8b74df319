"""The offline refresh (docs/offline.md "Refresh"): allowances sized by cap, base points and the
site's active kiosks, shrunk and grown through the ledger, expired ones returned; a refresh that
changes nothing writes no entry; bad input and a kiosk that must sync first change nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import AllowanceMove, Household, KioskAllowance, KioskDevice, LedgerEntry
from models.clock import utcnow
from services.households.cards import token_hash
from services.ledger.verify import verify
from services.supermarket import allowances
from services.supermarket import devices as kiosk_devices
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, paired_device


@pytest.fixture
def site_shop(any_app, make_site, make_household):
    site = make_site("幸福家园安置点")
    rich = make_household(site=site, head_name="欧阳小明", balance=150)
    poor = make_household(site=site, head_name="张小三", balance=40)
    rich_card, poor_card = card_for(rich), card_for(poor)
    make_household(site=site, head_name="李四", balance=80)  # no card: no line, no allowance
    rice = add_goods(site, "大米 5kg", price=50, stock=3)
    device, token = paired_device(site)
    db.session.commit()
    return {"site": site, "rich": rich, "poor": poor, "rich_card": rich_card, "poor_card": poor_card,
            "device": device, "token": token, "rice": rice, "client": any_app.test_client()}


def refresh(shop, counter=0, queue=0, token=None):
    return shop["client"].post("/kiosk/api/offline/refresh", json={"counter": counter, "queue": queue},
                               headers=auth(token or shop["token"]))


def entries_count() -> int:
    return db.session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


def balance(home) -> int:
    return db.session.execute(select(Household.balance).where(Household.id == home.id)).scalar_one()


def test_refresh_holds_up_to_the_cap_and_lists_households_with_a_card(site_shop):
    res = refresh(site_shop, queue=2)
    assert res.status_code == 200
    data = res.get_json()
    lines = {line["card_hash"]: line for line in data["households"]}
    assert lines == {
        token_hash(site_shop["rich_card"]): {"card_hash": token_hash(site_shop["rich_card"]), "name": "欧**明",
                                             "allowance": 100},
        token_hash(site_shop["poor_card"]): {"card_hash": token_hash(site_shop["poor_card"]), "name": "张*三",
                                             "allowance": 40}}
    assert data["window_hours"] == 72 and data["counter"] == 0
    assert data["server_time"] == data["issued_at"] and data["valid_until"] > data["issued_at"]
    assert [g["id"] for g in data["goods"]] == [site_shop["rice"].id] and data["goods"][0]["stock"] == 3
    db.session.expire_all()
    assert (balance(site_shop["rich"]), balance(site_shop["poor"])) == (50, 0)
    device = db.session.get(KioskDevice, site_shop["device"].id)
    assert device.queue_reported == 2 and device.last_refresh_at is not None
    assert verify().ok


def test_a_refresh_that_changes_nothing_writes_no_entry_but_extends_the_window(site_shop):
    refresh(site_shop)
    first = db.session.execute(select(KioskAllowance.expires_at)).scalars().all()
    before = entries_count()
    again = refresh(site_shop)
    assert again.status_code == 200 and entries_count() == before
    db.session.expire_all()
    assert all(later >= earlier for later, earlier in
               zip(db.session.execute(select(KioskAllowance.expires_at)).scalars().all(), first))


def test_base_points_stay_and_the_allowance_shrinks_and_grows_with_the_balance(site_shop):
    from services import ledger

    db.session.execute(update(Household).where(Household.id == site_shop["rich"].id).values(base_points=30))
    db.session.commit()
    refresh(site_shop)
    assert allowances.held(site_shop["device"].id, site_shop["rich"].id) == 100  # 150 − 30 > cap
    ledger.post(site_shop["rich"].id, -20, "rule_deduction", None, None, "扣分", "test-deduct")
    db.session.commit()
    refresh(site_shop)
    db.session.expire_all()
    # owned 150 − 20 = 130, less 30 base = 100 ≤ cap, but only balance 30 + held 100 − base 30 is here
    assert allowances.held(site_shop["device"].id, site_shop["rich"].id) == 100
    ledger.post(site_shop["rich"].id, -30, "rule_deduction", None, None, "扣分", "test-deduct-2")
    db.session.commit()
    refresh(site_shop)
    db.session.expire_all()
    # the deduction took the balance to 0, below its base: owned 0 + 100 − 30
    assert allowances.held(site_shop["device"].id, site_shop["rich"].id) == 70
    assert balance(site_shop["rich"]) == 30  # the base points are back in the balance
    ledger.post(site_shop["rich"].id, 200, "adjustment", None, None, "补发", "test-grant")
    db.session.commit()
    refresh(site_shop)
    db.session.expire_all()
    assert allowances.held(site_shop["device"].id, site_shop["rich"].id) == 100
    reasons = db.session.execute(select(AllowanceMove.points, AllowanceMove.reason).where(
        AllowanceMove.household_id == site_shop["rich"].id).order_by(AllowanceMove.id)).all()
    assert [tuple(r) for r in reasons] == [(-100, "refresh"), (30, "refresh"), (-30, "refresh")]
    assert verify().ok


def test_two_active_kiosks_share_evenly_and_a_disabled_one_gives_back(site_shop):
    second, token = paired_device(site_shop["site"], "二号机")
    db.session.commit()
    refresh(site_shop)
    refresh(site_shop, token=token)
    refresh(site_shop)
    db.session.expire_all()
    rich, poor = site_shop["rich"].id, site_shop["poor"].id
    one = site_shop["device"].id
    assert (allowances.held(one, rich), allowances.held(second.id, rich)) == (50, 50)
    assert (allowances.held(one, poor), allowances.held(second.id, poor)) == (20, 20)
    kiosk_devices.disable(db.session.get(KioskDevice, second.id))
    db.session.commit()
    assert allowances.held(second.id, rich) == 0 and balance(site_shop["rich"]) == 100
    refresh(site_shop)
    db.session.expire_all()
    assert allowances.held(one, rich) == 100 and allowances.held(one, poor) == 40
    assert verify().ok


def test_an_expired_allowance_is_returned_then_held_again(site_shop):
    refresh(site_shop)
    db.session.execute(update(KioskAllowance).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    refresh(site_shop)
    reasons = db.session.execute(select(AllowanceMove.reason, AllowanceMove.points).where(
        AllowanceMove.household_id == site_shop["rich"].id).order_by(AllowanceMove.id)).all()
    assert [tuple(r) for r in reasons] == [("refresh", -100), ("expired", 100), ("refresh", -100)]
    assert verify().ok


def test_the_county_setting_overrides_cap_and_window(site_shop):
    from flask import current_app

    county = site_shop["site"].area.parent.parent
    current_app.config["COUNTY_SETTINGS"] = {county.name: {"offline_allowance_cap": 30, "offline_window_hours": 24}}
    data = refresh(site_shop).get_json()
    assert data["window_hours"] == 24
    assert sorted(line["allowance"] for line in data["households"]) == [30, 30]
    current_app.config["COUNTY_SETTINGS"] = {county.name: {"offline_allowance_cap": -1}}
    res = refresh(site_shop)
    assert res.status_code == 400 and "离线额度上限" in res.get_json()["message"]


def test_sync_first_and_bad_input_change_nothing(site_shop):
    before = entries_count()
    res = refresh(site_shop, counter=3)
    assert res.status_code == 409 and res.get_json()["error"] == "sync_first"
    assert "同步" in res.get_json()["message"]
    for body in ({"counter": -1, "queue": 0}, {"counter": "1", "queue": 0}, {"counter": 0, "queue": True},
                 {"counter": 0}, {"counter": 1.5, "queue": 0}, {"counter": 2**40, "queue": 0}):
        res = site_shop["client"].post("/kiosk/api/offline/refresh", json=body, headers=auth(site_shop["token"]))
        assert res.status_code == 400 and res.get_json()["error"] == "invalid", body
        assert any("\u4e00" <= ch <= "\u9fff" for ch in res.get_json()["message"])
    assert refresh(site_shop, token="nope").status_code == 401
    assert entries_count() == before
    assert db.session.execute(select(func.count()).select_from(KioskAllowance)).scalar_one() == 0
    db.session.execute(update(KioskDevice).values(offline_counter=3))
    db.session.commit()
    assert refresh(site_shop, counter=3).status_code == 200
