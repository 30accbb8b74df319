"""The kiosk JSON API: pairing, device auth, scan, redeem, bad input (nothing written)."""
import pytest

from extensions import db
from models import Goods, Household
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device, table_counts


@pytest.fixture
def shop(app, make_site, make_household):
    site = make_site("幸福家园安置点")
    rice = add_goods(site, "大米 5kg", price=50, stock=3)
    soap = add_goods(site, "肥皂", price=5, stock=20, unit="块", category="日用品")
    home = make_household(site=site, head_name="张小𠮷", balance=120)
    card = card_for(home)
    device, token = paired_device(site)
    db.session.commit()
    return {"site": site, "rice": rice, "soap": soap, "home": home, "card": card, "token": token, "device": device}


def scan(client, shop, card=None):
    return client.post("/kiosk/api/scan", json={"card": card or shop["card"]}, headers=auth(shop["token"]))


def test_pair_then_device_info(client, app, make_site):
    from services.supermarket import devices as kiosk_devices

    site = make_site("和谐小区安置点")
    _device, code = kiosk_devices.create_device(site.id, "收银台")
    db.session.commit()
    res = client.post("/kiosk/api/pair", json={"code": code.lower()})
    assert res.status_code == 201
    token = res.get_json()["token"]
    again = client.post("/kiosk/api/pair", json={"code": code})
    assert again.status_code == 400 and "配对码" in again.get_json()["message"]
    for bad in (None, 12345678, ["x"], "x" * 1000, "１２３４５６７８"):
        assert client.post("/kiosk/api/pair", json={"code": bad}).status_code == 400
    info = client.get("/kiosk/api/device", headers=auth(token)).get_json()
    assert info["site"] == "和谐小区安置点" and info["idle_seconds"] == 60 and info["warn_seconds"] == 20


def test_missing_or_bad_device_credential_is_401(client, shop):
    before = table_counts()
    for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "Device nope"}):
        res = client.post("/kiosk/api/scan", json={"card": shop["card"]}, headers=headers)
        assert res.status_code == 401
        body = res.get_json()
        assert body["error"] == "device_unauthorized" and "终端" in body["message"]
        res = client.post("/kiosk/api/redeem", headers=headers, json={
            "session_id": "x", "request_id": new_request_id(), "cart": [{"goods_id": shop["rice"].id, "qty": 1}]})
        assert res.status_code == 401
    assert table_counts() == before


def test_a_bad_scan_from_a_bad_credential_hears_401_first(client, shop):
    """The scan reads its card with the device's query; a bad body or an unreadable card still
    answers 401 when the credential is bad, and the card's own error when it is good."""
    for body, error in (("{not json", "invalid"), ({"card": "不是卡"}, "card_unusable"),
                        ({"card": 7}, "card_unusable")):
        send = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
        res = client.post("/kiosk/api/scan", headers={"Authorization": "Device nope"}, **send)
        assert res.status_code == 401 and res.get_json()["error"] == "device_unauthorized"
        res = client.post("/kiosk/api/scan", headers=auth(shop["token"]), **send)
        assert res.status_code in (400, 403) and res.get_json()["error"] == error


def test_disabled_device_is_refused(client, shop):
    from services.supermarket import devices as kiosk_devices

    kiosk_devices.disable(db.session.get(type(shop["device"]), shop["device"].id))
    db.session.commit()
    assert scan(client, shop).status_code == 401


def test_scan_returns_masked_summary_and_goods(client, shop):
    res = scan(client, shop)
    assert res.status_code == 200
    data = res.get_json()
    assert data["household"]["name"] == "张*𠮷"
    assert data["household"]["balance"] == 120
    assert "id" not in data["household"]
    assert {g["name"] for g in data["goods"]} == {"大米 5kg", "肥皂"}
    assert data["session_id"] and len(data["session_id"]) >= 24


def test_full_redeem_and_retry_returns_first_result(client, shop):
    session_id = scan(client, shop).get_json()["session_id"]
    payload = {"session_id": session_id, "request_id": new_request_id(), "expected_total": 110,
               "cart": [{"goods_id": shop["rice"].id, "qty": 2}, {"goods_id": shop["soap"].id, "qty": 2}]}
    first = client.post("/kiosk/api/redeem", json=payload, headers=auth(shop["token"]))
    assert first.status_code == 200, first.get_json()
    receipt = first.get_json()["receipt"]
    assert receipt["total"] == 110 and receipt["balance_after"] == 10
    again = client.post("/kiosk/api/redeem", json=payload, headers=auth(shop["token"]))
    assert again.get_json()["receipt"] == receipt
    counts = table_counts()
    assert counts["redemption"] == 1 and counts["redemption_line"] == 2
    assert db.session.get(Household, shop["home"].id).balance == 10
    assert db.session.get(Goods, shop["rice"].id).stock == 1
    fetched = client.get(f"/kiosk/api/receipt/{payload['request_id']}", headers=auth(shop["token"]))
    assert fetched.get_json()["receipt"] == receipt
    # a retry whose answer was lost while the kiosk already ended the session still gets the receipt
    client.post("/kiosk/api/session/end", headers=auth(shop["token"]), json={"session_id": session_id})
    late = client.post("/kiosk/api/redeem", json=payload, headers=auth(shop["token"]))
    assert late.status_code == 200 and late.get_json()["receipt"] == receipt
    assert table_counts() == counts
    rescanned = scan(client, shop).get_json()  # the next scan shows the redemption and the new stock
    assert rescanned["household"]["balance"] == 10
    assert rescanned["household"]["recent"][0]["points"] == -110
    assert rescanned["household"]["recent"][0]["label"] == "兑换商品"
    assert {g["name"]: g["stock"] for g in rescanned["goods"]} == {"大米 5kg": 1, "肥皂": 18}


BAD_CARTS = [
    ([{"goods_id": "RICE", "qty": 0}], "数量"),
    ([{"goods_id": "RICE", "qty": -1}], "数量"),
    ([{"goods_id": "RICE", "qty": 100000}], "最多"),
    ([{"goods_id": "RICE", "qty": 1.5}], "整数"),
    ([{"goods_id": "RICE", "qty": "2"}], "整数"),
    ([{"goods_id": "RICE", "qty": True}], "整数"),
    ([{"goods_id": 999999, "qty": 1}], "没有这个商品"),
    ([{"goods_id": "x", "qty": 1}], "商品编号"),
    ([{"goods_id": 10**30, "qty": 1}], "商品编号"),
    ([{"goods_id": "RICE", "qty": 10**30}], "最多"),
    ([{"goods_id": "RICE"}], "整数"),
    (["RICE"], "格式"),
    ([], "购物车"),
    ("rice please", "购物车"),
]


@pytest.mark.parametrize("cart,words", BAD_CARTS)
def test_bad_carts_are_refused_and_nothing_written(client, shop, cart, words):
    session_id = scan(client, shop).get_json()["session_id"]
    if isinstance(cart, list):
        cart = [{**line, "goods_id": shop["rice"].id if line["goods_id"] == "RICE" else line["goods_id"]}
                if isinstance(line, dict) else line for line in cart]
    before = table_counts()
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]),
                      json={"session_id": session_id, "request_id": new_request_id(), "cart": cart})
    assert 400 <= res.status_code < 500
    body = res.get_json()
    assert words in body["message"] and body["error"]
    assert table_counts() == before
    assert db.session.get(Household, shop["home"].id).balance == 120


def test_goods_of_another_site_is_refused(client, shop, make_site):
    other = add_goods(make_site("石门安置点"), "食用油 5L", price=85, stock=5)
    db.session.commit()
    session_id = scan(client, shop).get_json()["session_id"]
    before = table_counts()
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": other.id, "qty": 1}]})
    assert res.status_code == 403 and "不属于本超市" in res.get_json()["message"]
    assert table_counts() == before
    listed = client.get("/kiosk/api/goods", headers=auth(shop["token"])).get_json()["goods"]
    assert other.id not in {g["id"] for g in listed}


@pytest.mark.parametrize("card", ["AAAA", "A" * 26, "http://x/c/" + "B" * 26, " ", 12345, ["A"], None, "x" * 5000])
def test_tampered_or_unknown_card(client, shop, card):
    before = table_counts()
    res = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(shop["token"]))
    assert res.status_code == 403
    assert res.get_json()["error"] == "card_unusable" and res.get_json()["message"]
    assert table_counts() == before


def test_revoked_card_after_reissue(client, shop):
    old = shop["card"]
    card_for(db.session.get(Household, shop["home"].id))
    db.session.commit()
    res = scan(client, shop, card=old)
    assert res.status_code == 403 and "作废" in res.get_json()["message"]


def test_card_of_other_site_household(client, shop, make_site, make_household):
    stranger = make_household(site=make_site("新村安置点"), head_name="李四", balance=50)
    token = card_for(stranger)
    db.session.commit()
    res = scan(client, shop, card=token)
    assert res.status_code == 403 and "新村安置点" in res.get_json()["message"]


def test_session_of_another_device_or_ended(client, shop):
    _other, other_token = paired_device(shop["site"], "二号机")
    db.session.commit()
    session_id = scan(client, shop).get_json()["session_id"]
    cart = [{"goods_id": shop["soap"].id, "qty": 1}]
    res = client.post("/kiosk/api/redeem", headers=auth(other_token),
                      json={"session_id": session_id, "request_id": new_request_id(), "cart": cart})
    assert res.status_code == 410 and "重新扫描" in res.get_json()["message"]
    client.post("/kiosk/api/session/end", headers=auth(shop["token"]), json={"session_id": session_id})
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]),
                      json={"session_id": session_id, "request_id": new_request_id(), "cart": cart})
    assert res.status_code == 410


def test_touch_keeps_the_session_open_and_an_expired_one_is_refused(client, shop, app):
    from datetime import timedelta

    from models import KioskSession
    from models.clock import utcnow

    session_id = scan(client, shop).get_json()["session_id"]
    db.session.get(KioskSession, session_id).expires_at = utcnow() + timedelta(seconds=1)
    db.session.commit()
    touched = client.post("/kiosk/api/session/touch", headers=auth(shop["token"]), json={"session_id": session_id})
    assert touched.status_code == 200
    db.session.expire_all()
    left = db.session.get(KioskSession, session_id).expires_at - utcnow()
    assert left > timedelta(seconds=app.config["KIOSK_IDLE_SECONDS"])  # pushed forward by the touch
    cart = [{"goods_id": shop["soap"].id, "qty": 1}]
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]),
                      json={"session_id": session_id, "request_id": new_request_id(), "cart": cart})
    assert res.status_code == 200
    db.session.get(KioskSession, session_id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = table_counts()
    for path, payload in (("/kiosk/api/session/touch", {"session_id": session_id}),
                          ("/kiosk/api/redeem", {"session_id": session_id, "request_id": new_request_id(),
                                                 "cart": cart})):
        res = client.post(path, headers=auth(shop["token"]), json=payload)
        assert res.status_code == 410 and "重新扫描" in res.get_json()["message"]
    assert table_counts() == before


def test_bad_request_id_and_body(client, shop):
    session_id = scan(client, shop).get_json()["session_id"]
    cart = [{"goods_id": shop["soap"].id, "qty": 1}]
    for request_id in (None, "", "123", 5, "x" * 100):
        res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]),
                          json={"session_id": session_id, "request_id": request_id, "cart": cart})
        assert res.status_code == 400 and "request_id" in res.get_json()["message"]
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), data="not json",
                      content_type="application/json")
    assert res.status_code == 400 and "JSON" in res.get_json()["message"]


def test_insufficient_points_and_out_of_stock(client, shop):
    session_id = scan(client, shop).get_json()["session_id"]
    before = table_counts()
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": shop["rice"].id, "qty": 3}]})
    assert res.status_code == 409 and res.get_json()["error"] == "insufficient_points"
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": shop["soap"].id, "qty": 21}]})
    assert res.status_code == 409 and "库存不足" in res.get_json()["message"]
    assert table_counts() == before
    assert db.session.get(Goods, shop["soap"].id).stock == 20


def test_price_changed_is_refused(client, shop):
    session_id = scan(client, shop).get_json()["session_id"]
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": session_id, "request_id": new_request_id(), "expected_total": 4,
        "cart": [{"goods_id": shop["soap"].id, "qty": 1}]})
    assert res.status_code == 409 and res.get_json()["error"] == "price_changed"


def test_kiosk_api_is_csrf_exempt_but_needs_device(app, shop, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert client.post("/kiosk/api/scan", json={"card": shop["card"]}).status_code == 401
    assert scan(client, shop).status_code == 200
    res = client.post("/kiosk/api/pair", json={"code": "AAAA-BBBB"})
    assert res.status_code == 400 and "配对码" in res.get_json()["message"]
    session_id = scan(client, shop).get_json()["session_id"]
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": shop["soap"].id, "qty": 1}]})
    assert res.status_code == 200


def test_resident_page_masked_and_read_only(client, shop):
    res = client.get(f"/c/{shop['card']}")
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "张*𠮷" in html and "张小𠮷" not in html and ">120<" in html
    assert "<form" not in html and "href=" not in html
    assert client.get("/c/" + "A" * 26).status_code == 404


def test_attract_screen_rotates_published_honor_lists(client, shop, monkeypatch):
    import services.honors.public

    monkeypatch.setattr(services.honors.public, "published_honor_lists", lambda site_id: [
        {"title": "2026年第三季度光荣榜", "sections": [{"name": "文明榜样户", "entries": [{"name": "王建国"}, {"name": "李秀英"}]}]}])
    import services.earning.notices

    monkeypatch.setattr(services.earning.notices, "open_notices", lambda site_id: [
        {"title": "2026年第四季度“五评五奖”评议结果公示", "notice_text": "公示期2026年12月1日至12月7日",
         "contact": "李书记", "lines": [{"name": "张*三", "points": 35, "awards": "文明榜样户"},
                                         {"name": "王*", "points": 20, "awards": ""}]}])
    info = client.get("/kiosk/api/device", headers=auth(shop["token"])).get_json()
    assert info["notices"] == [
        "公示 · 2026年第四季度“五评五奖”评议结果公示 · 公示期2026年12月1日至12月7日,如有异议请联系李书记",
        "公示 · 2026年第四季度“五评五奖”评议结果公示:张*三 +35分(文明榜样户)、王* +20分",
        "光荣榜 · 2026年第三季度光荣榜 · 文明榜样户:王建国、李秀英"]


def test_device_last_seen_is_written_at_most_once_a_minute(client, shop):
    from datetime import timedelta

    from models import KioskDevice

    device_id = shop["device"].id

    def last_seen():
        db.session.expire_all()
        return db.session.get(KioskDevice, device_id).last_seen_at

    assert last_seen() is None
    assert scan(client, shop).status_code == 200
    first = last_seen()
    assert first is not None
    assert scan(client, shop).status_code == 200
    assert last_seen() == first  # within the minute: no second UPDATE of the device row
    db.session.get(KioskDevice, device_id).last_seen_at = first - timedelta(seconds=61)
    db.session.commit()
    res = scan(client, shop)
    assert res.status_code == 200
    second = last_seen()
    assert second > first
    assert client.get("/kiosk/api/device", headers=auth(shop["token"])).status_code == 200  # GETs write nothing
    db.session.get(KioskDevice, device_id).last_seen_at = second - timedelta(seconds=61)
    db.session.commit()
    res = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": res.get_json()["session_id"], "request_id": new_request_id(),
        "cart": [{"goods_id": shop["rice"].id, "qty": 1}]})
    assert res.status_code == 200, res.get_json()
    assert last_seen() > second  # a redemption counts as a visit too


def test_kiosk_name_shortens_a_long_masked_name():
    from kiosk.summary import kiosk_name

    assert kiosk_name("张三") == "张*" and kiosk_name("欧阳小明") == "欧**明"
    assert kiosk_name("阿卜杜热合曼·买买提明") == "阿**明"  # never longer than five characters


def test_recent_entries_are_newest_first_by_date(any_app, make_household):
    from datetime import timedelta

    from kiosk.summary import recent_statement
    from models.clock import local_today
    from services import database, ledger

    home = make_household(balance=0)
    today = local_today()
    for days_ago, key in [(3, "a"), (40, "b"), (1, "c"), (10, "d")]:  # posted in this order, dated otherwise
        ledger.post(home, 5, "adjustment", None, None, key, f"test-recent:{key}",
                    effective_date=today - timedelta(days=days_ago))
    db.session.flush()
    recent = database.run(recent_statement(home.id, limit=3))
    assert [entry["date"] for entry in recent] == [(today - timedelta(days=d)).isoformat() for d in (1, 3, 10)]
