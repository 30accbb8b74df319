"""Browser screenshots (real Chromium): household list, detail, import preview, and a card sheet."""
import os
import subprocess

import pytest

from extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(live_server):
    app, base = live_server
    with app.app_context():
        from services.demo.county import build_demo

        build_demo()
        db.session.commit()
        db.session.remove()
    return app, base


def login(page, base, username="cadre", password="cadre12345"):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def test_screenshots_list_detail_and_card_sheet(browser, demo_server, screenshot_dir, tmp_path):
    app, base = demo_server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    login(page, base)
    page.goto(f"{base}/admin/households")
    assert page.locator("table.grid tbody tr").count() == 30  # first page of 30
    page.screenshot(path=os.path.join(screenshot_dir, "households_list.png"), full_page=True)

    page.fill("input[name=q]", "zj")
    with page.expect_navigation():  # a screenshot taken while the search page loads fails in Chromium
        page.click("form[role=search] button[type=submit]")
    page.screenshot(path=os.path.join(screenshot_dir, "households_search_initials.png"))

    page.goto(f"{base}/admin/households")
    page.locator("table.grid tbody tr a").first.click()
    page.wait_for_selector("text=积分明细")
    assert page.locator("text=积分卡").count() >= 1
    page.screenshot(path=os.path.join(screenshot_dir, "household_detail.png"), full_page=True)
    asked = []  # the confirmation runs from static/js/admin.js (the CSP blocks inline handlers)
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    detail_url = page.url
    page.click("button:has-text('挂失')")
    assert asked == ["挂失后这张卡立即停用,确定吗?"]
    assert page.url == detail_url and page.locator("button:has-text('挂失')").count() == 1  # nothing posted

    page.click("text=修改信息")
    page.fill("input[name=phone]", "12345")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("text=格式不对")
    page.screenshot(path=os.path.join(screenshot_dir, "household_edit_error.png"), full_page=True)

    page.goto(f"{base}/admin/households")
    page.check("input[aria-label=全选]")
    assert page.locator("input[name=household_ids]:checked").count() == 30
    boxes = page.locator("input[name=household_ids]")
    ids = [boxes.nth(i).get_attribute("value") for i in range(10)]
    # Playwright's form= cannot repeat a key; send the urlencoded body ourselves.
    body = "&".join([f"household_ids={i}" for i in ids] + ["layout=sheet"])
    resp = page.request.post(f"{base}/admin/cards/print", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(resp.body())
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(pdf),
                    os.path.join(screenshot_dir, "card_sheet")], check=True)
    codes = subprocess.run(["zbarimg", "-q", "--raw", os.path.join(screenshot_dir, "card_sheet.png")],
                           capture_output=True, text=True).stdout.split()
    assert len(codes) == 10
    page.close()


def test_screenshot_import_preview_with_errors(browser, demo_server, screenshot_dir, tmp_path):
    from openpyxl import Workbook

    from services.households.excel import COLUMNS

    app, base = demo_server
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    ws.append(["幸福家园安置点", "张建国", "51012319900101123X", "13800001111", "1栋", "101", "低收入户", "李秀英(配偶)", ""])
    ws.append(["幸福家园安置点", "", "", "138", "", "", "", "", ""])
    ws.append(["石门安置点", "王五", "51012319900101123X", "", "", "", "五保户", "王小(邻居)", ""])
    path = tmp_path / "broken.xlsx"
    wb.save(path)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    login(page, base)
    page.goto(f"{base}/admin/households/import")
    page.set_input_files("input[type=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("text=没有导入任何数据")
    page.screenshot(path=os.path.join(screenshot_dir, "households_import_errors.png"), full_page=True)
    page.close()

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    login(page, base, "admin", "admin12345")
    page.goto(f"{base}/admin/staff")
    page.screenshot(path=os.path.join(screenshot_dir, "staff_list.png"), full_page=True)
    page.goto(f"{base}/admin/audit")
    assert page.locator("td.mono", has_text="staff.login").count() >= 1
    page.screenshot(path=os.path.join(screenshot_dir, "audit_log.png"))
    page.close()
