"""Dashboard figures equal ledger sums on generated data, and reconcile with `flask ledger verify`."""
import random
from datetime import date, timedelta

import pytest

from extensions import db
from models import Goods, Redemption, RedemptionLine, Rule, RuleCategory, RuleEvent
from services import ledger
from services.ledger.verify import verify
from services.reports import dashboard as reports
from services.reports.dashboard import Filters

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture
def generated(app, make_site, make_household, make_user):
    """3 sites, 24 households, a few hundred entries of every common kind, deterministic."""
    rng = random.Random(6)
    cadre = make_user("cadre")
    sites = [make_site(f"报表安置点{i}") for i in range(3)]
    clean, order = RuleCategory(name="环境卫生"), RuleCategory(name="公共秩序")
    db.session.add_all([clean, order])
    db.session.flush()
    award = Rule(series=1, name="月度入户检查达标", points=10, category_id=clean.id)
    fine = Rule(series=2, name="乱搭乱建", points=-10, category_id=order.id)
    db.session.add_all([award, fine])
    db.session.flush()
    homes = [make_household(site=sites[i % 3], head_name=f"住户{i:02d}") for i in range(24)]
    goods = {s.id: Goods(site_id=s.id, name="大米", price=50, stock=100) for s in sites}
    db.session.add_all(goods.values())
    db.session.flush()
    for n in range(400):
        home = homes[rng.randrange(len(homes) - 3)]  # the last three households never do anything
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        choice = rng.random()
        if choice < 0.45:
            rule = award if rng.random() < 0.8 else fine
            event = RuleEvent(rule_id=rule.id, household_id=home.id, site_id=home.site_id, event_date=day,
                              nominal_points=rule.points, status="approved", recorder_id=cadre.id)
            db.session.add(event)
            db.session.flush()
            ledger.post(home, rule.points, "rule_award" if rule.points > 0 else "rule_deduction",
                        ledger.Source("rule_event", event.id), cadre, rule.name, f"rule:{event.id}", effective_date=day)
        elif choice < 0.65:
            ledger.post(home, rng.choice([3, 5, 15]), "activity", None, cadre, "志愿服务", f"act:{n}", effective_date=day)
        elif choice < 0.75:
            ledger.post(home, 30, "award", None, cadre, "文明榜样户", f"award:{n}", effective_date=day)
        elif home.balance >= 50:
            red = Redemption(request_id=f"r-{n}", household_id=home.id, site_id=home.site_id, total_points=50,
                             balance_after=home.balance - 50, status="done")
            red.lines.append(RedemptionLine(goods_id=goods[home.site_id].id, name="大米", unit="袋", price=50,
                                            quantity=1, points=50))
            db.session.add(red)
            db.session.flush()
            ledger.post(home, -50, "redemption", ledger.Source("redemption", red.id), None, "兑换",
                        f"redeem:{n}", effective_date=day)
    db.session.flush()
    return dict(sites=sites, homes=homes, cadre=cadre)


def _by_site_from_verify():
    report = verify()
    assert report.ok, report.problems
    return {site: dict(kinds) for site, kinds in report.by_site.items()}


def test_kind_totals_reconcile_with_verify_per_site_and_county(generated):
    truth = _by_site_from_verify()
    for site in generated["sites"]:
        assert reports.kind_totals(Filters(*YEAR, {site.id})) == truth[site.id]
    county = reports.kind_totals(Filters(*YEAR))
    for kind, total in county.items():
        assert total == sum(kinds.get(kind, 0) for kinds in truth.values())


def test_monthly_rows_add_up_to_the_ledger(generated):
    rows = reports.monthly(Filters(*YEAR))
    assert [r.month for r in rows][:2] == ["2026-01", "2026-02"] and len(rows) == 12
    totals = reports.kind_totals(Filters(*YEAR))
    assert sum(r.issued for r in rows) == sum(totals.get(k, 0) for k in reports.ISSUED_KINDS)
    assert sum(r.redeemed for r in rows) == -totals.get("redemption", 0)
    assert sum(r.deducted for r in rows) == -totals.get("rule_deduction", 0)
    assert sum(r.net for r in rows) == sum(totals.values())


def test_categories_rules_participation_goods_and_visits(generated):
    flt = Filters(*YEAR)
    totals = reports.kind_totals(flt)
    categories = dict(reports.by_category(flt))
    assert categories["环境卫生"] == totals["rule_award"] and categories["公共秩序"] == totals["rule_deduction"]
    assert categories["志愿活动"] == totals["activity"] and categories["评比奖励"] == totals["award"]
    rules = {r["rule"]: r for r in reports.by_rule(flt)}
    assert rules["月度入户检查达标"]["points"] == totals["rule_award"]
    part = reports.participation(flt)
    assert part["households"] == 24 and part["earners"] == 21 and part["rate"] == 87.5
    goods = reports.top_goods(Filters(date(2000, 1, 1), date(2100, 1, 1)))
    assert goods[0]["name"] == "大米" and goods[0]["points"] == -totals["redemption"]
    to_visit, count = reports.inactive_households(None, today=date(2026, 12, 31))
    names = {row["name"] for row in to_visit}
    assert {"住户21", "住户22", "住户23"} <= names and count == len(to_visit)
    assert all(row["last"] is None or row["last"] < date(2026, 9, 30) for row in to_visit)


def test_site_breakdown_matches_the_single_site_figures(generated, make_site):
    truth = _by_site_from_verify()
    sites = sorted(generated["sites"], key=lambda s: s.code)
    # the first two sites in one county: a row per site within it
    sites[1].area = sites[0].area
    db.session.flush()
    in_county = reports.site_breakdown(Filters(*YEAR, {sites[0].id, sites[1].id}))
    assert [row["site"] for row in in_county] == [sites[0].name, sites[1].name]
    assert all(row["county_id"] is None for row in in_county)
    for row, site in zip(in_county, sites):
        assert row["outstanding"] == sum(truth[site.id].values())
        assert row["issued"] == sum(truth[site.id].get(k, 0) for k in reports.ISSUED_KINDS)
    # every site: more than one county, so a row per county summing its sites
    by_county = {row["site"]: row for row in reports.site_breakdown(Filters(*YEAR))}
    county = sites[0].area.parent.parent
    assert set(by_county) == {county.name, sites[2].area.parent.parent.name}
    assert by_county[county.name]["county_id"] == county.id
    assert by_county[county.name]["households"] == sum(r["households"] for r in in_county)
    assert by_county[county.name]["outstanding"] == sum(truth[s.id].get(k, 0) for s in sites[:2] for k in truth[s.id])
    assert by_county[county.name]["redeemed"] == sum(r["redeemed"] for r in in_county)


def test_dashboard_page_shows_numbers_beside_charts(generated, client, login, make_user):
    site = generated["sites"][0]
    user = make_user("cadre", sites=[site])
    login(user)
    page = client.get("/admin/reports?start=2026-01-01&end=2026-12-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="chart-table"') == 4 and html.count("<canvas") == 4  # all four have data here
    assert "报表安置点0" in html and "报表安置点1" not in html  # scope
    assert client.get(f"/admin/reports?site_id={generated['sites'][1].id}").status_code == 403
    bad = client.get("/admin/reports?start=2026-13-01")
    assert "日期" in bad.get_data(as_text=True)


def test_dashboard_queries_run_on_both_databases(any_app, make_site, make_household):
    """The grouped SQL (CASE, MAX over names, NULLS ordering) is portable."""
    site = make_site()
    home = make_household(site=site, head_name="葛䶮")
    ledger.post(home, 20, "activity", None, None, None, "a:1", effective_date=date(2026, 3, 2))
    ledger.post(home, -5, "redemption", None, None, None, "r:1", effective_date=date(2026, 4, 2))
    make_household(site=site, head_name="闲置户")
    board = reports.dashboard(Filters(*YEAR, {site.id}), today=date(2026, 12, 1))
    assert [m.issued for m in board.months][2] == 20 and board.months[3].redeemed == 5
    assert board.participation == {"households": 2, "earners": 1, "rate": 50.0}
    assert board.inactive_total == 2 and board.inactive[0]["name"] == "闲置户"  # never active comes first
    assert board.sites[0]["outstanding"] == 15


def test_county_filter_limits_the_dashboard(generated, client, login, make_site, make_user, make_household):
    other_county_site = make_site("外县安置点")
    home = make_household(site=other_county_site, head_name="外县户")
    ledger.post(home, 7, "activity", None, None, None, "a:other", effective_date=date(2026, 5, 5))
    login(make_user("admin"))
    county = generated["sites"][0].area.parent.parent
    html = client.get(f"/admin/reports?county_id={county.id}&start=2026-01-01&end=2026-12-31").get_data(as_text=True)
    assert "报表安置点0" in html and "外县安置点" not in html.split("<h2>各安置点</h2>")[1]
    assert client.get("/admin/reports?county_id=999999").status_code == 404
