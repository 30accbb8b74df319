"""每月专题汇报: on generated data every figure equals an independent SQL count, every 合计
equals the rows above it, and the Excel and PDF carry the same numbers."""
import io
import random
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from services import ledger
from services.reports import monthly_report
from services.support import monitoring, problems, visits
from services.support import responsibility as support

TAGS = ["low_income", "hardship", "no_land", "party_centre", "lifted", None]


@pytest.fixture
def county(app, make_site, make_household, make_user):
    """Two sites of one village, ~40 households with tags, 包保, visits, problems, cases, points."""
    rng = random.Random(7)
    admin, reviewer = make_user("admin"), make_user("cadre")
    first = make_site()
    second = make_site(village=first.area)
    today = local_today()
    month_start = today.replace(day=1)
    cadre = support.create_cadre(admin, "包保甲", "13800000001")
    homes = []
    for n in range(40):
        home = make_household(site=first if n % 3 else second, head_name=f"住户{n}")
        for tag in {rng.choice(TAGS), rng.choice(TAGS)} - {None}:
            db.session.add(HouseholdTag(household_id=home.id, tag=tag))
        db.session.flush()
        homes.append(home)
        if n % 4 == 0:
            support.assign(home, cadre, admin)
        if n % 3 == 0:
            visits.record_visit(home, admin, visit_date=month_start + timedelta(days=rng.randrange(today.day)),
                                visitors="包保甲", confirm_name="户主", backdate_reason="补录")
        ledger.post(home, rng.randint(5, 80), "rule_award", None, admin, None, f"r:earn:{n}")
        if n % 5 == 0:
            ledger.post(home, -3, "rule_deduction", None, admin, None, f"r:deduct:{n}")
            ledger.post(home, -2, "redemption", None, None, None, f"r:redeem:{n}")
        if n % 7 == 0:
            p = problems.create_problem(admin, site_id=home.site_id, household_id=home.id,
                                        category=rng.choice(["就业", "住房", "医疗"]), description="问题",
                                        found_date=month_start - timedelta(days=rng.choice([0, 40])),
                                        deadline=month_start + timedelta(days=rng.choice([0, 60])))
            if n % 3 == 0 and p.found_date < month_start:
                p.deadline = month_start - timedelta(days=5)  # an old problem already overdue
            if n % 2:
                problems.change_status(p, "in_progress", admin)
                problems.change_status(p, "resolved", admin, "完成")
                problems.change_status(p, "closed", reviewer, "复核")
    case = monitoring.open_case(homes[1], "sudden", admin, month_start)
    db.session.commit()
    return first, second, today, case


def sql(query, **params):
    return db.session.execute(text(query), params).all()


def test_every_figure_equals_sql(app, county):
    first, second, today, case = county
    report = monthly_report.build(today.year, today.month, [first.id, second.id], "幸福社区")
    a, b = support.month_range(today.year, today.month)

    households = report.section("households")
    expected = dict(sql("SELECT site_id, COUNT(*) FROM household WHERE status='active' GROUP BY site_id"))
    assert {r[0]: r[1] for r in households.rows} == {first.name: expected[first.id], second.name: expected[second.id]}
    low = sql("SELECT COUNT(*) FROM household_tag WHERE tag='low_income'")[0][0]
    assert households.total[households.columns.index("低收入户")] == low

    resp = report.section("responsibility")
    priority_sql = """SELECT COUNT(*) FROM household h WHERE h.status='active' AND EXISTS (SELECT 1 FROM household_tag t
        WHERE t.household_id=h.id AND t.tag IN ('low_income','hardship','elderly_disabled','no_house','no_land','no_labour','monitored'))"""
    assert resp.total[1] == sql(priority_sql)[0][0]
    assert resp.total[2] == sql(priority_sql + " AND EXISTS (SELECT 1 FROM support_responsibility r WHERE r.household_id=h.id AND r.end_date IS NULL)")[0][0]

    vis = report.section("visits")
    assert vis.total[1] == sql(priority_sql)[0][0]
    assert vis.total[2] == sql(priority_sql + " AND EXISTS (SELECT 1 FROM support_visit v WHERE v.household_id=h.id AND v.visit_date BETWEEN :a AND :b)", a=a, b=b)[0][0]
    assert vis.total[5] == sql("SELECT COUNT(*) FROM support_visit WHERE visit_date BETWEEN :a AND :b", a=a, b=b)[0][0]

    prob = report.section("problems")
    assert prob.total[1] == sql("SELECT COUNT(*) FROM support_problem WHERE found_date BETWEEN :a AND :b", a=a, b=b)[0][0]
    assert prob.total[2] == sql("SELECT COUNT(*) FROM support_problem WHERE status='closed'")[0][0]
    assert prob.total[3] == sql("SELECT COUNT(*) FROM support_problem WHERE status<>'closed'")[0][0]
    assert prob.total[4] == sql("SELECT COUNT(*) FROM support_problem WHERE status IN ('not_started','in_progress') AND deadline < :t", t=today)[0][0]

    mon = report.section("monitoring")
    assert mon.total[1:] == [1, 0, 0, 0]

    points = report.section("points")
    earned = sql("SELECT COALESCE(SUM(points),0) FROM ledger_entry WHERE kind IN ('rule_award') AND points>0")[0][0]
    deducted = sql("SELECT COALESCE(-SUM(points),0) FROM ledger_entry WHERE kind='rule_deduction'")[0][0]
    redeemed = sql("SELECT COALESCE(-SUM(points),0) FROM ledger_entry WHERE kind IN ('redemption','redemption_void')")[0][0]
    assert points.total[1:] == [earned, deducted, redeemed]


def test_totals_are_row_sums_and_exports_agree(app, county):
    first, second, today, _ = county
    report = monthly_report.build(today.year, today.month, [first.id, second.id], "幸福社区")
    for section in report.sections:
        for i in range(1, len(section.columns)):
            values = [r[i] for r in section.rows]
            if all(isinstance(v, int) for v in values):
                assert section.total[i] == sum(values), (section.title, section.columns[i])
    book = load_workbook(io.BytesIO(monthly_report.to_xlsx(report)))
    for section, sheet in zip(report.sections, book.worksheets):
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][0] == report.seal == "账本封存码:尚未封存"  # docs/decisions.md#ledger-seals
        assert list(rows[3]) == section.columns
        assert list(rows[-1]) == [v if v != "" else None for v in section.total]
    pdf = monthly_report.to_pdf(report)
    assert pdf.startswith(b"%PDF") and b"FontFile" in pdf  # the CJK font is embedded


def test_activities_section(app, county, make_user):
    first, second, today, _ = county
    Activity = monthly_report.activity_model()
    if Activity is None:
        report = monthly_report.build(today.year, today.month, [first.id], "x")
        assert "not available" in report.section("activities").note
        return
    from datetime import datetime
    user = make_user("cadre")
    for title, day, status in (("包饺子", today, "closed"), ("去年", today.replace(year=today.year - 1), "closed"),
                               ("取消", today, "cancelled")):
        db.session.add(Activity(site_id=first.id, title=title, starts_at=datetime(day.year, day.month, day.day),
                                event_date=day, points=5, created_by_id=user.id, status=status))
    db.session.commit()
    section = monthly_report.build(today.year, today.month, [first.id, second.id], "x").section("activities")
    assert section.rows == [[first.name, 1, 1], [second.name, 0, 0]]
    assert second.name in section.note
