"""Real Chromium: the dashboard draws its charts (vendored Chart.js) with the tables beside them,
and the public honor page; screenshots saved to artifacts/screenshots."""
from datetime import date, datetime

import pytest

from extensions import db
from tests.conftest import password_hash

pytestmark = pytest.mark.browser


def _seed(app):
    from models import (
        Area,
        Goods,
        HonorEntry,
        HonorList,
        HonorSection,
        Household,
        Member,
        Redemption,
        RedemptionLine,
        Rule,
        RuleCategory,
        RuleEvent,
        Site,
        StaffUser,
    )
    from services import ledger

    with app.app_context():
        county = Area(level="county", name="易安县")
        town = Area(level="township", name="城关镇", parent=county)
        village = Area(level="village", name="幸福社区", parent=town)
        site = Site(name="幸福家园安置点", code="XF01", area=village)
        db.session.add_all([county, town, village, site])
        user = StaffUser(username="boss", display_name="管理员")
        user.roles = ["admin"]
        user.password_hash = password_hash("password123")
        db.session.add(user)
        db.session.flush()
        rules = []
        for series, (category, name, points) in enumerate((("环境卫生", "月度入户检查达标", 10),
                                                           ("公益志愿", "志愿服务", 6), ("邻里互助", "帮扶三特户", 5),
                                                           ("公共秩序", "乱搭乱建", -10)), start=1):
            cat = RuleCategory(name=category)
            db.session.add(cat)
            db.session.flush()
            rules.append(Rule(series=series, name=name, points=points, category_id=cat.id))
        db.session.add_all(rules)
        goods = [Goods(site_id=site.id, name=n, price=p, stock=s, unit=u)
                 for n, p, s, u in (("大米 10斤", 50, 3, "袋"), ("食用油 5L", 85, 20, "桶"), ("洗衣粉", 15, 40, "袋"))]
        db.session.add_all(goods)
        db.session.flush()
        homes = []
        for i, name in enumerate(("欧阳𠮷祥", "石𬌗", "龙䶮", "张喆", "李堃")):
            home = Household(site=site, head_name=name, head_initials="")
            home.members.append(Member(name=name, relation="户主"))
            db.session.add(home)
            db.session.flush()
            homes.append(home)
            for month in range(1, 11):
                rule = rules[(month + i) % len(rules)]
                event = RuleEvent(rule_id=rule.id, household_id=home.id, site_id=site.id, event_date=date(2026, month, 5),
                                  nominal_points=rule.points, status="approved", recorder_id=user.id)
                db.session.add(event)
                db.session.flush()
                ledger.post(home, rule.points, "rule_award" if rule.points > 0 else "rule_deduction",
                            ledger.Source("rule_event", event.id), user, rule.name, f"rule:{event.id}",
                            effective_date=date(2026, month, 5))
            item = goods[i % len(goods)]
            if home.balance >= item.price:
                red = Redemption(request_id=f"req-{i}", household_id=home.id, site_id=site.id,
                                 total_points=item.price, balance_after=home.balance - item.price)
                red.lines.append(RedemptionLine(goods_id=item.id, name=item.name, unit=item.unit, price=item.price,
                                                quantity=1, points=item.price))
                db.session.add(red)
                db.session.flush()
                ledger.post(home, -item.price, "redemption", ledger.Source("redemption", red.id), None, "兑换",
                            f"redeem:{i}")
        lst = HonorList(site_id=site.id, title="2026年第三季度光荣榜", period_start=date(2026, 7, 1),
                        period_end=date(2026, 9, 30), status="published", created_by_id=user.id,
                        published_at=datetime(2026, 10, 12, 2), notice_start=date(2026, 10, 1),
                        notice_end=date(2026, 10, 7))
        section = HonorSection(name="文明榜样户")
        lst.sections.append(section)
        section.entries.append(HonorEntry(household_id=homes[0].id, display_name=homes[0].head_name,
                                          citation="<b>坚持</b>照顾孤寡老人三年,带动邻里参加志愿服务。"))
        section.entries.append(HonorEntry(household_id=homes[1].id, display_name=homes[1].head_name,
                                          citation="主动化解邻里纠纷五起。"))
        db.session.add(lst)
        draft = HonorList(site_id=site.id, title="2026年第四季度光荣榜", period_start=date(2026, 1, 1),
                          period_end=date(2026, 12, 31), created_by_id=user.id)
        draft.sections.append(HonorSection(name="积分之星"))
        db.session.add(draft)
        db.session.commit()
        return lst.id


def test_dashboard_charts_and_tables(browser, live_server, screenshot_dir):
    app, base = live_server
    list_id = _seed(app)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # (the only failed resource is the browser's own /favicon.ico probe; chart.umd.js is proven by Chart.instances)
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.goto(f"{base}/admin/reports?start=2026-01-01&end=2026-12-31")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 4")
    assert page.evaluate("() => Chart.version").startswith("4.")
    # the numbers are in a table beside every chart
    assert page.locator(".chart-row .chart-table table").count() == 4
    assert page.locator(".chart-table").first.inner_text().count("2026-") == 12
    page.screenshot(path=f"{screenshot_dir}/reports-dashboard.png", full_page=True)
    page.goto(f"{base}/admin/honors/{list_id + 1}")
    page.click("button:has-text('加入') >> nth=0")
    page.fill("textarea[name=citation]", "长期照顾孤寡老人,热心公益。")
    page.click("button:has-text('保存事迹')")
    assert "先进事迹已保存" in page.content()
    page.screenshot(path=f"{screenshot_dir}/honor-edit.png", full_page=True)
    page.goto(f"{base}/admin/public/honors/{list_id}")
    assert "<b>坚持</b>" in page.locator(".cite").first.inner_text()  # shown as text, not markup
    page.screenshot(path=f"{screenshot_dir}/honor-public.png", full_page=True)
    assert not errors, errors
    page.close()
