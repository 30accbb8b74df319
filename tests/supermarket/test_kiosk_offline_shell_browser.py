"""The kiosk's service worker in real Chromium: the shell is cached under a versioned name, a reload
with the network cut shows a working kiosk with the offline banner, and API calls never come from a
cache. Also the card hash the browser computes equals services/households/cards.py's."""
import pytest

from services.households.cards import token_from_scan, token_hash
from tests.supermarket.offline_browser_helpers import VIEWPORT, make_shop, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(live_server, make_site, make_household):
    app, base = live_server
    return make_shop(app, make_site, make_household) | {"base": base}


def _paired(browser, shop):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.goto(shop["base"] + "/kiosk/")
    page.fill("#pair-code", shop["code"])
    page.click("#pair-btn")
    page.wait_for_selector("#screen-attract:not([hidden])")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
    return context, page


def test_a_reload_without_network_shows_the_kiosk_from_the_cache(browser, shop):
    context, page = _paired(browser, shop)
    names = page.evaluate("caches.keys()")
    assert len(names) == 1 and names[0].startswith("kiosk-shell-")
    cached = page.evaluate("caches.open(%r).then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))"
                           % names[0])
    assert "/kiosk/" in cached and "/static/css/kiosk.css" in cached and "/static/js/kiosk/main.js" in cached
    assert "/static/img/pictograms/rice.svg" in cached and "/static/vendor/jsqr/jsQR.js" in cached
    assert not [path for path in cached if path.startswith("/kiosk/api/")]
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#screen-attract:not([hidden])")
    assert page.is_visible("#offline-banner")
    assert "网络断了,仍可兑换" in page.inner_text("#offline-banner")
    assert "幸福家园安置点" in page.inner_text("#site-name")
    # the pictures of the page came from the cache too
    assert page.evaluate("document.querySelector('.card-icon').naturalWidth") > 0
    context.set_offline(False)
    page.wait_for_function("() => !document.documentElement.classList.contains('offline')", timeout=45000)
    assert page.is_hidden("#offline-banner")
    context.close()


def test_a_new_version_replaces_the_old_cache(browser, shop):
    context, page = _paired(browser, shop)
    page.evaluate("caches.open('kiosk-shell-old').then(c => c.put('/kiosk/x', new Response('x')))")
    worker = page.get_attribute("#kiosk", "data-worker")
    # a new worker URL (a new version) installs, activates and deletes every other kiosk cache
    page.evaluate("navigator.serviceWorker.register(%r, {scope: '/kiosk/'})" % worker.replace("v=", "v=next"))
    wait_until(page, "() => caches.keys().then(k => k.length === 1 && k[0].indexOf('next') > 0)")
    context.close()


SCANS = ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "  http://x.cn/c/abcdefghijklmnopqrstuv2345/  ",
         "https://a/c/b/c/ABCDEFGHIJKLMNOPQRSTUV2345", "\x1cABCDEFGHIJKLMNOPQRSTUV2345\u3000",
         "ABCDEFGHIJKLMNOPQRSTUV2345\n/", "ABCDEFGHIJKLMNOPQRSTUV234", "ABCDEFGHIJKLMNOPQRSTUV23450",
         "\ufeffABCDEFGHIJKLMNOPQRSTUV2345", "ABCDEFGHIJKLMNOPQRSTUV2345//", "", "/c/"]


def test_the_browser_hashes_a_scan_as_the_server_does(browser, shop):
    context, page = _paired(browser, shop)
    got = page.evaluate("scans => import('/static/js/kiosk/offline.js').then(m => Promise.all(scans.map(m.cardHash)))",
                        SCANS)
    assert got == [token_hash(token_from_scan(s)) if token_from_scan(s) else None for s in SCANS]
    assert len([h for h in got if h]) >= 6
    context.close()
