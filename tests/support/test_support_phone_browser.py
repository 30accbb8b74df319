"""Real Chromium at 390 px: no support page scrolls sideways; the worklist's buttons are finger-sized.
A screenshot per page under artifacts/screenshots/ (support_390_*.png)."""
import os
from datetime import timedelta

import pytest

from extensions import db
from models.clock import local_today
from tests.support.test_support_browser import _login, _seed

pytestmark = pytest.mark.browser

OFFENDERS = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 20))"""


def _more(app, household_id):
    """A visit, a monitoring case on 公示 and a 包保 cadre for the seeded household (ids for the URLs)."""
    from models import Household, StaffUser
    from services.support import monitoring, visits

    with app.app_context():
        home = db.session.get(Household, household_id)
        user = db.session.execute(db.select(StaffUser).filter_by(username="libj")).scalar_one()
        visit = visits.record_visit(home, user, visit_date=local_today(), visitors="李书记", confirm_name=home.head_name,
                                    situation={"income": "issue"}, suggestions="希望社区开设老年食堂")
        case = monitoring.open_case(home, "sudden", user, local_today() - timedelta(days=6))
        monitoring.add_step(case, "verified", user, local_today() - timedelta(days=5))
        monitoring.add_step(case, "publicity", user, None, publicity_start=local_today() - timedelta(days=4),
                            publicity_end=local_today())
        problem_id = db.session.execute(db.text("SELECT min(id) FROM support_problem")).scalar_one()
        db.session.commit()
        return visit.id, case.id, problem_id


def test_no_support_page_scrolls_sideways_at_390(browser, live_server, screenshot_dir, tmp_path):
    app, base = live_server
    household_id = _seed(app, tmp_path)
    visit_id, case_id, problem_id = _more(app, household_id)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    _login(page, base)
    pages = {
        "home": "/admin/support/", "mine": "/admin/support/mine", "household": f"/admin/support/households/{household_id}",
        "visit_find": "/admin/support/visits/new?q=欧阳", "visit_form": f"/admin/support/visits/new?household_id={household_id}",
        "visit_detail": f"/admin/support/visits/{visit_id}", "visits": "/admin/support/visits",
        "coverage": "/admin/support/coverage", "problems": "/admin/support/problems",
        "problem_detail": f"/admin/support/problems/{problem_id}", "problem_new": f"/admin/support/problems/new?household_id={household_id}",
        "monitoring": "/admin/support/monitoring", "monitoring_detail": f"/admin/support/monitoring/{case_id}",
        "notice": f"/admin/support/monitoring/{case_id}/notice", "cadres": "/admin/support/cadres",
        "report": "/admin/support/report", "visit_sheet": f"/admin/support/households/{household_id}/visit-sheet",
        "life_events": f"/admin/life-events/households/{household_id}",
    }
    wide = {}
    for name, url in pages.items():
        response = page.goto(base + url)
        assert response.status == 200, url
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=os.path.join(screenshot_dir, f"support_390_{name}.png"), full_page=True)
        if width > 390:  # name the elements that stick out, for the failure message
            wide[name] = (width, page.evaluate(OFFENDERS))
    assert wide == {}, f"pages wider than the phone: {wide}"
    page.goto(base + "/admin/support/mine")
    for selector in ("a.call", "a.start"):
        box = page.locator(selector).first.bounding_box()
        assert box["height"] >= 56 and box["width"] >= 120, selector  # finger-sized
    assert page.locator("a.call").first.get_attribute("href").startswith("tel:")
    context.close()
