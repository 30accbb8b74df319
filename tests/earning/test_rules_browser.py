"""Real Chromium: a refused rule-recording form comes back with the households picked before."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Rule, RuleEvent
from services.earning import rules

pytestmark = pytest.mark.browser


@pytest.fixture
def record_world(live_server, make_site, make_household, make_user):
    app, base_url = live_server
    with app.app_context():
        rules.seed_catalog()
        site = make_site("幸福家园安置点")
        for i, name in enumerate(("张三丰", "李䶮")):
            make_household(site, head_name=name, building="1栋", door_no=f"{i + 1}01")
        make_user("committee", username="jilu", sites=[site])
        litter = db.session.execute(select(Rule.id).where(Rule.name == "乱扔垃圾/楼道堆物(经提醒)")).scalar_one()
        db.session.commit()
    return {"app": app, "base": base_url, "litter": litter}


def test_refused_record_keeps_the_picked_households(browser, record_world, screenshot_dir):
    base = record_world["base"]
    page = browser.new_page()
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "jilu")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    page.goto(base + "/admin/rules/record")
    page.select_option("select[name=rule_id]", str(record_world["litter"]))
    page.fill("#picker-q", "张")
    page.click("#picker-results .chip:has-text('张三丰')")
    expect(page.locator("#picker-count")).to_have_text("1")
    page.click("button.primary.big")  # a deduction without a reason is refused
    expect(page.locator(".flash-error")).to_contain_text("扣分必须写明原因")
    expect(page.locator("#picker-count")).to_have_text("1")
    expect(page.locator("#picker-selected")).to_contain_text("张三丰")
    page.screenshot(path=f"{screenshot_dir}/earning-record-refused.png", full_page=True)
    page.fill("textarea[name=note]", "楼道堆物")
    page.set_input_files("input[name=evidence]", files=[{"name": "photo.png", "mimeType": "image/png",
                                                          "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}])
    page.click("button.primary.big")
    expect(page.locator("body")).to_contain_text("已记录 1 户")
    page.screenshot(path=f"{screenshot_dir}/earning-record-saved.png")
    with record_world["app"].app_context():
        assert db.session.execute(select(db.func.count(RuleEvent.id))).scalar_one() == 1
