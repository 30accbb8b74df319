"""Real Chromium: the scoring grid (keyboard entry, totals, nominations) and the activity sign-in
screen (USB-scanner typing, duplicate / forged / revoked cards, manual search). Screenshots are
saved to artifacts/screenshots/earning-*.png."""
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import ActivitySignIn, RoundNomination, RoundScore
from services.earning import activities, evaluations
from services.households import cards

pytestmark = pytest.mark.browser


@pytest.fixture
def earning(live_server, make_site, make_household, make_user):
    app, base_url = live_server
    with app.app_context():
        evaluations.ensure_defaults()
        site = make_site("幸福家园安置点")
        names = ("张三丰", "李䶮", "王𠮷祥", "欧阳小明", "赵㛃美")
        homes = [make_household(site, head_name=n, building=f"{i // 2 + 1}栋", door_no=f"{i + 1}01")
                 for i, n in enumerate(names)]
        tokens = [cards.issue_card(h)[1] for h in homes]
        committee = make_user("committee", username="pingyi", sites=[site])
        committee.display_name = "赵评议"
        rnd = evaluations.create_round(committee, {"site_id": site.id, "title": "2026年第4季度",
                                                   "period_start": "2026-10-01", "period_end": "2026-12-31"})
        evaluations.start_scoring(committee, rnd)
        act = activities.create(committee, {"site_id": site.id, "title": "小区集中清扫", "starts_at": "2026-11-23T09:00",
                                            "place": "3栋前广场", "points": 5})
        revoked_token = tokens[4]
        cards.issue_card(homes[4])  # the old card of 赵㛃美 is now revoked
        ids = {"round": rnd.id, "activity": act.id, "homes": [h.id for h in homes]}
        db.session.commit()
    return {"app": app, "base": base_url, "ids": ids, "tokens": tokens, "revoked": revoked_token}


def login(page, base):
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "pingyi")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")


def test_scoring_grid_keyboard_entry(browser, earning, screenshot_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    login(page, earning["base"])
    page.goto(earning["base"] + f"/admin/evaluations/{earning['ids']['round']}/grid")
    first = page.locator("input.score").first
    first.click()
    # first column, down the households: Enter moves to the next row
    for value in ("8", "9", "7", "10", "6"):
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    # back to the first row, then across the dimensions with →
    first.click()
    for value in ("8", "5", "6", "7"):
        page.keyboard.press("ArrowRight")
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.locator("input[data-award]").first.check()
    bad = page.locator("tbody tr").nth(1).locator("input.score").nth(1)
    bad.click()
    page.keyboard.type("15")
    page.keyboard.press("Enter")
    expect(page.locator("#grid-status")).to_contain_text("0 到 10")
    # every save answered (the grid's own count), so the database holds them all; the error
    # typed last is still the message shown: no late "已保存" took its place
    expect(page.locator("#score-grid")).to_have_attribute("data-pending", "0")
    expect(page.locator("#grid-status")).to_contain_text("0 到 10")
    expect(page.locator("tbody tr [data-total]").first).to_contain_text("34")
    page.screenshot(path=os.path.join(screenshot_dir, "earning-scoring-grid.png"), full_page=True)
    app = earning["app"]
    with app.app_context():
        scores = db.session.execute(select(RoundScore)).scalars().all()
        assert len(scores) == 9
        assert sorted(s.score for s in scores) == [5, 6, 6, 7, 7, 8, 8, 9, 10]
        assert db.session.execute(select(db.func.count(RoundNomination.id))).scalar_one() == 1
    context.close()


def _grid(browser, earning, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    login(page, earning["base"])
    page.goto(earning["base"] + f"/admin/evaluations/{earning['ids']['round']}/grid")
    return page


def test_a_late_save_never_overwrites_a_newer_message(browser, earning):
    """The race behind the old flaky "0 到 10" check, made to happen every time: the nomination's
    answer is held back until the cadre has typed a wrong score, then let through."""
    page = _grid(browser, earning)
    held = []
    page.route("**/cell", lambda route: held.append(route))
    page.locator("input[data-award]").first.check()
    page.wait_for_function("document.getElementById('score-grid').dataset.pending === '1'")
    expect(page.locator("#grid-status")).to_have_text("正在保存…")
    page.locator("input.score").nth(1).click()
    page.keyboard.type("15")
    page.keyboard.press("Enter")
    expect(page.locator("#grid-status")).to_contain_text("0 到 10")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#score-grid")).to_have_attribute("data-pending", "0")
    expect(page.locator("#grid-status")).to_contain_text("0 到 10")  # the older "已保存" did not replace it
    with earning["app"].app_context():
        assert db.session.execute(select(db.func.count(RoundNomination.id))).scalar_one() == 1
    page.context.close()


def test_a_cell_set_back_to_its_saved_value_is_clean(browser, earning):
    page = _grid(browser, earning)
    cell = page.locator("input.score").first
    cell.click()
    page.keyboard.type("8")
    page.keyboard.press("Enter")
    expect(page.locator("#score-grid")).to_have_attribute("data-pending", "0")
    expect(cell).to_have_class("score saved")
    cell.click()
    page.keyboard.type("9")  # typed, not saved yet: marked as changed
    expect(cell).to_have_class("score saved dirty")
    page.keyboard.press("Control+a")
    page.keyboard.type("15")
    page.keyboard.press("Enter")  # refused: red
    expect(cell).to_have_class("score saved dirty error")
    expect(cell).to_have_attribute("aria-invalid", "true")
    cell.click()
    page.keyboard.type("8")  # back to what is saved: neither red nor changed, and nothing is sent
    expect(cell).to_have_class("score saved")
    page.keyboard.press("Enter")
    expect(cell).to_have_class("score saved")
    assert cell.get_attribute("aria-invalid") is None
    expect(page.locator("#score-grid")).to_have_attribute("data-pending", "0")
    page.context.close()


def test_scoring_grid_headers_stay_in_view(browser, earning, make_household, screenshot_dir):
    from models import Household

    with earning["app"].app_context():
        site = db.session.get(Household, earning["ids"]["homes"][0]).site
        for i in range(30):
            make_household(site, head_name=f"测试户{i:02d}", building="9栋", door_no=f"{i + 1}")
        db.session.commit()
    page = _grid(browser, earning, {"width": 1366, "height": 768})
    page.locator(".score-wrap").evaluate("(wrap) => { wrap.scrollTop = 900; }")
    # keyboard entry far down the list scrolls the grid, never the headers away
    page.locator("input.score").nth(4 * 20).focus()
    page.screenshot(path=os.path.join(screenshot_dir, "earning-scoring-grid-sticky.png"))
    sticky = page.evaluate("""() => {
        const wrap = document.querySelector('.score-wrap').getBoundingClientRect();
        return [...document.querySelectorAll('#score-grid thead th')].map((th) => {
            const r = th.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return {top: r.top - wrap.top, seen: !!hit && hit.closest('th') === th, text: th.textContent.trim()};
        });
    }""")
    assert page.locator(".score-wrap").evaluate("(wrap) => wrap.scrollTop") > 500
    assert all(abs(th["top"]) <= 1 and th["seen"] for th in sticky), sticky
    page.context.close()


def test_sign_in_screen_scans_and_refuses(browser, earning, screenshot_dir):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    login(page, earning["base"])
    page.goto(earning["base"] + f"/admin/activities/{earning['ids']['activity']}/signin")
    scan = page.locator("#scan")

    def wedge(text):  # a USB scanner types the token and presses Enter
        scan.focus()
        page.keyboard.type(text)
        page.keyboard.press("Enter")

    wedge("http://127.0.0.1:5000/c/" + earning["tokens"][0])
    expect(page.locator("#result")).to_contain_text("张三丰 签到成功")
    wedge(earning["tokens"][1])
    expect(page.locator("#count")).to_have_text("2")
    page.wait_for_timeout(3100)  # past the camera de-duplication window
    wedge(earning["tokens"][0])
    expect(page.locator("#result")).to_contain_text("已经签到过了")
    wedge("A" * 26)
    expect(page.locator("#result")).to_contain_text("这张卡无效")
    wedge(earning["revoked"])
    expect(page.locator("#result")).to_contain_text("已经作废")
    page.screenshot(path=os.path.join(screenshot_dir, "earning-signin-refused.png"), full_page=True)
    page.click("#manual-btn")
    page.fill("#manual-q", "欧")
    page.locator("#manual-results .chip").first.click()
    expect(page.locator("#count")).to_have_text("3")
    expect(page.locator("#result")).to_contain_text("欧阳小明 签到成功")
    page.screenshot(path=os.path.join(screenshot_dir, "earning-signin.png"), full_page=True)
    with earning["app"].app_context():
        assert db.session.execute(select(db.func.count(ActivitySignIn.id))).scalar_one() == 3
    context.close()
