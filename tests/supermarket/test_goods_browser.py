"""Shopkeeper pages in Chromium: add goods with a photo, stock in, low-stock warning, reconciliation.
Screenshots: artifacts/screenshots/goods-*.png."""
import os

import pytest
from PIL import Image

from extensions import db

pytestmark = pytest.mark.browser


def test_shopkeeper_adds_goods_and_stocks_in(browser, live_server, make_site, make_user, screenshot_dir, tmp_path):
    app, base = live_server
    with app.app_context():
        site = make_site("幸福家园安置点")
        make_user("shopkeeper", username="shop1", sites=[site])
        db.session.commit()
    photo = tmp_path / "oil.jpg"
    Image.new("RGB", (1600, 1200), (230, 180, 40)).save(photo, "JPEG")
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "shop1")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.click(".navgroup summary:has-text(\"超市\")")
    page.click(".mainnav a:has-text(\"商品管理\")")
    page.click("text=+ 新增商品")
    page.fill("input[name=name]", "食用油 5L")
    page.fill("input[name=price]", "85")
    page.fill("input[name=unit]", "桶")
    page.fill("input[name=limit_qty]", "1")
    page.select_option("select[name=limit_period]", "month")
    page.set_input_files("input[name=photo]", str(photo))
    page.screenshot(path=os.path.join(screenshot_dir, "goods-01-form.png"), full_page=True)
    page.click("text=保存")
    assert "已保存" in page.inner_text(".flash")
    page.fill("form:has(input[value=in]) input[name=quantity]", "3")
    page.fill("form:has(input[value=in]) input[name=source_name]", "县民政局")
    page.click("text=登记入库")
    assert "现有库存 3" in page.inner_text(".flash")
    assert "低于预警线" in page.inner_text(".stats")
    page.screenshot(path=os.path.join(screenshot_dir, "goods-02-detail.png"), full_page=True)
    page.click("text=商品与库存")
    assert "库存预警" in page.inner_text("main")
    page.screenshot(path=os.path.join(screenshot_dir, "goods-03-list.png"), full_page=True)
    page.click("text=月度对账")
    row = page.inner_text("table.grid tbody tr")
    assert "食用油 5L" in row and "\t3\t" in row
    page.screenshot(path=os.path.join(screenshot_dir, "goods-04-reconciliation.png"), full_page=True)
    page.context.close()
