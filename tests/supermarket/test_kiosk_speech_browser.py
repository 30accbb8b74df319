"""The kiosk speaks in real Chromium: the audio fetched during a full redemption is exactly the
expected phrases (balance, each item added/removed with its price, the cart before confirming, the
whole receipt after), never a name; mute / repeat / volume work; without espeak-ng it is silent."""
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from extensions import db
from services import speech
from services.supermarket import devices as kiosk_devices
from services.supermarket import kiosk_speech
from tests.supermarket.kiosk_helpers import add_goods, card_for

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(live_server, make_site, make_household, tmp_path):
    app, base_url = live_server
    app.config["KIOSK_AUDIO_DIR"] = str(tmp_path / "audio")
    with app.app_context():
        site = make_site("幸福家园安置点")
        rice = add_goods(site, "大米 10kg", price=50, stock=5, unit="袋", category="粮油")
        soap = add_goods(site, "肥皂", price=5, stock=30, unit="块", category="日用品")
        home = make_household(site=site, head_name="张小𠮷", balance=150)
        card = card_for(home)
        _device, code = kiosk_devices.create_device(site.id, "一号机")
        ids = {"rice": rice.id, "soap": soap.id}
        db.session.commit()
    return {"app": app, "base": base_url, "card": card, "code": code, "ids": ids}


def _open(browser, shop):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(shop["base"] + "/kiosk/")
    page.fill("#pair-code", shop["code"])
    if not speech.espeak_available():
        page.click("#pair-btn")
    else:
        with page.expect_response(lambda r: r.url.endswith("/kiosk/speech/attract")):  # 请扫描家庭积分卡
            page.click("#pair-btn")
    page.wait_for_selector("#screen-attract:not([hidden])")
    return page


def _spoken(page, action):
    """Do `action` and return the /kiosk/speech/ URL path+query it made the kiosk fetch."""
    with page.expect_response(lambda r: "/kiosk/speech/" in r.url, timeout=10000) as info:
        action()
    response = info.value
    assert response.status in (200, 206, 304), response.status
    assert response.headers["content-type"].startswith("audio/")
    parts = urlsplit(response.url)
    params = parse_qsl(parts.query)
    names = [name for name, _value in params]
    if {"goods", "items", "balance", "total"} & set(names):  # the server speaks amounts only for a session
        assert names.count("session") == 1
    query = "&".join(f"{name}={value}" for name, value in params if name != "session")
    return parts.path.rsplit("/", 1)[1] + ("?" + query if query else ""), response


def _plus(page, goods_id, sign="plus"):
    return lambda: page.locator(f'.goods[data-goods-id="{goods_id}"] button.{sign}').click()


def test_full_redemption_speaks_the_expected_phrases(browser, shop):
    page = _open(browser, shop)
    rice, soap = shop["ids"]["rice"], shop["ids"]["soap"]

    def scan():
        page.keyboard.type(shop["card"], delay=2)
        page.keyboard.press("Enter")

    steps = [
        (scan, "welcome?balance=150"),
        (_plus(page, rice), f"added?goods={rice}&qty=1"),
        (_plus(page, soap), f"added?goods={soap}&qty=1"),
        (_plus(page, soap), f"added?goods={soap}&qty=2"),
        (_plus(page, soap, "minus"), f"removed?goods={soap}&qty=1"),
        (lambda: page.click("#checkout-btn"), f"confirm?items={rice}:1,{soap}:1&remaining=95&total=55"),
        (lambda: page.click("#confirm-btn"), f"success?balance=95&items={rice}:1,{soap}:1&total=55"),
        (lambda: page.click("#finish-btn"), "goodbye"),
    ]
    heard = []
    for action, expected in steps:
        url, response = _spoken(page, action)
        assert unquote(url) == expected
        heard.append(unquote(response.headers["x-phrase"]))
        key, _, query = expected.partition("?")
        with shop["app"].app_context():
            assert heard[-1] == kiosk_speech.phrase_text(key, dict(parse_qsl(query)))
    assert heard[0].startswith("您好,您家现在有一百五十分")
    assert heard[1] == "大米十公斤,每袋五十分。已选一袋"
    assert heard[5].startswith("您选了:大米十公斤一袋,肥皂一块。一共五十五分,兑换后还剩九十五分")
    assert heard[6].startswith("兑换成功。大米十公斤一袋,肥皂一块。这次用了五十五分,您家还剩九十五分")
    assert not any("张" in text or "𠮷" in text for text in heard)  # never a name aloud
    page.context.close()


def test_errors_are_spoken_with_what_to_do(browser, shop):
    page = _open(browser, shop)

    def scan_junk():
        page.keyboard.type("NOT-A-CARD", delay=2)
        page.keyboard.press("Enter")

    url, response = _spoken(page, scan_junk)
    assert url == "card_error?reason=unreadable"
    assert "再扫一次" in unquote(response.headers["x-phrase"])
    page.context.close()


def test_a_blocked_plus_says_why(browser, shop):
    page = _open(browser, shop)
    rice = shop["ids"]["rice"]
    page.keyboard.type(shop["card"], delay=2)
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-household:not([hidden])")
    for _qty in (1, 2, 3):
        _spoken(page, _plus(page, rice))
    plus = page.locator(f'.goods[data-goods-id="{rice}"] button.plus')
    assert plus.get_attribute("aria-disabled") == "true" and "积分不够" in page.inner_text(f'.goods[data-goods-id="{rice}"]')
    url, response = _spoken(page, lambda: plus.click(force=True))  # a real finger ignores aria-disabled
    # three in the cart, a fourth not affordable: "not one more", not "not at all"
    assert unquote(url) == f"cannot_add?goods={rice}&reason=points_more"
    assert unquote(response.headers["x-phrase"]) == "大米十公斤不能再加了,积分不够再加一袋"
    assert page.inner_text("#cart-total") == "150"
    page.context.close()


def test_mute_repeat_and_volume(browser, shop):
    page = _open(browser, shop)
    soap = shop["ids"]["soap"]
    page.keyboard.type(shop["card"], delay=2)
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-household:not([hidden])")
    page.click("#vol-up")
    assert page.inner_text("#vol-level") == "音量 5" and page.is_disabled("#vol-up")
    assert page.evaluate("KioskHooks.audio.volume") == 1
    page.click("#mute-btn")
    assert page.get_attribute("#mute-btn", "aria-pressed") == "true" and page.inner_text("#vol-level") == "已静音"
    before = page.evaluate("KioskHooks.audio.src")
    _plus(page, soap)()
    assert page.inner_text("#cart-total") == "5"  # works with the sound off
    page.wait_for_timeout(300)
    assert page.evaluate("KioskHooks.audio.src") == before  # muted: nothing new played
    page.click("#repeat-btn")  # 再听一遍 plays the last phrase even when muted
    assert f"/kiosk/speech/added?goods={soap}&qty=1&session=" in page.evaluate("KioskHooks.audio.src")
    page.click("#back-bar")  # 取消并退出: the next resident gets the sound back
    page.wait_for_selector("#screen-attract:not([hidden])")
    assert page.get_attribute("#mute-btn", "aria-pressed") == "false" and page.inner_text("#vol-level") == "音量 4"
    page.context.close()


def test_without_espeak_the_kiosk_is_silent_and_works(browser, shop, monkeypatch):
    monkeypatch.setattr(speech, "espeak_available", lambda: False)
    page = _open(browser, shop)
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/kiosk/speech/" in r.url else None)
    assert page.is_hidden("#bar-audio") and page.is_visible("#large-btn")
    page.keyboard.type(shop["card"], delay=2)
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen-household:not([hidden])")
    _plus(page, shop["ids"]["soap"])()
    page.click("#checkout-btn")
    page.click("#confirm-btn")
    page.wait_for_selector("#screen-success:not([hidden])")
    assert page.inner_text("#ok-balance") == "145" and fetched == []
    page.context.close()
