"""Real Chromium: the visit form on a phone (390×844) and the problem ledger; screenshots saved."""
import os
from datetime import timedelta

import pytest

from extensions import db
from models.clock import local_today
from tests.conftest import password_hash

pytestmark = pytest.mark.browser


def _seed(app, tmp_path):
    from models import Area, Household, HouseholdTag, Member, Site, StaffScope, StaffUser
    from services.support import problems
    from services.support import responsibility as support

    with app.app_context():
        app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
        county = Area(level="county", name="易安县")
        town = Area(level="township", name="城关镇", parent=county)
        village = Area(level="village", name="幸福社区", parent=town)
        site = Site(name="幸福家园安置点", code="XF01", area=village)
        db.session.add_all([county, town, village, site])
        db.session.flush()
        user = StaffUser(username="libj", display_name="李书记")
        user.roles = ["cadre"]
        user.password_hash = password_hash("password123")
        user.scopes = [StaffScope(site_id=site.id)]
        other = StaffUser(username="wangzr", display_name="王主任")
        other.roles = ["cadre"]
        other.password_hash = password_hash("password123")
        db.session.add_all([user, other])
        homes = []
        for name, building, door in (("欧阳𠮷祥", "3栋", "2单元301"), ("石𬌗", "5栋", "1单元102"), ("龙䶮", "1栋", "3单元502")):
            home = Household(site=site, head_name=name, head_initials="", building=building, door_no=door,
                             phone="13800001234")
            home.members.append(Member(name=name, relation="户主"))
            db.session.add(home)
            db.session.flush()
            db.session.add(HouseholdTag(household_id=home.id, tag="low_income"))
            homes.append(home)
        db.session.flush()
        cadre = support.create_cadre(user, "李书记", "13900000001", staff_user_id=user.id)
        support.assign(homes[0], cadre, user)
        today = local_today()
        rows = [("就业", "家中两名劳动力待业,希望在园区就近就业", "镇人社中心", 30, None),
                ("住房", "卫生间渗水到楼下", "安置点物业", -3, "in_progress"),
                ("医疗", "慢性病门诊报销不会办理", "镇卫生院", 10, "resolved")]
        for (category, text, unit, days, status), home in zip(rows, homes):
            p = problems.create_problem(user, site_id=site.id, household_id=home.id, category=category, description=text,
                                        found_date=today - timedelta(days=20), responsible_unit=unit,
                                        responsible_person="刘海", measures="协调责任单位办理",
                                        deadline=today + timedelta(days=days))
            if status:
                problems.change_status(p, "in_progress", user)
            if status == "resolved":
                problems.change_status(p, "resolved", other.id, "已协助办理报销")
        problems.create_problem(user, site_id=site.id, category="基础设施", description="3 栋至 5 栋之间路灯不亮",
                                found_date=today, responsible_unit="安置点物业")
        db.session.commit()
        return homes[0].id


def _login(page, base):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "libj")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")


def test_visit_form_on_a_phone(browser, live_server, screenshot_dir, tmp_path):
    app, base = live_server
    household_id = _seed(app, tmp_path)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, base)
    page.goto(f"{base}/admin/support/visits/new?q=欧阳")
    page.screenshot(path=os.path.join(screenshot_dir, "support_visit_find_phone.png"))
    page.click("text=欧阳𠮷祥")
    page.wait_for_selector("#visit-form")
    assert not errors, errors
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.screenshot(path=os.path.join(screenshot_dir, "support_visit_form_phone_top.png"))
    for area, value in (("income", "ok"), ("housing", "ok"), ("water", "ok"), ("medical", "issue")):
        page.click(f"input[name=s_{area}][value={value}] + span")
    page.fill("input[name=n_medical]", "老人高血压,门诊报销不会办")
    box = page.locator("input[name=s_medical][value=issue] + span").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 100  # finger-sized
    page.click("text=不在家")
    assert page.is_visible("text=怎么联系上的")
    page.click("text=见到了")
    page.fill("textarea[name=suggestions]", "希望社区开设老年食堂")
    page.locator("fieldset", has_text="家庭情况").screenshot(path=os.path.join(screenshot_dir, "support_visit_form_phone_ticks.png"))
    page.locator("#sigpad").scroll_into_view_if_needed()
    pad = page.locator("#sigpad").bounding_box()
    page.mouse.move(pad["x"] + 30, pad["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 30 + step * 25, pad["y"] + 100 - (step % 2) * 50)
    page.mouse.up()
    page.screenshot(path=os.path.join(screenshot_dir, "support_visit_form_phone_signature.png"))
    page.click("button:has-text('保存走访记录')")
    page.wait_for_load_state()
    page.screenshot(path=os.path.join(screenshot_dir, "support_visit_after_submit_phone.png"), full_page=True)
    page.wait_for_selector("text=已保存", timeout=5000)
    page.screenshot(path=os.path.join(screenshot_dir, "support_visit_saved_phone.png"), full_page=True)
    assert page.is_visible("img[alt=手写签名]")
    with app.app_context():
        from models.support import Visit
        visit = db.session.execute(db.select(Visit)).scalar_one()
        assert visit.household_id == household_id and visit.signature_file and visit.met
    context.close()


def test_problem_ledger_pages(browser, live_server, screenshot_dir, tmp_path):
    app, base = live_server
    _seed(app, tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base)
    page.goto(f"{base}/admin/support/problems")
    assert page.is_visible("text=超期")
    page.screenshot(path=os.path.join(screenshot_dir, "support_problem_ledger.png"), full_page=True)
    page.click("text=慢性病门诊报销不会办理")
    page.screenshot(path=os.path.join(screenshot_dir, "support_problem_detail_review.png"), full_page=True)
    page.fill("textarea[name=note]", "电话回访属实")
    page.click("button:has-text('复核通过,销号')")
    page.wait_for_selector("text=状态已改为“已销号”")
    page.screenshot(path=os.path.join(screenshot_dir, "support_problem_closed.png"), full_page=True)
    page.goto(f"{base}/admin/support/")
    page.screenshot(path=os.path.join(screenshot_dir, "support_dashboard.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    ppage = phone.new_page()
    _login(ppage, base)
    ppage.goto(f"{base}/admin/support/problems")
    assert ppage.evaluate("document.documentElement.scrollWidth") <= 390  # cards, no sideways scrolling
    ppage.screenshot(path=os.path.join(screenshot_dir, "support_problem_ledger_phone.png"), full_page=True)
    phone.close()
    context.close()


def test_notice_and_report_pages(browser, live_server, screenshot_dir, tmp_path):
    app, base = live_server
    household_id = _seed(app, tmp_path)
    with app.app_context():
        from models import Household, StaffUser
        from services.support import monitoring
        home = db.session.get(Household, household_id)
        home.head_id_number, home.phone = "522601199001011234", "13812345678"
        actor = db.session.execute(db.select(StaffUser).filter_by(username="libj")).scalar_one()
        case = monitoring.open_case(home, "sudden", actor, local_today() - timedelta(days=6), risk_note="突发重病住院")
        monitoring.add_step(case, "verified", actor, local_today() - timedelta(days=5))
        monitoring.add_step(case, "publicity", actor, None, publicity_start=local_today() - timedelta(days=4),
                            publicity_end=local_today())
        db.session.commit()
        case_id = case.id
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base)
    page.goto(f"{base}/admin/support/monitoring/{case_id}/notice")
    text = page.inner_text("body")
    assert "欧阳𠮷祥" in text and "13812345678" not in text and "重病" not in text and "5226" not in text
    page.screenshot(path=os.path.join(screenshot_dir, "support_monitoring_notice.png"), full_page=True)
    page.goto(f"{base}/admin/support/monitoring/{case_id}")
    page.screenshot(path=os.path.join(screenshot_dir, "support_monitoring_detail.png"), full_page=True)
    page.goto(f"{base}/admin/support/report")
    page.screenshot(path=os.path.join(screenshot_dir, "support_monthly_report.png"), full_page=True)
    context.close()
