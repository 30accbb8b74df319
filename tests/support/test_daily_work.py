"""The daily-work defects a township cadre met: each one asserted on the page or in the records."""
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from models.support import Problem, Responsibility, Visit
from services.support import monitoring, problems, visits
from services.support import responsibility as support


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def world(make_site, make_household, make_user):
    site = make_site()
    home = make_household(site=site, head_name="张喆", phone="13800001234")
    db.session.add(HouseholdTag(household_id=home.id, tag="low_income"))
    admin = make_user("admin")
    user = make_user("cadre", sites=[site])
    user.phone = "0851-22223333"
    own = support.create_cadre(admin, "李书记", "13900000001", staff_user_id=user.id)
    keeper = support.create_cadre(admin, "刘海", "13900000002")
    support.assign(home, keeper, admin, local_today() - timedelta(days=30))
    db.session.commit()
    return dict(site=site, home=home, admin=admin, user=user, own=own, keeper=keeper)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def test_change_history_reads_as_text_not_json(client, login, world):
    problem = problems.create_problem(world["admin"], site_id=world["site"].id, household_id=world["home"].id,
                                      category="住房", description="屋顶漏水", deadline=local_today())
    db.session.commit()
    login(world["user"])
    later = local_today() + timedelta(days=14)
    client.post(f"/admin/support/problems/{problem.id}/edit",
                data={"deadline": later.isoformat(), "responsible_person": "刘海", "note": "材料未到"})
    page = client.get(f"/admin/support/problems/{problem.id}").get_data(as_text=True)
    assert f"完成时限:{local_today().isoformat()} → {later.isoformat()}" in page
    assert "责任人:(空) → 刘海" in page
    assert '{"' not in page and '["' not in page


def test_visit_form_never_files_a_problem_under_a_category_nobody_chose(client, login, world):
    login(world["user"])
    home = world["home"]
    form = client.get(f"/admin/support/visits/new?household_id={home.id}").get_data(as_text=True)
    select_1 = form.split('name="p_category_1">')[1].split("</select>")[0]
    assert select_1.startswith('<option value="">') and "selected" not in select_1
    response = client.post("/admin/support/visits/new", data={
        "household_id": home.id, "visit_date": local_today().isoformat(), "visitors": "李书记", "met": "1",
        "confirm_name": "张喆", "p_category_1": "", "p_description_1": "孩子转学手续未办完"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请选择问题类别" in page and 'value="孩子转学手续未办完"' in page
    assert db.session.execute(select(func.count(Visit.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(Problem.id))).scalar_one() == 0
    response = client.post("/admin/support/visits/new", data={
        "household_id": home.id, "visit_date": local_today().isoformat(), "visitors": "李书记", "met": "1",
        "confirm_name": "张喆", "p_category_1": "教育", "p_description_1": "孩子转学手续未办完"})
    assert response.status_code == 302
    assert db.session.execute(select(Problem.category)).scalar_one() == "教育"


def test_visit_detail_names_the_households_own_cadre(client, login, world):
    visit = visits.record_visit(world["home"], world["user"], visit_date=local_today(), visitors="李书记",
                                confirm_name="张喆")
    db.session.commit()
    assert visit.cadre_id == world["own"].id  # the visitor is a cadre, but not this household's
    login(world["user"])
    page = client.get(f"/admin/support/visits/{visit.id}").get_data(as_text=True)
    assert "走访人 李书记" in page and "本户包保责任人 刘海" in page
    assert "包保责任人 李书记" not in page and "(本户包保责任人)" not in page
    support.assign(world["home"], world["own"], world["admin"], local_today() - timedelta(days=1))
    db.session.commit()
    page = client.get(f"/admin/support/visits/{visit.id}").get_data(as_text=True)
    assert "李书记(本户包保责任人)" in page


def test_visit_photo_becomes_the_problems_before_photo(app, world):
    visit = visits.record_visit(world["home"], world["user"], visit_date=local_today(), visitors="李书记",
                                confirm_name="张喆", photos=[png()],
                                problems=[{"category": "住房", "description": "卫生间渗水"}])
    problem = db.session.execute(select(Problem).where(Problem.visit_id == visit.id)).scalar_one()
    before = support.photos_of("problem_before", problem.id)
    assert len(support.photos_of("visit", visit.id)) == 1 and len(before) == 1
    assert before[0].filename != support.photos_of("visit", visit.id)[0].filename


def test_monthly_report_opens_on_the_whole_township(client, login, make_site, make_user):
    first = make_site()
    second = make_site(village=first.area)
    town = first.area.parent
    login(make_user("cadre", areas=[town]))
    page = client.get("/admin/support/report").get_data(as_text=True)
    assert f'<option value="area:{town.id}" selected>' in page
    assert second.name in page


def test_quota_flash_has_one_warning_sign(client, login, app, world, make_household):
    app.config["SUPPORT_CADRE_QUOTA"] = 1
    other = make_household(site=world["site"], head_name="石𬌗")
    db.session.commit()
    login(world["user"])
    page = client.post(f"/admin/support/households/{other.id}/assign",
                       data={"cadre_id": world["keeper"].id}, follow_redirects=True).get_data(as_text=True)
    assert "刘海 已包保 2 户,超过每人 1 户" in page and "⚠ ⚠" not in page


def test_assignment_refusal_stays_on_the_form(client, login, world, make_household):
    other = make_household(site=world["site"], head_name="石𬌗")
    db.session.commit()
    login(world["user"])
    response = client.post(f"/admin/support/households/{other.id}/assign",
                           data={"cadre_id": "", "start_date": "2026-02-30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "操作没有完成" not in page
    assert 'class="field-error"' in page and 'value="2026-02-30"' in page
    assert db.session.execute(select(func.count(Responsibility.id))).scalar_one() == 1


def test_monitoring_step_refusal_stays_on_the_form(client, login, world, make_user):
    county = make_user("cadre", areas=[world["site"].area.parent.parent])
    case = monitoring.open_case(world["home"], "marginal", county, local_today() - timedelta(days=3))
    db.session.commit()
    login(county)
    response = client.post(f"/admin/support/monitoring/{case.id}/step",
                           data={"step": "verified", "step_date": "2026-13-01", "note": "入户核实属实"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "操作没有完成" not in page
    assert 'class="field-error"' in page and 'value="2026-13-01"' in page and "入户核实属实" in page
    assert len(case.steps) == 1


def test_time_limit_warning_reads_the_setting(client, login, app, world, make_user):
    app.config["SUPPORT_MONITORING_DAYS"] = 3
    county = make_user("cadre", areas=[world["site"].area.parent.parent])
    case = monitoring.open_case(world["home"], "marginal", county, local_today() - timedelta(days=6))
    db.session.commit()
    login(county)
    page = client.get(f"/admin/support/monitoring/{case.id}").get_data(as_text=True)
    assert "已超过 3 天" in page and "15 天" not in page


def test_notice_gives_a_phone_for_objections(client, login, app, world):
    user = world["user"]
    case = monitoring.open_case(world["home"], "marginal", user, local_today() - timedelta(days=8))
    monitoring.add_step(case, "verified", user, local_today() - timedelta(days=7))
    monitoring.add_step(case, "publicity", user, None, publicity_start=local_today() - timedelta(days=6),
                        publicity_end=local_today() - timedelta(days=2))
    db.session.commit()
    login(user)
    page = client.get(f"/admin/support/monitoring/{case.id}/notice").get_data(as_text=True)
    assert "受理电话:<strong class=\"nowrap\">0851-22223333</strong>" in page and "13800001234" not in page
    app.config["SUPPORT_NOTICE_PHONE"] = "0851-88881234"
    page = client.get(f"/admin/support/monitoring/{case.id}/notice").get_data(as_text=True)
    assert "0851-88881234" in page
