"""The demo county shows every state of the township's plan on day one: ages known, the jobs ledger
with 未摸底 left, settlement leaders with one gap, causes held and not held, a 融合共建 activity, and an
annual plan with a task done, one open and one overdue on the demo cadre's list."""
from sqlalchemy import select

from extensions import db
from models import StaffUser
from services.demo.county import build_demo
from services.staff.scope import sites_in_scope
from services.support import assessment, jobs, plans, settlement


def test_the_demo_walks_every_state(app):
    build_demo(households=80)
    db.session.commit()
    rows = jobs.working_members(None)
    assert rows and all(r.age is not None for r in rows)
    states = {r.status_label for r in rows}
    assert {"务工", "待业", "未摸底"} <= states
    admin = db.session.execute(select(StaffUser).where(StaffUser.username == "admin")).scalar_one()
    cadre = db.session.execute(select(StaffUser).where(StaffUser.username == "cadre")).scalar_one()
    cov = settlement.coverage(sites_in_scope(admin))
    assert 0 < cov.sites_covered < len(cov.sites)
    assert any(r.holder for r in cov.causes) and any(not r.holder for r in cov.causes)
    assert [t.title for t in plans.overdue_tasks_for(cadre)]
    plan = plans.plans_in_scope(admin)[0]
    summary = plans.summary(plan)
    assert summary.done >= 1 and summary.overdue >= 1 and summary.total > summary.done + summary.overdue - 1
    towns, depts = assessment.assess(plan.year, None)
    assert any(u.measures["activities"].done for u in towns)
    assert "县卫健局" in {u.name for u in depts}
