"""The kiosk in real Chromium: pairing, keyboard-wedge scan, camera scan (fake video capture of a
rendered card QR), cart limits, out-of-stock, revoked card, idle timeout. Screenshots are saved
to artifacts/screenshots/kiosk-*.png."""
import io
import os

import pytest

from extensions import db
from models import Household
from services.supermarket import devices as kiosk_devices
from tests.supermarket.kiosk_helpers import add_goods, card_for

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 768}


def _png(image_bytes: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(image_bytes)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def shop(live_server, make_site, make_household):
    app, base_url = live_server
    with app.app_context():
        site = make_site("幸福家园安置点")
        items = {
            "rice": add_goods(site, "大米 5kg", price=50, stock=2, unit="袋", category="粮油"),
            "oil": add_goods(site, "食用油 5L", price=85, stock=5, unit="桶", category="粮油",
                             limit_qty=1, limit_period="month"),
            "soap": add_goods(site, "肥皂", price=5, stock=30, unit="块", category="日用品"),
            "towel": add_goods(site, "毛巾", price=12, stock=0, unit="条", category="日用品"),
        }
        from PIL import Image

        photo = io.BytesIO()
        Image.new("RGB", (400, 300), (240, 200, 60)).save(photo, "JPEG")
        from services.supermarket.goods import set_photo
        set_photo(items["rice"], photo.getvalue())
        home = make_household(site=site, head_name="张小𠮷", balance=150)
        card = card_for(home)
        _device, code = kiosk_devices.create_device(site.id, "一号机")
        ids = {k: v.id for k, v in items.items()} | {"household": home.id}
        db.session.commit()
    return {"app": app, "base": base_url, "card": card, "code": code, "ids": ids}


def _open(browser, shop, context=None):
    context = context or browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.goto(shop["base"] + "/kiosk/")
    page.fill("#pair-code", shop["code"])
    page.click("#pair-btn")
    page.wait_for_selector("#screen-attract:not([hidden])")
    return page


def _wedge_scan(page, value):
    """A USB scanner is a keyboard: it types the card URL and presses Enter."""
    page.keyboard.type(value, delay=5)
    page.keyboard.press("Enter")


def _shot(page, screenshot_dir, name):
    page.screenshot(path=os.path.join(screenshot_dir, f"kiosk-{name}.png"))


def _card(page, goods_id):
    return page.locator(f'.goods[data-goods-id="{goods_id}"]')


def test_full_flow_by_keyboard_wedge(browser, shop, screenshot_dir):
    page = _open(browser, shop)
    assert "幸福家园安置点" in page.inner_text("#site-name")
    assert "请扫描家庭积分卡" in page.inner_text("#screen-attract")
    _shot(page, screenshot_dir, "01-attract")
    _wedge_scan(page, "http://127.0.0.1:5000/c/" + shop["card"])
    page.wait_for_selector("#screen-household:not([hidden])")
    assert page.inner_text("#hh-name") == "张*𠮷"
    assert page.inner_text("#hh-balance") == "150"
    # out of stock is visibly disabled with its reason
    towel = _card(page, shop["ids"]["towel"])
    assert "已兑完" in towel.inner_text() and towel.locator("button.plus").is_disabled()
    _card(page, shop["ids"]["rice"]).locator("button.plus").click()
    _card(page, shop["ids"]["soap"]).locator("button.plus").click()
    _card(page, shop["ids"]["soap"]).locator("button.plus").click()
    assert page.inner_text("#cart-total") == "60" and page.inner_text("#hh-remaining") == "90"
    _shot(page, screenshot_dir, "02-household-cart")
    page.click("#checkout-btn")
    page.wait_for_selector("#screen-confirm:not([hidden])")
    _shot(page, screenshot_dir, "03-confirm")
    page.dblclick("#confirm-btn")  # a double tap must not redeem twice
    page.wait_for_selector("#screen-success:not([hidden])")
    assert page.inner_text("#ok-balance") == "90"
    receipt_no = page.inner_text("#ok-receipt")
    _shot(page, screenshot_dir, "04-success")
    page.emulate_media(media="print")
    _shot(page, screenshot_dir, "05-receipt-print")
    page.emulate_media(media="screen")
    page.click("#finish-btn")
    page.wait_for_selector("#screen-attract:not([hidden])")
    with shop["app"].app_context():
        from sqlalchemy import func, select

        from models import Redemption
        assert db.session.execute(select(func.count()).select_from(Redemption)).scalar_one() == 1
        assert db.session.get(Household, shop["ids"]["household"]).balance == 90
    assert receipt_no.endswith("00000001")
    # Back never re-submits: history holds only the kiosk URL
    assert page.evaluate("history.length") <= 2
    page.context.close()


def test_sizes_are_elder_friendly(browser, shop):
    page = _open(browser, shop)
    _wedge_scan(page, shop["card"])
    page.wait_for_selector("#screen-household:not([hidden])")
    sizes = page.evaluate("""() => {
        const px = (el) => parseFloat(getComputedStyle(el).fontSize);
        const boxes = [...document.querySelectorAll('#screen-household button')].filter(b => b.offsetParent)
            .map(b => b.getBoundingClientRect());
        return {minButton: Math.min(...boxes.map(b => Math.min(b.width, b.height))),
                body: px(document.body), balance: px(document.getElementById('hh-balance')),
                price: px(document.querySelector('.goods .price'))};
    }""")
    assert sizes["minButton"] >= 60 and sizes["body"] >= 24
    assert sizes["balance"] >= 40 and sizes["price"] >= 40
    page.context.close()


def test_cart_limits(browser, shop, screenshot_dir):
    page = _open(browser, shop)
    _wedge_scan(page, shop["card"])
    page.wait_for_selector("#screen-household:not([hidden])")
    rice, oil = _card(page, shop["ids"]["rice"]), _card(page, shop["ids"]["oil"])
    oil.locator("button.plus").click()
    assert oil.locator("button.plus").is_disabled() and "限兑" in oil.inner_text()
    rice.locator("button.plus").click()
    # 150 - 85 - 50 = 15 left: a second bag of rice is not affordable, and says why
    assert rice.locator("button.plus").is_disabled() and "积分不够" in rice.inner_text()
    assert page.inner_text("#hh-remaining") == "15"
    _shot(page, screenshot_dir, "06-cart-limits")
    page.context.close()


def test_out_of_stock_at_confirm(browser, shop, screenshot_dir):
    page = _open(browser, shop)
    _wedge_scan(page, shop["card"])
    page.wait_for_selector("#screen-household:not([hidden])")
    _card(page, shop["ids"]["rice"]).locator("button.plus").click()
    page.click("#checkout-btn")
    with shop["app"].app_context():  # someone else takes the last rice meanwhile
        from models import Goods
        from services.supermarket.goods import stock_out
        stock_out(db.session.get(Goods, shop["ids"]["rice"]), 2, "loss", "受潮")
        db.session.commit()
    page.click("#confirm-btn")
    page.locator("#cart-notice", has_text="库存不足").wait_for()
    assert page.is_hidden("#screen-confirm")
    assert page.inner_text("#cart-total") == "0" and page.is_disabled("#checkout-btn")
    _shot(page, screenshot_dir, "07-out-of-stock")
    # sold out now, so sorted last: on the last page, which may not be the one shown
    page.locator(f'.goods[data-goods-id="{shop["ids"]["rice"]}"]', has_text="已兑完").wait_for(state="attached")
    assert "已兑完" in _card(page, shop["ids"]["rice"]).inner_text()
    page.context.close()


def test_revoked_card_message(browser, shop, screenshot_dir):
    with shop["app"].app_context():
        card_for(db.session.get(Household, shop["ids"]["household"]))
        db.session.commit()
    page = _open(browser, shop)
    _wedge_scan(page, shop["card"])
    page.wait_for_selector("#screen-message:not([hidden])")
    assert "作废" in page.inner_text("#msg-text")
    _shot(page, screenshot_dir, "08-revoked-card")
    page.click("#msg-ok")
    page.wait_for_selector("#screen-attract:not([hidden])")
    page.context.close()


def test_idle_warning_extend_and_timeout(browser, shop, screenshot_dir):
    shop["app"].config.update(KIOSK_IDLE_SECONDS=6, KIOSK_WARN_SECONDS=3)
    page = _open(browser, shop)
    _wedge_scan(page, shop["card"])
    page.wait_for_selector("#screen-household:not([hidden])")
    _card(page, shop["ids"]["soap"]).locator("button.plus").click()
    page.wait_for_selector("#idle-warning:not([hidden])", timeout=8000)
    assert "还需要更多时间吗" in page.inner_text("#idle-warning")
    _shot(page, screenshot_dir, "09-idle-warning")
    page.click("#extend-btn")
    assert page.is_hidden("#idle-warning")
    assert page.inner_text("#cart-total") == "5"
    page.wait_for_selector("#screen-attract:not([hidden])", timeout=12000)
    assert page.inner_text("#hh-name") == "" and page.inner_text("#goods-grid") == ""
    page.context.close()


def _qr_video(path, token, base):
    """A y4m clip of a card QR for Chromium's fake camera."""
    import segno
    from PIL import Image

    buf = io.BytesIO()
    segno.make(f"{base}/c/{token}", error="m").save(buf, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as fh:
        fh.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(20):
            fh.write(b"FRAME\n" + y + chroma + chroma)


def test_full_flow_by_camera(browser, shop, screenshot_dir, tmp_path):
    from tests.conftest import CHROMIUM_ARGS

    video = tmp_path / "card.y4m"
    _qr_video(video, shop["card"], shop["base"])
    camera_browser = browser.browser_type.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera_browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        context.grant_permissions(["camera"], origin=shop["base"])
        page = _open(camera_browser, shop, context)
        page.wait_for_selector("#screen-household:not([hidden])", timeout=15000)
        assert page.inner_text("#hh-name") == "张*𠮷"
        _shot(page, screenshot_dir, "10-camera-scanned")
        _card(page, shop["ids"]["soap"]).locator("button.plus").click()
        page.click("#checkout-btn")
        page.click("#confirm-btn")
        page.wait_for_selector("#screen-success:not([hidden])")
        assert page.inner_text("#ok-balance") == "145"
        context.close()
    finally:
        camera_browser.close()


def test_resident_page_on_a_phone(browser, shop, screenshot_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.goto(f"{shop['base']}/c/{shop['card']}")
    assert page.inner_text("[data-testid=balance]") == "150"
    assert "张*𠮷" in page.inner_text("body") and page.locator("a, form, input").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, screenshot_dir, "11-resident-phone")
    page.goto(f"{shop['base']}/c/{'A' * 26}")
    assert "无效" in page.inner_text("body")
    context.close()
