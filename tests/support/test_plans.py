"""年度计划 and 任务分解: plans per township, tasks from the 问题台账 or by hand, progress and completion,
who may do what, overdue tasks for the responsible person, refusals that write nothing, the pages."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from extensions import db
from models import Area, Site
from models.clock import local_today
from models.plan import PlanTask, PlanTaskProgress, WorkPlan
from services.errors import Forbidden, ValidationFailed
from services.support import plans, problems


@pytest.fixture
def town(make_site, make_household, make_user):
    north = make_site(name="北区")
    south = make_site(name="南区", village=Area(level="village", name="南村", parent=north.area.parent))
    elsewhere = make_site(name="外镇")
    township = north.area.parent
    admin = make_user("admin")
    town_cadre = make_user("cadre", areas=[township])
    village_cadre = make_user("cadre", sites=[north])
    outsider = make_user("cadre", sites=[elsewhere])
    home = make_household(site=north, head_name="赵有才")
    leak = problems.create_problem(admin, site_id=north.id, household_id=home.id, category="住房", description="屋顶漏水")
    road = problems.create_problem(admin, site_id=south.id, category="基础设施", description="路灯不亮",
                                   responsible_unit="南村村委")
    far = problems.create_problem(admin, site_id=elsewhere.id, category="饮水", description="外镇问题")
    db.session.flush()
    return dict(township=township, north=north, south=south, elsewhere=elsewhere, admin=admin,
                town_cadre=town_cadre, village_cadre=village_cadre, outsider=outsider, leak=leak, road=road, far=far)


def test_a_township_cadre_turns_problems_into_tasks_and_completes_them(any_app, town):
    cadre = town["town_cadre"]
    plan = plans.create_plan(cadre, area_id=town["township"].id, year=2026, title="后续扶持年度计划")
    assert [p.description for p in plans.problems_to_plan(plan)] == ["屋顶漏水", "路灯不亮"]
    deadline = local_today() + timedelta(days=30)
    tasks = plans.take_up_problems(cadre, plan, [town["leak"].id, town["road"].id], deadline=deadline,
                                   responsible_user_id=town["village_cadre"].id)
    assert [t.title for t in tasks] == ["住房:屋顶漏水", "基础设施:路灯不亮"]
    assert tasks[1].responsible_unit == "南村村委"  # taken from the problem when none is given
    assert plans.problems_to_plan(plan) == []
    manual = plans.add_task(cadre, plan, title="开展一次就业培训", deadline=deadline, responsible_unit="镇人社所")
    # the responsible village cadre reports progress but cannot complete
    plans.add_progress(town["village_cadre"], tasks[0], "已联系施工队")
    with pytest.raises(Forbidden):
        plans.complete(town["village_cadre"], tasks[0], "修好了")
    with pytest.raises(Forbidden):
        plans.add_progress(town["village_cadre"], manual, "不是我的任务")
    plans.complete(cadre, tasks[0], "屋顶已修缮,住户确认")
    db.session.commit()
    summary = plans.summary(db.session.get(WorkPlan, plan.id))
    assert (summary.total, summary.done, summary.done_on_time, summary.overdue) == (3, 1, 1, 0)
    with pytest.raises(ValidationFailed):
        plans.add_progress(cadre, tasks[0], "完成后再写")


def test_overdue_tasks_show_for_the_responsible_person_only(any_app, town):
    cadre, village = town["town_cadre"], town["village_cadre"]
    plan = plans.create_plan(cadre, area_id=town["township"].id, year=2026, title="计划")
    late = plans.add_task(cadre, plan, title="逾期任务", deadline=local_today() - timedelta(days=1),
                          responsible_user_id=village.id)
    plans.add_task(cadre, plan, title="未到期", deadline=local_today(), responsible_user_id=village.id)
    plans.add_task(cadre, plan, title="别人的", deadline=local_today() - timedelta(days=5), responsible_unit="镇民政办")
    db.session.commit()
    assert [t.title for t in plans.overdue_tasks_for(village)] == ["逾期任务"]
    assert plans.overdue_tasks_for(cadre) == []
    plans.complete(cadre, late, "补做完成")
    assert plans.overdue_tasks_for(village) == []
    assert not plans.done_on_time(late)


def test_who_may_plan(any_app, town):
    with pytest.raises(Forbidden):  # a village cadre does not cover the township
        plans.create_plan(town["village_cadre"], area_id=town["township"].id, year=2026, title="计划")
    with pytest.raises(Forbidden):
        plans.create_plan(town["outsider"], area_id=town["township"].id, year=2026, title="计划")
    plan = plans.create_plan(town["admin"], area_id=town["township"].id, year=2026, title="计划")
    assert plans.can_read(town["village_cadre"], plan) and not plans.can_read(town["outsider"], plan)
    assert [p.id for p in plans.plans_in_scope(town["outsider"])] == []


@pytest.mark.parametrize("change, field", [
    (dict(area_id=None), "area_id"),
    (dict(year=1999), "year"),
    (dict(title="  "), "title"),
])
def test_bad_plans_are_refused(any_app, town, change, field):
    values = dict(area_id=town["township"].id, year=2026, title="计划")
    values.update(change)
    with pytest.raises(ValidationFailed) as refused:
        plans.create_plan(town["admin"], **values)
    assert refused.value.details["field"] == field


def test_one_plan_per_township_and_year(any_app, town):
    plans.create_plan(town["admin"], area_id=town["township"].id, year=2026, title="计划")
    with pytest.raises(ValidationFailed, match="已有 2026 年的计划"):
        plans.create_plan(town["admin"], area_id=town["township"].id, year=2026, title="又一个")


def test_bad_tasks_are_refused_and_nothing_written(any_app, town):
    admin = town["admin"]
    plan = plans.create_plan(admin, area_id=town["township"].id, year=2026, title="计划")
    db.session.commit()
    soon = local_today() + timedelta(days=9)
    cases = [
        (dict(title="", deadline=soon, responsible_unit="镇"), "title"),
        (dict(title="任务", deadline=None, responsible_unit="镇"), "deadline"),
        (dict(title="任务", deadline=soon), "responsible_unit"),
        (dict(title="任务", deadline=soon, responsible_user_id=99999), "responsible_user_id"),
        (dict(title="任务", deadline=soon, responsible_unit="镇", problem_ids=[town["far"].id]), "problem_ids"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            plans.add_task(admin, plan, **kwargs)
        assert refused.value.details["field"] == field
        db.session.rollback()
    plans.add_task(admin, plan, title="任务", deadline=soon, responsible_unit="镇", problem_ids=[town["leak"].id])
    db.session.commit()
    with pytest.raises(ValidationFailed, match="已经列入"):
        plans.add_task(admin, plan, title="再列", deadline=soon, responsible_unit="镇", problem_ids=[town["leak"].id])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PlanTask)) == 1
    with pytest.raises(ValidationFailed):
        plans.add_progress(admin, db.session.scalars(select(PlanTask)).one(), "   ")


# ------------------------------------------------------------------ pages
def test_plan_pages_walk_and_refuse(client, login, town):
    login(town["town_cadre"])
    response = client.post("/admin/support/plans", data={"area_id": town["township"].id, "year": "20x6", "title": "计划"})
    assert response.status_code == 400 and "年度" in response.get_data(as_text=True)
    response = client.post("/admin/support/plans", data={"area_id": town["township"].id, "year": "2026", "title": "年度计划"})
    assert response.status_code == 302
    plan = db.session.scalars(select(WorkPlan)).one()
    page = client.get(f"/admin/support/plans/{plan.id}").get_data(as_text=True)
    assert "屋顶漏水" in page and "路灯不亮" in page and "外镇问题" not in page
    response = client.post(f"/admin/support/plans/{plan.id}/take-up", data={"up-deadline": local_today().isoformat()})
    assert response.status_code == 400 and "请勾选要列入计划的问题" in response.get_data(as_text=True)
    response = client.post(f"/admin/support/plans/{plan.id}/take-up",
                           data={"up-problem_ids": [town["leak"].id], "up-deadline": local_today().isoformat(),
                                 "up-responsible_user_id": town["village_cadre"].id})
    assert response.status_code == 302
    response = client.post(f"/admin/support/plans/{plan.id}/tasks",
                           data={"title": "办一次培训", "responsible_unit": "", "deadline": local_today().isoformat()})
    assert response.status_code == 400 and 'value="' in response.get_data(as_text=True)
    assert "办一次培训" in response.get_data(as_text=True)  # the typed text is kept
    task = db.session.scalars(select(PlanTask)).one()
    assert client.post(f"/admin/support/plans/tasks/{task.id}/progress", data={"note": "开工"}).status_code == 302
    assert client.post(f"/admin/support/plans/tasks/{task.id}/complete", data={"done-note": ""}).status_code == 400
    assert client.post(f"/admin/support/plans/tasks/{task.id}/complete", data={"done-note": "已修好"}).status_code == 302
    assert db.session.get(PlanTask, task.id).status == "done"
    assert db.session.scalar(select(func.count()).select_from(PlanTaskProgress)) == 1
    book = load_workbook(io.BytesIO(client.get(f"/admin/support/plans/{plan.id}/export.xlsx").data))
    assert [c.value for c in book.active[3]][:2] == ["序号", "任务内容"]
    assert book.active["B4"].value == "住房:屋顶漏水"


def test_other_townships_plan_is_refused(client, login, town):
    plan = plans.create_plan(town["admin"], area_id=town["township"].id, year=2026, title="计划")
    task = plans.add_task(town["admin"], plan, title="任务", deadline=local_today(), responsible_unit="镇")
    login(town["outsider"])
    assert client.get(f"/admin/support/plans/{plan.id}").status_code == 403
    assert client.get(f"/admin/support/plans/tasks/{task.id}").status_code == 403
    assert client.get("/admin/support/plans/999999").status_code == 404


def test_a_village_cadre_cannot_add_tasks(client, login, town):
    plan = plans.create_plan(town["admin"], area_id=town["township"].id, year=2026, title="计划")
    login(town["village_cadre"])
    assert client.get(f"/admin/support/plans/{plan.id}").status_code == 200
    response = client.post(f"/admin/support/plans/{plan.id}/tasks",
                           data={"title": "任务", "responsible_unit": "镇", "deadline": local_today().isoformat()})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PlanTask)) == 0


def test_sites_under_a_township(any_app, town):
    from services.staff.scope import site_ids_under
    ids = site_ids_under(town["township"].id)
    assert ids == {town["north"].id, town["south"].id}
    assert db.session.get(Site, town["elsewhere"].id).id not in ids
