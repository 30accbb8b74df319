"""Browser screenshots (real Chromium): the household page and the resident's card page while a
kiosk holds an offline allowance for the household."""
import os

import pytest

from extensions import db

pytestmark = pytest.mark.browser


def test_points_held_at_a_kiosk_on_the_household_and_card_pages(browser, live_server, screenshot_dir,
                                                               make_site, make_household, make_user):
    app, base = live_server
    with app.app_context():
        from services.supermarket import offline_refresh
        from tests.supermarket.kiosk_helpers import card_for, paired_device

        site = make_site("幸福家园安置点")
        home = make_household(site=site, head_name="欧阳小明", balance=150)
        card = card_for(home)
        device, _token = paired_device(site)
        make_user("admin", username="offline-admin", sites=[site])
        offline_refresh.refresh(device, 0, 0)
        db.session.commit()
        home_id = home.id
        db.session.remove()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "offline-admin")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}/admin/households/{home_id}")
    held = page.locator("[data-testid=held-out]")
    assert held.locator(".num").inner_text() == "100" and "暂存在超市终端" in held.inner_text()
    assert page.locator("text=本户共有 150 分").count() == 1
    assert page.locator("text=暂存超市终端(离线额度)").count() == 1  # the hold's entry, labelled
    page.screenshot(path=os.path.join(screenshot_dir, "household_detail_offline_allowance.png"), full_page=True)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone.goto(f"{base}/c/{card}")
    assert phone.locator("[data-testid=balance]").inner_text() == "150"
    assert "其中 100 分暂存在超市终端" in phone.locator("[data-testid=held-out]").inner_text()
    phone.screenshot(path=os.path.join(screenshot_dir, "resident_card_offline_allowance.png"), full_page=True)
