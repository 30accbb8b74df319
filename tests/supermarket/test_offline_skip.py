"""A kiosk whose sync is stuck behind an item it can never send (refused, or missing): the page says so,
an admin skips that one counter with a reason (audit-logged), and the kiosk's later sales apply again.
Both databases."""
import pytest
from sqlalchemy import select

from extensions import db
from models import AuditLog, KioskDevice, OfflineSale
from tests.supermarket.kiosk_helpers import add_goods, card_for
from tests.supermarket.offline_kiosk import FakeKiosk
from tests.supermarket.test_kiosk_offline_admin import _client


@pytest.fixture
def stuck(any_app, make_site, make_household, make_user):
    from models.clock import utcnow
    from services.supermarket import allowances
    from tests.supermarket.offline_kiosk import days

    site = make_site("幸福家园安置点")
    rice = add_goods(site, "大米", price=10, stock=10)
    home = make_household(site=site, head_name="欧阳小明", balance=200)
    card = card_for(home)
    kiosk = FakeKiosk.paired(site)
    now = utcnow()
    allowances.hold(kiosk.device.id, home.id, 100, now, now + days(3))
    users = {"admin": make_user("admin"), "shop": make_user("shopkeeper", sites=[site])}
    db.session.commit()
    client = any_app.test_client()
    forged = kiosk.sell(card, [(rice.id, 1, 10)])
    forged["total"], forged["lines"][0]["qty"] = 20, 2  # changed after signing
    later = kiosk.sell(card, [(rice.id, 3, 10)])
    results = kiosk.sync(client, [forged, later]).get_json()["results"]
    assert [r.get("error") for r in results] == ["bad_signature", "counter_gap"]
    return {"kiosk": kiosk, "later": later, "users": users, "client": client, "device_id": kiosk.device.id}


def test_an_admin_skips_the_stuck_counter_and_the_later_sales_apply(any_app, stuck):
    url = f"/admin/kiosks/{stuck['device_id']}/offline"
    admin = _client(any_app, stuck["users"]["admin"])
    page = admin.get(url).get_data(as_text=True)
    assert "同步卡在第 1 笔" in page and "跳过第 1 笔" in page

    shop = _client(any_app, stuck["users"]["shop"])
    assert "同步卡在第 1 笔" in shop.get(url).get_data(as_text=True)
    assert "跳过第 1 笔" not in shop.get(url).get_data(as_text=True)  # only an admin gives up a record
    assert shop.post(f"{url}/skip", data={"counter": "1", "note": "核查过"}).status_code == 403

    refused = admin.post(f"{url}/skip", data={"counter": "1", "note": ""})
    assert refused.status_code == 400 and "跳过原因" in refused.get_data(as_text=True)
    stale = admin.post(f"{url}/skip", data={"counter": "2", "note": "核查过"})
    assert stale.status_code == 409 and "请刷新页面" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(KioskDevice, stuck["device_id"]).offline_counter == 0

    done = admin.post(f"{url}/skip", data={"counter": "1", "note": "第1笔被改动过,已按纸质记录处理"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(KioskDevice, stuck["device_id"]).offline_counter == 1
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "kiosk.offline_skip")).scalar_one()
    assert "已按纸质记录处理" in str(log.after)

    again = stuck["kiosk"].sync(stuck["client"], [stuck["later"]]).get_json()["results"]
    assert [r["status"] for r in again] == ["applied"]
    assert db.session.execute(select(OfflineSale.counter)).scalars().all() == [2]
    assert "同步卡在" not in admin.get(url).get_data(as_text=True)
    nothing = admin.post(f"{url}/skip", data={"counter": "3", "note": "再跳"})
    assert nothing.status_code == 400 and "没有卡住" in nothing.get_data(as_text=True)
