"""Shared steps of the offline kiosk browser tests (tests/supermarket/test_kiosk_offline_*browser.py)."""
import io
import os
import time

from sqlalchemy import func, select

from extensions import db
from services.supermarket import devices as kiosk_devices
from tests.conftest import CHROMIUM_ARGS
from tests.supermarket.kiosk_helpers import add_goods, card_for

VIEWPORT = {"width": 1366, "height": 768}


def make_shop(app, make_site, make_household, allowance_balance=150):
    """A site with goods (one with a photo), two households with cards and a kiosk pairing code."""
    from PIL import Image

    from services.supermarket.goods import set_photo

    with app.app_context():
        site = make_site("幸福家园安置点")
        rice = add_goods(site, "大米 5kg", price=50, stock=3, unit="袋", category="粮油")
        soap = add_goods(site, "肥皂", price=5, stock=40, unit="块", category="日用品")
        oil = add_goods(site, "食用油 5L", price=30, stock=10, unit="桶", category="粮油")
        photo = io.BytesIO()
        Image.new("RGB", (400, 300), (240, 200, 60)).save(photo, "JPEG")
        set_photo(rice, photo.getvalue())
        zhang = make_household(site=site, head_name="张小明", balance=allowance_balance)
        li = make_household(site=site, head_name="李大山", balance=allowance_balance)
        cards = {"zhang": card_for(zhang), "li": card_for(li)}
        _device, code = kiosk_devices.create_device(site.id, "一号机")
        ids = {"rice": rice.id, "soap": soap.id, "oil": oil.id, "zhang": zhang.id, "li": li.id, "site": site.id}
        db.session.commit()
    return {"app": app, "cards": cards, "code": code, "ids": ids}


def pair(page, base, code):
    """Opens the kiosk, pairs it, waits for its service worker to control the page and its first
    offline snapshot."""
    page.goto(base + "/kiosk/")
    page.fill("#pair-code", code)
    page.click("#pair-btn")
    page.wait_for_selector("#screen-attract:not([hidden])")
    wait_ready(page)


def wait_until(page, script, arg=None, timeout=20.0):
    """Polls `script` (a function, may return a promise: page.wait_for_function does not await one)
    until its value is truthy; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(200)


def wait_ready(page):
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
    wait_until(page, "() => window.Kiosk.offline.snapshot().then(s => !!s)")


def snapshot(page):
    return page.evaluate("window.Kiosk.offline.snapshot()")


def queue(page):
    return page.evaluate("window.Kiosk.offline.queue()")


def scan(page, card):
    """A USB scanner types the card URL and presses Enter."""
    page.keyboard.type("http://127.0.0.1:5000/c/" + card, delay=2)
    page.keyboard.press("Enter")


def plus(page, goods_id, times=1):
    for _ in range(times):
        page.locator(f'.goods[data-goods-id="{goods_id}"] button.plus').click()


def checkout(page):
    page.click("#checkout-btn")
    page.wait_for_selector("#screen-confirm:not([hidden])")
    page.click("#confirm-btn")


def sell_offline(page, card, lines):
    """Scan `card` offline, put `lines` {goods_id: qty} in the cart, redeem: the 待同步 receipt."""
    scan(page, card)
    page.wait_for_selector("#screen-household:not([hidden])")
    assert not page.is_hidden("#fig-offline")
    for goods_id, qty in lines.items():
        plus(page, goods_id, qty)
    checkout(page)
    page.wait_for_selector("#screen-success:not([hidden])")
    assert page.inner_text("#ok-pending") == "待同步"
    page.click("#finish-btn")
    page.wait_for_selector("#screen-attract:not([hidden])")


def shot(page, screenshot_dir, name):
    page.wait_for_timeout(150)
    page.screenshot(path=os.path.join(screenshot_dir, f"kiosk-offline-{name}.png"))


def persistent(browser, user_dir):
    """A Chromium with a user-data dir (its IndexedDB and service worker survive a relaunch)."""
    return browser.browser_type.launch_persistent_context(
        str(user_dir), executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, viewport=VIEWPORT, locale="zh-CN")


def offline_sales(app):
    from models import OfflineSale, Redemption

    with app.app_context():
        sales = db.session.execute(select(OfflineSale).order_by(OfflineSale.counter)).scalars().all()
        redemptions = db.session.execute(select(func.count()).select_from(Redemption)).scalar_one()
        result = [(s.counter, s.uid, s.total_points) for s in sales], redemptions
        db.session.remove()
        return result


def verify_clean(app):
    """`flask ledger verify` finds nothing wrong. Call it with the kiosk closed: verify reads the
    households and the entries in separate statements, so a kiosk refreshing meanwhile (PostgreSQL,
    READ COMMITTED) would show a drift that is not there. The second lets a request the closed
    browser left in flight finish."""
    time.sleep(1)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return result.output


def axe_problems(page):
    """Serious or critical axe-core findings (AAA contrast on), as test_kiosk_a11y.py runs it; axe must be
    on the page (add_script_tag while online)."""
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {rules: {'color-contrast-enhanced': {enabled: true}}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]
