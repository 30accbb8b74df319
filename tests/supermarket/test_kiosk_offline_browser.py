"""Offline selling in real Chromium, on SQLite and PostgreSQL (docs/offline.md): the network cut with
Playwright, sales queued durably through a reload and a relaunch of the browser, every one applied
exactly once when the network is back, two tabs, the window, the allowance, a wrong kiosk clock.
Screenshots: artifacts/screenshots/kiosk-offline-*.png."""
from datetime import datetime, timedelta, timezone

import pytest

from extensions import db
from models import Household
from tests.supermarket.offline_browser_helpers import (
    VIEWPORT,
    axe_problems,
    checkout,
    make_shop,
    offline_sales,
    pair,
    persistent,
    plus,
    queue,
    scan,
    sell_offline,
    shot,
    snapshot,
    verify_clean,
    wait_until,
)

pytestmark = pytest.mark.browser

HEARD = "document.addEventListener('kiosk:speech', e => (window.__heard = window.__heard || []).push(e.detail))"


@pytest.fixture
def shop(any_live_server, make_site, make_household):
    app, base, database = any_live_server
    return make_shop(app, make_site, make_household) | {"base": base, "db": database}


def _wait_synced(page, timeout=30.0):
    wait_until(page, "() => window.Kiosk.offline.queue().then(q => q.length === 0)", timeout=timeout)


def _balance(app, household_id):
    with app.app_context():
        balance = db.session.get(Household, household_id).balance
        db.session.remove()
        return balance


def _held(app, household_id):
    from sqlalchemy import func, select

    from models import KioskAllowance

    with app.app_context():
        held = db.session.execute(select(func.coalesce(func.sum(KioskAllowance.points), 0))
                                  .where(KioskAllowance.household_id == household_id)).scalar_one()
        db.session.remove()
        return held


def _heard(page):
    return page.evaluate("() => window.__heard || []")


def test_offline_sales_survive_reload_and_relaunch_and_sync_once(browser, shop, tmp_path, screenshot_dir):
    app, ids = shop["app"], shop["ids"]
    context = persistent(browser, tmp_path / "profile")
    page = context.pages[0] if context.pages else context.new_page()
    pair(page, shop["base"], shop["code"])
    snap = snapshot(page)
    assert sorted(h["allowance"] for h in snap["households"].values()) == [100, 100]
    assert snap["valid_until"] > snap["issued_at"]
    held = _balance(app, ids["zhang"])
    assert held == 50  # 150, of which 100 are held at the kiosk
    # the worker keeps the goods photos of the snapshot (asked a while after the refresh)
    wait_until(page, """() => caches.keys().then(n => caches.open(n[0])).then(c => c.keys())
                          .then(k => k.some(r => r.url.indexOf('/kiosk/photo/') > 0))""", timeout=40.0)

    context.set_offline(True)
    page.wait_for_selector("#offline-banner:not([hidden])")
    assert "网络断了,仍可兑换" in page.inner_text("#offline-banner")
    shot(page, screenshot_dir, f"{shop['db']}-1-banner")

    scan(page, shop["cards"]["zhang"])
    page.wait_for_selector("#screen-household:not([hidden])")
    assert page.inner_text("#hh-name") == "张*明"
    assert page.inner_text("#hh-allowance") == "100"
    assert "最多100分" in page.inner_text("#offline-banner")
    plus(page, ids["rice"])
    plus(page, ids["soap"], 2)
    assert page.inner_text("#cart-total") == "60"
    assert page.evaluate(f"document.querySelector('.goods[data-goods-id=\"{ids['rice']}\"] img.real').naturalWidth") == 400
    shot(page, screenshot_dir, f"{shop['db']}-2-cart")
    checkout(page)
    page.wait_for_selector("#screen-success:not([hidden])")
    assert page.inner_text("#ok-pending") == "待同步" and page.inner_text("#ok-left") == "40"
    shot(page, screenshot_dir, f"{shop['db']}-3-receipt")
    page.click("#finish-btn")
    assert len(queue(page)) == 1

    page.reload()  # still offline: the page comes from the service worker, the queue from IndexedDB
    page.wait_for_selector("#screen-attract:not([hidden])")
    assert page.is_visible("#offline-banner") and len(queue(page)) == 1
    assert "1 笔离线兑换待同步" in page.inner_text("#queue-status")
    sell_offline(page, shop["cards"]["li"], {ids["oil"]: 1})
    context.close()

    context = persistent(browser, tmp_path / "profile")  # the browser closed and started again
    context.set_offline(True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(shop["base"] + "/kiosk/")
    page.wait_for_selector("#screen-attract:not([hidden])")
    items = queue(page)
    assert [item["counter"] for item in items] == [1, 2] and [item["total"] for item in items] == [60, 30]
    assert offline_sales(app) == ([], 0)  # nothing reached the server yet

    context.set_offline(False)
    _wait_synced(page)
    sales, redemptions = offline_sales(app)
    assert [(counter, total) for counter, _uid, total in sales] == [(1, 60), (2, 30)] and redemptions == 2
    assert sorted(uid for _c, uid, _t in sales) == sorted(item["uid"] for item in items)
    page.wait_for_selector("#offline-banner", state="hidden")
    # the refresh after the sync: a new snapshot; what the household owns is its balance + the allowance
    wait_until(page, "issued => window.Kiosk.offline.snapshot().then(s => s.issued_at !== issued)", snap["issued_at"])
    fresh = snapshot(page)
    assert {g["id"]: g["stock"] for g in fresh["goods"]}[ids["rice"]] == 2
    assert all(0 < h["allowance"] <= 100 for h in fresh["households"].values())
    # what each household owns: its balance and what the kiosk holds for it
    assert _balance(app, ids["zhang"]) + _held(app, ids["zhang"]) == 150 - 60
    assert _balance(app, ids["li"]) + _held(app, ids["li"]) == 150 - 30
    # a second sync sends nothing and changes nothing
    page.evaluate("() => window.Kiosk.offline.sync()")
    assert offline_sales(app) == (sales, 2)
    context.close()
    verify_clean(app)


def test_two_tabs_sync_the_same_queue_once(browser, shop):
    ids = shop["ids"]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    first = context.new_page()
    pair(first, shop["base"], shop["code"])
    context.set_offline(True)
    for card in ("zhang", "li", "zhang"):
        sell_offline(first, shop["cards"][card], {ids["soap"]: 2})
    second = context.new_page()
    second.goto(shop["base"] + "/kiosk/")
    second.wait_for_selector("#screen-attract:not([hidden])")
    assert len(queue(second)) == 3
    # both tabs start syncing at the same moment the network comes back
    for page in (first, second):
        page.evaluate("() => { window.__sync = window.Kiosk.offline.sync(); }")
    context.set_offline(False)
    for page in (first, second):
        page.evaluate("() => { window.Kiosk.offline.sync(); window.Kiosk.offline.sync(); }")
    _wait_synced(first)
    sales, redemptions = offline_sales(shop["app"])
    assert [counter for counter, _u, _t in sales] == [1, 2, 3] and redemptions == 3
    assert _balance(shop["app"], ids["zhang"]) + _balance(shop["app"], ids["li"]) <= 300 - 30
    context.close()
    verify_clean(shop["app"])


def test_past_the_window_the_kiosk_refuses_to_sell(browser, shop):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.add_init_script(HEARD)
    page = context.new_page()
    page.clock.install()
    pair(page, shop["base"], shop["code"])
    hours = snapshot(page)["window_hours"]
    context.set_offline(True)
    page.clock.set_system_time(datetime.now(timezone.utc) + timedelta(hours=hours, minutes=5))
    scan(page, shop["cards"]["zhang"])
    page.wait_for_selector("#screen-message:not([hidden])")
    assert "网络断开太久了" in page.inner_text("#msg-text")
    assert page.inner_text("#msg-title") == "暂时不能离线兑换"
    assert any(h["key"] == "offline_expired" and h["url"] == "/kiosk/speech/offline_expired" for h in _heard(page))
    assert queue(page) == []
    context.close()


def test_an_exhausted_allowance_is_refused_with_what_is_left(browser, shop, screenshot_dir):
    ids = shop["ids"]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.add_init_script(HEARD)
    page = context.new_page()
    pair(page, shop["base"], shop["code"])
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")  # while online: the worker does not keep it
    context.set_offline(True)
    assert axe_problems(page) == []  # the attract screen with the banner
    sell_offline(page, shop["cards"]["zhang"], {ids["rice"]: 1, ids["oil"]: 1})  # 80 of 100
    scan(page, shop["cards"]["zhang"])
    page.wait_for_selector("#screen-household:not([hidden])")
    assert page.inner_text("#hh-allowance") == "20" and "最多20分" in page.inner_text("#offline-banner")
    assert axe_problems(page) == []
    rice = page.locator(f'.goods[data-goods-id="{ids["rice"]}"]')
    assert "积分不够" in rice.inner_text()
    rice.locator("button.plus").click(force=True)  # a real finger ignores aria-disabled
    said = _heard(page)[-1]
    assert said["key"] == "cannot_add" and "还剩20分" in said["text"]
    plus(page, ids["soap"], 4)
    checkout(page)
    page.wait_for_selector("#screen-success:not([hidden])")
    assert page.inner_text("#ok-left") == "0"
    assert axe_problems(page) == []
    page.click("#finish-btn")
    scan(page, shop["cards"]["zhang"])
    page.wait_for_selector("#screen-message:not([hidden])")
    assert "还剩0分" in page.inner_text("#msg-text")
    said = _heard(page)[-1]
    assert said["key"] == "offline_exhausted" and "还剩0分" in said["text"]
    assert said["via"] in ("browser", "fallback")
    shot(page, screenshot_dir, f"{shop['db']}-4-exhausted")
    context.set_offline(False)
    _wait_synced(page)
    assert [total for _c, _u, total in offline_sales(shop["app"])[0]] == [80, 20]
    context.close()
    verify_clean(shop["app"])


@pytest.mark.parametrize("days", [-2, 2])
def test_a_wrong_kiosk_clock_still_sells_within_the_window_and_syncs(browser, shop, days):
    ids = shop["ids"]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.clock.install(time=datetime.now(timezone.utc) + timedelta(days=days))
    pair(page, shop["base"], shop["code"])
    offset_days = snapshot(page)["offset"] / 86400000
    assert abs(offset_days + days) < 0.01
    context.set_offline(True)
    sell_offline(page, shop["cards"]["li"], {ids["soap"]: 3})
    item = queue(page)[0]
    client_time = datetime.fromisoformat(item["client_time"].replace("Z", "+00:00"))
    assert abs((client_time - datetime.now(timezone.utc)).total_seconds()) < 120  # the corrected clock
    context.set_offline(False)
    _wait_synced(page)
    assert [total for _c, _u, total in offline_sales(shop["app"])[0]] == [15]
    context.close()
    verify_clean(shop["app"])


def test_a_refused_item_is_kept_for_staff_not_dropped(browser, shop):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    pair(page, shop["base"], shop["code"])
    context.set_offline(True)
    sell_offline(page, shop["cards"]["zhang"], {shop["ids"]["soap"]: 1})
    # the stored item no longer matches its signature (as if altered on the kiosk's disk)
    page.evaluate("""() => import('/static/js/kiosk/store.js').then(m => m.all('queue').then(items => {
        items[0].total = 4; items[0].lines[0].price = 4; return m.put('queue', items[0]); }))""")
    context.set_offline(False)
    _wait_synced(page)
    refused = page.evaluate("() => window.Kiosk.offline.refused()")
    assert len(refused) == 1 and refused[0]["answer"]["status"] == "refused"
    assert refused[0]["answer"]["error"] == "bad_signature" and refused[0]["item"]["total"] == 4
    page.wait_for_selector("#queue-status:not([hidden])")
    assert "1 笔离线兑换同步被拒" in page.inner_text("#queue-status")
    assert offline_sales(shop["app"]) == ([], 0)
    with shop["app"].app_context():
        from models import SyncRefusal

        assert [r.error for r in db.session.query(SyncRefusal).all()] == ["bad_signature"]
        db.session.remove()
    context.close()


def test_an_online_scan_leaves_no_allowance_to_sell_offline(browser, shop):
    """The server returned the kiosk's allowance (allowance_returned) or may have (no answer): 0 here
    until the next refresh, so the same points are never spent twice."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    pair(page, shop["base"], shop["code"])
    zhang, li = (next(h for h, v in snapshot(page)["households"].items() if v["name"] == name) for name in ("张*明", "李*山"))
    with page.expect_response("**/kiosk/api/scan") as answer:
        scan(page, shop["cards"]["zhang"])
    assert answer.value.json()["allowance_returned"] == 100
    page.wait_for_selector("#screen-household:not([hidden])")
    assert page.inner_text("#hh-balance") == "150" and page.is_hidden("#fig-offline")
    wait_until(page, "h => window.Kiosk.offline.snapshot().then(s => s.households[h].allowance === 0)", zhang)
    page.click("#back-bar")
    page.wait_for_selector("#screen-attract:not([hidden])")
    # a scan whose answer never comes (the request may have reached the server)
    page.route("**/kiosk/api/scan", lambda route: route.abort("connectionreset"))
    scan(page, shop["cards"]["li"])
    page.wait_for_selector("#screen-message:not([hidden])")
    assert "为了不重复扣分" in page.inner_text("#msg-text")
    assert page.is_visible("#offline-banner")
    assert snapshot(page)["households"][li]["allowance"] == 0
    context.set_offline(True)
    scan(page, shop["cards"]["zhang"])
    page.wait_for_selector("#msg-text:has-text('还剩0分')")
    assert queue(page) == []
    context.close()
