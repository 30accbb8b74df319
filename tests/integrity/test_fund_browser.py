"""Integrity screens in Chromium (screenshots artifacts/screenshots/integrity-*.png): the fund dashboard with
a coverage warning, money received through the 资金台账 form, and the anomaly report."""
import os

import pytest

from extensions import db
from services import ledger
from services.integrity import fund
from services.supermarket import goods as goods_service
from tests.supermarket.kiosk_helpers import add_goods

pytestmark = pytest.mark.browser


def test_fund_dashboard_and_ledger(browser, live_server, make_site, make_household, make_user, screenshot_dir):
    app, base = live_server
    with app.app_context():
        site = make_site("幸福家园安置点")
        admin = make_user("admin", username="boss")
        make_user("auditor", username="audit1")
        home = make_household(site, head_name="李䶮", balance=0)
        ledger.post(home, 5000, "rule_award", None, None, None, "t:1")
        oil = add_goods(site, "食用油 5L", price=60, stock=0, unit="桶")
        fund.receive_money(admin, site.id, "2000", "aid_unit", "县农业农村局", "转账 118")
        move = goods_service.stock_in(oil, 10, "purchase", "县供销社")
        fund.value_stock_in(admin, move.id, "55")
        db.session.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.click(".navgroup summary:has-text(\"监督\")")
    page.click(".mainnav a:has-text(\"积分基金\")")
    assert "不足" in page.inner_text("main")
    page.screenshot(path=os.path.join(screenshot_dir, "integrity-01-fund.png"), full_page=True)
    page.click("nav.tabs a:has-text(\"资金台账\")")
    page.fill("form:has(input[value=money]) input[name=amount]", "1500.50")
    page.fill("form:has(input[value=money]) input[name=source_name]", "村股份经济合作社")
    page.fill("form:has(input[value=money]) input[name=reference]", "收据 7")
    page.select_option("form:has(input[value=money]) select[name=source]", "collective")
    page.click("form:has(input[value=money]) button[type=submit]")
    assert "已记入资金台账" in page.inner_text(".flash")
    assert "1,500.50" in page.inner_text("table.grid")
    page.screenshot(path=os.path.join(screenshot_dir, "integrity-02-ledger.png"), full_page=True)
    page.click("nav.tabs a:has-text(\"异常核查\")")
    assert "异常核查" in page.inner_text("h1")
    page.screenshot(path=os.path.join(screenshot_dir, "integrity-03-anomalies.png"), full_page=True)


def test_anomaly_report_on_planted_data(browser, live_server, make_user, screenshot_dir):
    from bench.plant_anomalies import plant

    app, base = live_server
    with app.app_context():
        world = plant(seed=12)
        make_user("auditor", username="audit2", sites=world.sites)
        start, end = world.start, world.today
        db.session.commit()
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "audit2")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.goto(f"{base}/admin/integrity/anomalies?start={start}&end={end}")
    assert "还没有核查过" in page.inner_text("main")
    page.click("button:has-text('开始核查')")  # runs in the background; the page refreshes until it is done
    page.wait_for_selector("table.grid", timeout=60_000)
    assert "大额加分后很快兑换" in page.inner_text("table.grid")
    page.screenshot(path=os.path.join(screenshot_dir, "integrity-04-anomalies-found.png"))
    row = page.locator("table.grid tbody tr", has_text="非工作时间录入").first
    row.locator("input[name=note]").fill("已核实:夜间抢险补记")
    row.locator("button:has-text('已核查')").click()
    assert "已标记为已核查" in page.inner_text(".flash")
    page.click("table.grid tbody tr:has-text('大额加分后很快兑换') a:has-text('账本记录')")
    assert "相关账本记录" in page.inner_text("h1")
    page.screenshot(path=os.path.join(screenshot_dir, "integrity-05-entries.png"))
