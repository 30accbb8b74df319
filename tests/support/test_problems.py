"""问题台账: the status machine, forbidden transitions, the kept history, the Excel export."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from extensions import db
from models.clock import local_today
from services.errors import Forbidden, ValidationFailed
from services.support import problems


@pytest.fixture
def problem(make_household, make_user):
    def make(**kw):
        home = make_household()
        values = dict(site_id=home.site_id, household_id=home.id, category="就业", description="家中两人待业",
                      responsible_unit="镇人社中心", responsible_person="刘海", measures="推荐到园区就业",
                      deadline=local_today() + timedelta(days=30))
        values.update(kw)
        return problems.create_problem(make_user("cadre"), **values)
    return make


def test_full_lifecycle_and_history(app, problem, make_user):
    worker, reviewer = make_user("cadre"), make_user("cadre")
    p = problem()
    problems.change_status(p, "in_progress", worker)
    problems.change_status(p, "resolved", worker, "两人已到园区上岗")
    with pytest.raises(Forbidden, match="整改人不能给自己的整改销号"):
        problems.change_status(p, "closed", worker, "自己销号")
    assert problems.allowed_actions(p, worker) == [("in_progress", "复核不通过,退回整改")]
    problems.change_status(p, "closed", reviewer, "电话回访属实")
    assert p.status == "closed" and p.closed_by_id == reviewer.id and p.resolved_by_id == worker.id
    assert [(c.from_status, c.to_status) for c in p.changes] == [
        (None, "not_started"), ("not_started", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")]
    with pytest.raises(ValidationFailed, match="不能直接改为"):
        problems.change_status(p, "in_progress", reviewer)
    with pytest.raises(ValidationFailed, match="已销号"):
        problems.update_problem(p, reviewer, measures="x")


@pytest.mark.parametrize("start,target", [
    ("not_started", "resolved"), ("not_started", "closed"), ("in_progress", "closed"),
    ("not_started", "escalated"), ("in_progress", "not_started"),
])
def test_forbidden_transitions(app, problem, make_user, start, target):
    p = problem()
    if start == "in_progress":
        problems.change_status(p, "in_progress", make_user("cadre"))
    with pytest.raises(ValidationFailed, match="不能直接改为"):
        problems.change_status(p, target, make_user("cadre"), "说明")


def test_send_back_and_escalate(app, problem, make_user):
    a, b = make_user("cadre"), make_user("cadre")
    p = problem()
    problems.change_status(p, "in_progress", a)
    problems.change_status(p, "resolved", a, "完成")
    with pytest.raises(ValidationFailed, match="请填写说明"):
        problems.change_status(p, "in_progress", b)
    problems.change_status(p, "in_progress", b, "复核未通过:仅一人上岗")
    assert p.resolved_by_id is None
    problems.change_status(p, "unresolvable", a, "园区无岗位")
    problems.change_status(p, "escalated", a, "报镇协调")
    assert p.status == "escalated"


@pytest.mark.parametrize("statement", ["UPDATE support_problem_change SET note = 'x' WHERE problem_id = :id",
                                       "DELETE FROM support_problem_change WHERE problem_id = :id"])
def test_history_is_append_only_in_the_database(any_app, make_site, statement):
    """Triggers on SQLite AND PostgreSQL refuse edits of the kept history, from any SQL."""
    p = problems.create_problem(None, site_id=make_site().id, category="环境", description="垃圾清运不及时")
    db.session.commit()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text(statement), {"id": p.id})
    db.session.rollback()


def test_edit_is_kept(app, problem, make_user):
    p = problem()
    change = problems.update_problem(p, make_user("cadre"), deadline=local_today() + timedelta(days=60),
                                     responsible_person="王主任")
    assert "responsible_person" in change.fields and p.responsible_person == "王主任"
    with pytest.raises(ValidationFailed, match="早于发现时间"):
        problems.update_problem(p, None, deadline=local_today() - timedelta(days=1))


def test_site_problem_and_validation(app, make_site, make_user):
    site = make_site()
    p = problems.create_problem(make_user("cadre"), site_id=site.id, category="基础设施", description="3 栋路灯不亮")
    assert p.household_id is None
    with pytest.raises(ValidationFailed, match="问题类别"):
        problems.create_problem(None, site_id=site.id, category="天气", description="x")


def test_overdue(app, problem):
    p = problem(found_date=local_today() - timedelta(days=40), deadline=local_today() - timedelta(days=1))
    assert problems.is_overdue(p)
    assert problems.list_problems(None, overdue_only=True) == [p]


def test_excel_export_columns(app, problem, make_user, make_site):
    p = problem()
    p.household.phone, p.household.building, p.household.door_no = "13800001234", "3栋", "2单元301"
    p.lead_unit, p.responsible_unit, p.responsible_person = "镇人社中心", "社区", "刘海"
    site_problem = problems.create_problem(None, site_id=make_site().id, category="环境", description="=HYPERLINK(\"x\")",
                                           deadline=local_today() - timedelta(days=1),
                                           found_date=local_today() - timedelta(days=9))
    fixer, reviewer = make_user("cadre"), make_user("cadre")
    fixer.display_name, reviewer.display_name = "整改甲", "复核乙"
    problems.change_status(p, "in_progress", fixer)
    problems.change_status(p, "resolved", fixer, "已推荐到园区就业")
    problems.change_status(p, "closed", reviewer, "电话回访属实")
    book = load_workbook(io.BytesIO(problems.export_xlsx([p, site_problem], "城关镇后续扶持问题台账", local_today())))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "城关镇后续扶持问题台账" and rows[1][0].startswith("截至 ") and "共 2 条" in rows[1][0]
    assert rows[2] == problems.EXPORT_COLUMNS
    for column in ("牵头单位", "问题来源", "整改情况", "复核意见", "整改人", "复核人", "门牌", "联系电话", "是否超期"):
        assert column in rows[2]
    assert sheet.freeze_panes == "A4"
    first = dict(zip(rows[2], rows[3]))
    assert (first["户主"], first["门牌"], first["联系电话"], first["牵头单位"]) == ("张喆", "3栋2单元301", "13800001234", "镇人社中心")
    assert (first["整改情况"], first["整改人"], first["复核意见"], first["复核人"]) == ("已推荐到园区就业", "整改甲", "电话回访属实", "复核乙")
    assert first["状态"] == "已销号" and first["销号时间"] is not None and first["是否超期"] is None
    second = dict(zip(rows[2], rows[4]))
    assert second["户主"] == "(公共)" and second["是否超期"] == "超期" and second["销号时间"] is None
    cell = sheet.cell(row=5, column=rows[2].index("问题描述") + 1)
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"  # text, never a live formula
