"""A cadre's day on the demo county, in a real browser, on SQLite and PostgreSQL:
import → cards → round → 公示 → objection → post → honor list → publish → broadcast.
One screenshot per step under artifacts/screenshots/cadre_day/."""
import io
import os
import re
import shutil

import pytest
from openpyxl import Workbook

from extensions import db

pytestmark = pytest.mark.browser

NEW_FAMILIES = ("周德华", "龙春梅", "田永福")


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_server(request, demo_template, tmp_path):
    """The demo county served by werkzeug on a free port; yields (app, base_url)."""
    from app import create_app
    from tests.conftest import FreshUserClient, serving, test_settings

    if request.param == "sqlite":
        path = tmp_path / "demo.db"
        shutil.copyfile(demo_template, path)
        app = create_app(test_settings(f"sqlite:///{path}"))
    else:
        app = request.getfixturevalue("pg_app")
        with app.app_context():
            from services.demo.county import build_demo

            build_demo(households=40)
            db.session.commit()
            db.session.remove()
    app.test_client_class = FreshUserClient
    with serving(app) as base:
        yield app, base, request.param


def _workbook() -> str:
    from services.households.excel import COLUMNS

    wb = Workbook()
    wb.active.append(list(COLUMNS))
    for n, name in enumerate(NEW_FAMILIES):
        wb.active.append(["幸福家园安置点", name, "", "", "8栋", f"1单元{n + 1}01", "", "", "新搬入"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_cadres_day(demo_server, browser, screenshot_dir, tmp_path):
    app, base, database = demo_server
    folder = os.path.join(screenshot_dir, "cadre_day")
    os.makedirs(folder, exist_ok=True)
    shots = iter(range(1, 100))

    def shot(step: str):
        page.screenshot(path=os.path.join(folder, f"{database}-{next(shots):02d}-{step}.png"), full_page=True)

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    # 08:30 the cadre logs in; the home page says what waits today
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "cadre")
    page.fill("input[name=password]", "cadre12345")
    page.click("button[type=submit]")
    todo = page.inner_text("main")
    assert "公示已结束、可以入账的评议" in todo and "公示已结束、可以发布的光荣榜" in todo
    shot("home")

    # three families moved in: import them from the village's Excel sheet
    page.click(".navgroup summary:has-text('积分')")
    page.click(".mainnav a:has-text('一户一档')")
    page.click("text=导入")
    sheet = tmp_path / "新搬入住户.xlsx"
    sheet.write_bytes(_workbook())
    page.set_input_files("input[type=file]", str(sheet))
    page.click("button:has-text('上传并检查')")
    assert "共 3 户,检查通过" in page.inner_text("main")
    shot("import-checked")
    page.click("button:has-text('确认导入')")
    listing = page.inner_text("main")
    assert "只显示这次导入的住户" in listing and all(name in listing for name in NEW_FAMILIES)
    shot("imported-households")

    # their QR cards: print, then confirm the handover once they are in hand
    page.check("input[data-check-all]")
    with context.expect_page() as popup:
        page.click("button:has-text('发新卡并打印')")
    pdf_tab = popup.value
    pdf_tab.wait_for_load_state()
    pdf_tab.close()
    page.click(f"a:has-text('{NEW_FAMILIES[0]}')")
    assert "第 1 张" in page.inner_text("main")
    shot("cards-printed")
    # new households had no old card: nothing waits for a handover, and every new card works
    from models import Card, Household

    with app.app_context():
        ids = db.session.execute(db.select(Household.id).where(Household.head_name.in_(NEW_FAMILIES))).scalars().all()
        cards = db.session.execute(db.select(Card.status).where(Card.household_id.in_(ids))).scalars().all()
        assert sorted(cards) == ["active"] * 3

    # the committee finished scoring last month's round: open its 公示
    page.goto(base + "/admin/evaluations?status=scoring")
    page.click("table a:has-text('月')")
    page.click("button:has-text('开始公示')")
    assert "公示中" in page.inner_text("main")
    shot("round-notice-opened")

    # a neighbour objects at the notice board; the cadre records and settles it
    page.select_option("select[name=line_id]", index=1)
    page.fill("input[name=raised_by]", "4栋住户")
    page.fill("textarea[name=content]", "这一户门前常堆杂物,环境卫生分偏高")
    page.click("button:has-text('登记异议')")
    assert "待处理" in page.inner_text("main") or "未处理" in page.inner_text("main")
    shot("objection-recorded")
    page.fill("input[name=resolution]", "入户核实,杂物已清理,评分属实")
    page.click("button:has-text('提交处理')")
    assert "不成立" in page.inner_text("main")
    shot("objection-settled")

    # last quarter's 公示 ended yesterday: post its points
    page.goto(base + "/admin/")
    page.click("li:has-text('公示已结束、可以入账的评议') a")
    page.click("button:has-text('公示期满,积分入账')")
    assert "已入账" in page.inner_text("main")
    shot("round-posted")

    # the honor list whose 公示 ended: publish it
    page.goto(base + "/admin/")
    page.click("li:has-text('公示已结束、可以发布的光荣榜') a")
    assert "村喇叭广播稿(草稿)" in page.inner_text("main")
    page.click("button:has-text('发布光荣榜')")
    assert "光荣榜已发布" in page.inner_text("main")
    shot("honor-published")

    # and read it out over the village loudspeaker
    page.click("a:has-text('村喇叭广播稿')")
    broadcast = page.inner_text("main")
    assert "经评议和公示" in page.input_value("textarea[name=script]") and "草稿" not in broadcast
    shot("broadcast")

    # evening: what was waiting this morning is done
    page.goto(base + "/admin/")
    after = page.inner_text("main")
    shot("home-evening")
    context.close()
    assert re.search(r"0\s*次\s*公示已结束、可以入账的评议", after), after
    assert re.search(r"0\s*个\s*公示已结束、可以发布的光荣榜", after), after
