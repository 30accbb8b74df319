"""The card page /c/<token> in Chromium: what can be spent, the base points beside it, entries by
label and rule name, never a staff note (docs/decisions.md#privacy, docs/decisions.md#base-points)."""
import pytest

from extensions import db
from services import ledger
from services.households import registry
from tests.supermarket.kiosk_helpers import card_for

pytestmark = pytest.mark.browser


def test_card_page_shows_spendable_points_and_no_notes(browser, live_server, make_site, make_user, screenshot_dir):
    app, base = live_server
    with app.app_context():
        site = make_site("幸福家园安置点")
        app.config["COUNTY_SETTINGS"] = {site.area.parent.parent.name: {"base_points": 20}}
        admin = make_user("admin")
        home = registry.create(admin, registry.HouseholdData(site_id=site.id, head_name="王大明"))
        entry = ledger.post(home, 30, "activity", None, admin, "巡逻时与邻居争吵,态度差", "test:earn")
        ledger.reverse(entry, admin, "查实未参加,经本人承认")
        ledger.post(home, 12, "adjustment", None, admin, "家中有病人,照顾加分", "test:adjust")
        card = card_for(home)
        db.session.commit()
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{base}/c/{card}")
    assert page.inner_text("[data-testid=balance]") == "12"
    text = page.inner_text("body")
    assert "另有底分 20(不可兑换)" in text and "更正" in text and "底分\n+20" in text
    for note in ("争吵", "承认", "病人"):
        assert note not in text
    page.screenshot(path=f"{screenshot_dir}/resident-card-page.png", full_page=True)
    page.close()
