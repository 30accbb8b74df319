"""The kiosk list and a kiosk's offline page in Chromium at 1366x768, as the shopkeeper uses them:
read the figures, open the kiosk, settle an owed line. Screenshots: artifacts/screenshots/kiosk-offline-*.png."""
import os

import pytest

from extensions import db
from tests.supermarket.offline_admin_helpers import offline_world

pytestmark = pytest.mark.browser


def test_shopkeeper_reads_the_kiosks_offline_state_and_settles(browser, live_server, make_site, make_household,
                                                              make_user, screenshot_dir):
    app, base = live_server
    with app.app_context():
        world = offline_world(make_site, make_household, make_user)
        shop = world["shop"].username
        db.session.commit()
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", shop)
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.click(".navgroup summary:has-text(\"超市\")")
    page.click(".mainnav a:has-text(\"自助终端\")")
    row = page.inner_text("table.grid tbody tr:has-text(\"一号机\")")
    assert "2 户 130 分" in row and "3 笔" in row and "(近7天 2)" in row, row
    page.screenshot(path=os.path.join(screenshot_dir, "kiosk-offline-01-list.png"), full_page=True)
    link = page.locator("table.grid a[href$='#owed']").bounding_box()
    assert link["width"] >= 24 and link["height"] >= 24
    page.click("table.grid a:has-text(\"一号机\")")
    assert "离线情况" in page.inner_text("h1")
    page.screenshot(path=os.path.join(screenshot_dir, "kiosk-offline-02-detail.png"), full_page=True)
    form = page.locator("#owed ~ table form").first
    form.locator("input[name=note]").fill("已补货交给户主")
    form.locator("button").click()
    assert "已对账" in page.inner_text(".flash")
    assert page.locator("#owed ~ table form").count() == 1
    page.screenshot(path=os.path.join(screenshot_dir, "kiosk-offline-03-settled.png"), full_page=True)
    page.click("text=退回离线额度…")
    assert "确认退回 130 分" in page.inner_text("main")
    page.screenshot(path=os.path.join(screenshot_dir, "kiosk-offline-04-return.png"), full_page=True)
    page.context.close()
