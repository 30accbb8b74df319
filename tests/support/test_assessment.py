"""考核: each measure counted from the records (visits, problems closed by their deadline, plan tasks,
融合共建 activities), for villages and departments; the drill-down lists the same records; the page,
the scope and the export."""
import io

import pytest
from openpyxl import load_workbook

from extensions import db
from models import Area, HouseholdTag
from models.clock import local_today
from services.earning import activities
from services.staff.scope import allowed_site_ids
from services.support import assessment, plans, problems, visits
from services.support import responsibility as support


@pytest.fixture
def year_so_far(make_site, make_household, make_user):
    today = local_today()
    east = make_site(name="东区")
    west = make_site(name="西区", village=Area(level="village", name="西村", parent=east.area.parent))
    admin, reviewer = make_user("admin"), make_user("admin")
    homes = []
    for site, name in ((east, "甲"), (east, "乙"), (west, "丙")):
        home = make_household(site=site, head_name=name)
        db.session.add(HouseholdTag(household_id=home.id, tag="low_income"))
        homes.append(home)
    dept = support.create_cadre(admin, "人社干部", "13900000001", level="department", unit="县人社局")
    support.assign(homes[2], dept, admin)
    db.session.flush()
    visits.record_visit(homes[0], admin, visit_date=today, visitors="村干部", confirm_name="甲")
    # problems due today: one closed by then (on time), one still open; one due next year is not counted
    on_time = problems.create_problem(admin, site_id=east.id, category="住房", description="门窗损坏", deadline=today,
                                      responsible_unit="县人社局")
    problems.change_status(on_time, "in_progress", admin)
    problems.change_status(on_time, "resolved", admin, "已修好")
    problems.change_status(on_time, "closed", reviewer, "复核通过")
    problems.create_problem(admin, site_id=east.id, category="饮水", description="水压不足", deadline=today)
    problems.create_problem(admin, site_id=west.id, category="教育", description="明年的事",
                            deadline=today.replace(year=today.year + 1, day=1))
    plan = plans.create_plan(admin, area_id=east.area.parent.id, year=today.year, title="计划")
    leak = problems.create_problem(admin, site_id=west.id, category="住房", description="漏雨")
    task = plans.add_task(admin, plan, title="修屋顶", deadline=today, responsible_unit="县人社局", problem_ids=[leak.id])
    plans.add_task(admin, plan, title="培训", deadline=today, responsible_unit="镇人社所")
    plans.complete(admin, task, "已完成")
    activities.create(admin, {"site_id": east.id, "title": "邻里节", "starts_at": f"{today.isoformat()}T09:00",
                              "points": 5, "integration": "1", "organiser": "县人社局"})
    activities.create(admin, {"site_id": west.id, "title": "普通志愿活动", "starts_at": f"{today.isoformat()}T09:00",
                              "points": 5})
    db.session.commit()
    return dict(east=east, west=west, admin=admin, homes=homes, today=today)


def _by_name(units):
    return {u.name: u for u in units}


def test_each_measure_is_counted_from_the_records(any_app, year_so_far):
    towns, depts = assessment.assess(year_so_far["today"].year, None)
    east, west = _by_name(towns)["幸福社区"], _by_name(towns)["西村"]
    months = year_so_far["today"].month
    # 东区: two priority households each month so far, 甲 visited this month only
    assert east.measures["coverage"].due == 2 * months and east.measures["coverage"].done == 1
    assert east.measures["problems"].shown == "1/2" and east.score("problems") == 15.0
    assert east.measures["tasks"].shown == "—" and east.score("tasks") == 25.0
    assert east.measures["activities"].shown == "1/1" and east.score("activities") == 15.0
    assert west.measures["tasks"].shown == "1/1"  # the task that took up 西村's problem
    assert west.measures["problems"].shown == "—"  # its only problem with a deadline is due next year
    assert west.score("activities") == 0  # an activity not marked 融合共建 does not count
    dept = _by_name(depts)["县人社局"]
    # the department's cadre took 丙 on today: due this month only, not visited yet
    assert dept.measures["coverage"].due == 1 and dept.measures["coverage"].done == 0
    assert dept.measures["problems"].shown == "1/1" and dept.measures["tasks"].shown == "1/1"
    assert dept.measures["activities"].shown == "1/1"
    assert dept.total == round(30 * 0 + 30 + 25 + 15, 1)


def test_the_drill_down_lists_the_records_behind_a_score(any_app, year_so_far):
    year = year_so_far["today"].year
    towns, _ = assessment.assess(year, None)
    east = _by_name(towns)["幸福社区"]
    rows = assessment.drill_down(east, "problems", year, None)
    assert [(text.split(":")[-1], ok) for text, _, ok, _, _ in rows] == [("门窗损坏", True), ("水压不足", False)]
    rows = assessment.drill_down(east, "coverage", year, None)
    assert len(rows) == year_so_far["today"].month and rows[-1][1] == "已走访 1 / 应走访 2 户"
    assert [r[0] for r in assessment.drill_down(east, "activities", year, None)] == ["邻里节"]


def test_a_cadre_sees_only_villages_in_scope(any_app, year_so_far, make_user):
    cadre = make_user("cadre", sites=[year_so_far["west"]])
    towns, _ = assessment.assess(year_so_far["today"].year, allowed_site_ids(cadre))
    assert [u.name for u in towns] == ["西村"]


def test_the_pages_and_the_export(client, login, year_so_far, make_user):
    year = year_so_far["today"].year
    login(make_user("cadre", sites=[year_so_far["east"]]))
    html = client.get("/admin/support/assessment").get_data(as_text=True)
    assert "幸福社区" in html and "西村" not in html and "县人社局" in html
    east_id = year_so_far["east"].area_id
    page = client.get(f"/admin/support/assessment/records?year={year}&kind=village&key={east_id}&measure=problems")
    assert page.status_code == 200 and "水压不足" in page.get_data(as_text=True)
    west_id = year_so_far["west"].area_id
    assert client.get(f"/admin/support/assessment/records?year={year}&kind=village&key={west_id}&measure=tasks").status_code == 404
    bad = client.get(f"/admin/support/assessment/records?year={year}&kind=village&key={east_id}&measure=x")
    assert bad.status_code == 400 and "请在考核表上点开" in bad.get_data(as_text=True)
    assert client.get(f"/admin/support/assessment?year={year + 1}").status_code == 404
    book = load_workbook(io.BytesIO(client.get(f"/admin/support/assessment.xlsx?year={year}").data))
    rows = [[c.value for c in row] for row in book.active.iter_rows(min_row=4)]
    assert [r[1] for r in rows] == ["幸福社区", "县人社局"]
    assert rows[0][3] == "1/2"


def test_a_past_year_without_problems_or_tasks_due_scores_them_full(any_app, year_so_far):
    towns, _ = assessment.assess(year_so_far["today"].year - 1, None)
    east = _by_name(towns)["幸福社区"]
    assert east.score("problems") == 30 and east.score("tasks") == 25 and east.score("activities") == 0
