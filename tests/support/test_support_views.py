"""后续扶持 pages: every page renders, posts go through, and a cadre sees only sites in scope."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models import HouseholdTag, Member
from models.clock import local_today
from models.support import Problem, Visit
from services.support import monitoring, problems, visits
from services.support import responsibility as support


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def world(make_site, make_household, make_user):
    mine, other = make_site(), make_site()
    home = make_household(site=mine, head_name="张喆", phone="13800001234")
    home.members.append(Member(name="张小红", relation="子女"))
    far = make_household(site=other, head_name="李彧")
    for h in (home, far):
        db.session.add(HouseholdTag(household_id=h.id, tag="low_income"))
    admin = make_user("admin")
    cadre = make_user("cadre", sites=[mine])
    cad = support.create_cadre(admin, "包保甲", "13900000000")
    support.assign(home, cad, admin)
    visit = visits.record_visit(home, admin, visit_date=local_today(), visitors="甲", confirm_name="张喆")
    problem = problems.create_problem(admin, site_id=mine.id, household_id=home.id, category="住房", description="屋顶漏水")
    far_problem = problems.create_problem(admin, site_id=other.id, household_id=far.id, category="饮水", description="外点问题")
    case = monitoring.open_case(home, "marginal", admin, local_today())
    far_case = monitoring.open_case(far, "marginal", admin, local_today())
    db.session.commit()
    return dict(mine=mine, other=other, home=home, far=far, cadre=cadre, admin=admin, visit=visit, problem=problem,
                far_problem=far_problem, case=case, far_case=far_case)


def test_pages_render_for_a_scoped_cadre(client, login, world):
    login(world["cadre"])
    w = world
    pages = ["/admin/support/", f"/admin/support/households/{w['home'].id}", "/admin/support/cadres",
             "/admin/support/visits/new", f"/admin/support/visits/new?household_id={w['home'].id}",
             "/admin/support/visits/new?q=张", f"/admin/support/visits/{w['visit'].id}", "/admin/support/visits",
             "/admin/support/coverage", "/admin/support/problems", f"/admin/support/problems/{w['problem'].id}",
             f"/admin/support/problems/new?household_id={w['home'].id}", "/admin/support/monitoring",
             f"/admin/support/monitoring/{w['case'].id}", f"/admin/support/report?scope=site:{w['mine'].id}",
             "/admin/life-events/", f"/admin/life-events/households/{w['home'].id}", "/admin/life-events/move-in",
             "/admin/support/monitoring/find?q=张"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "李彧" not in client.get("/admin/support/").get_data(as_text=True)
    assert "外点问题" not in client.get("/admin/support/problems").get_data(as_text=True)
    assert "李彧" not in client.get("/admin/support/visits/new?q=李").get_data(as_text=True)


def test_other_site_is_refused(client, login, world):
    login(world["cadre"])
    w = world
    for url in [f"/admin/support/households/{w['far'].id}", f"/admin/support/problems/{w['far_problem'].id}",
                f"/admin/support/monitoring/{w['far_case'].id}", f"/admin/support/monitoring/{w['far_case'].id}/notice",
                f"/admin/support/visits/new?household_id={w['far'].id}", f"/admin/life-events/households/{w['far'].id}",
                f"/admin/support/report?scope=site:{w['other'].id}", f"/admin/support/report.xlsx?scope=site:{w['other'].id}"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/support/problems/{w['far_problem'].id}/status", data={"to": "in_progress"}).status_code == 403
    assert client.post(f"/admin/life-events/households/{w['far'].id}/move_out").status_code == 403


def test_wrong_role_and_anonymous_refused(client, login, world, make_user):
    assert client.get("/admin/support/").status_code in (302, 401)
    shop = make_user("shopkeeper", sites=[world["mine"]])
    login(shop)
    assert client.get("/admin/support/").status_code == 403
    assert client.get("/admin/support/visits/new").status_code == 403


def test_visit_form_post_and_error_keeps_input(client, login, world):
    login(world["cadre"])
    home = world["home"]
    old = (local_today() - timedelta(days=10)).isoformat()
    response = client.post("/admin/support/visits/new", data={
        "household_id": home.id, "visit_date": old, "visitors": "李书记", "met": "1", "confirm_name": "张喆",
        "s_income": "issue", "n_income": "务工收入减少"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "补录原因" in page and "务工收入减少" in page
    response = client.post("/admin/support/visits/new", data={
        "household_id": home.id, "visit_date": old, "backdate_reason": "补录纸质记录", "visitors": "李书记", "met": "1",
        "confirm_name": "张喆", "s_income": "issue", "n_income": "务工收入减少",
        "p_category_1": "就业", "p_description_1": "想找工作",
        "photos": (io.BytesIO(b"not an image"), "x.jpg")}, content_type="multipart/form-data")
    assert "只能上传照片" in response.get_data(as_text=True)
    response = client.post("/admin/support/visits/new", data={
        "household_id": home.id, "visit_date": old, "backdate_reason": "补录纸质记录", "visitors": "李书记", "met": "1",
        "confirm_name": "张喆", "p_category_1": "就业", "p_description_1": "想找工作"})
    assert response.status_code == 302
    visit = db.session.execute(select(Visit).order_by(Visit.id.desc())).scalars().first()
    assert visit.backdate_reason == "补录纸质记录"
    assert db.session.execute(select(Problem).where(Problem.visit_id == visit.id)).scalar_one().description == "想找工作"


def test_problem_status_posts_and_export(client, login, world, make_user):
    w = world
    login(w["cadre"])
    url = f"/admin/support/problems/{w['problem'].id}/status"
    assert client.post(url, data={"to": "in_progress"}).status_code == 302
    assert client.post(url, data={"to": "resolved", "note": "已修好"}).status_code == 302
    assert client.post(url, data={"to": "closed", "note": "自己销号"}).status_code == 403
    reviewer = make_user("cadre", sites=[w["mine"]])
    client.post("/admin/logout")
    login(reviewer)
    assert client.post(url, data={"to": "closed", "note": "复核属实"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Problem, w["problem"].id).status == "closed"
    book = load_workbook(io.BytesIO(client.get("/admin/support/problems/export.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0].endswith("城关镇幸福社区后续扶持问题台账")  # the cadre's village, by name
    assert rows[2][0] == "序号" and len(rows) == 4
    assert dict(zip(rows[2], rows[3]))["状态"] == "已销号" and "外点问题" not in str(rows)


def test_report_downloads(client, login, world, make_user):
    from services.reports import report_notes

    other = make_user("cadre", sites=[world["mine"]])
    today = local_today()
    note = report_notes.save(f"site:{world['mine'].id}", today.year, today.month, other, work_done="入户走访 1 户")
    report_notes.sign(note, world["cadre"])
    login(world["cadre"])
    xlsx = client.get(f"/admin/support/report.xlsx?scope=site:{world['mine'].id}")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data)).sheetnames[:2] == ["汇报正文", "户数与类别"]
    pdf = client.get(f"/admin/support/report.pdf?scope=site:{world['mine'].id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_life_event_post_split(client, login, world):
    login(world["cadre"])
    home = world["home"]
    kid = next(m for m in home.members if m.name == "张小红")
    response = client.post(f"/admin/life-events/households/{home.id}/split",
                           data={"member_ids": [kid.id], "new_head_id": kid.id, "policy": "none"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, kid.id).household_id != home.id


def test_life_event_refusal_reshows_the_form(client, login, world):
    from models.life_event import LifeEvent

    login(world["cadre"])
    home = world["home"]
    kid = next(m for m in home.members if m.name == "张小红")
    response = client.post(f"/admin/life-events/households/{home.id}/split",
                           data={"member_ids": [kid.id], "new_head_id": kid.id, "policy": "committee",
                                 "amount": "十二", "door_no": "3单元101"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "积分必须是整数" in page and 'class="field-error"' in page
    assert 'value="3单元101"' in page and 'value="十二"' in page
    response = client.post(f"/admin/life-events/households/{home.id}/member_add", data={"name": " "})
    assert response.status_code == 400 and "请填写成员姓名" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, kid.id).household_id == home.id
    assert db.session.execute(db.select(db.func.count(LifeEvent.id))).scalar_one() == 0


def test_find_by_scanned_card_url_and_short_code(client, login, world):
    from services.households.cards import issue_card

    card, token = issue_card(world["home"])
    db.session.commit()
    login(world["cadre"])
    page = client.get(f"/admin/support/visits/new?q=http://127.0.0.1:5000/c/{token}").get_data(as_text=True)
    assert f"household_id={world['home'].id}" in page
    page = client.get(f"/admin/support/visits/new?q={card.short_code}").get_data(as_text=True)
    assert f"household_id={world['home'].id}" in page
    far_card, far_token = issue_card(world["far"])
    db.session.commit()
    assert "李彧" not in client.get(f"/admin/support/visits/new?q={far_token}").get_data(as_text=True)


def test_problem_evidence_photos(client, login, world):
    from PIL import Image

    def png():
        out = io.BytesIO()
        Image.new("RGB", (40, 30), "blue").save(out, "PNG")
        out.seek(0)
        return out

    login(world["cadre"])
    response = client.post(f"/admin/support/problems/new?household_id={world['home'].id}", data={
        "household_id": world["home"].id, "category": "住房", "description": "墙面开裂", "source": "self_report",
        "deadline": (local_today() + timedelta(days=5)).isoformat(), "photos": (png(), "before.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    problem = db.session.execute(select(Problem).where(Problem.description == "墙面开裂")).scalar_one()
    url = f"/admin/support/problems/{problem.id}/status"
    client.post(url, data={"to": "in_progress"})
    client.post(url, data={"to": "resolved", "note": "已修补", "photos": (png(), "after.png")},
                content_type="multipart/form-data")
    from services.support import responsibility as svc
    before, after = svc.photos_of("problem_before", problem.id), svc.photos_of("problem_after", problem.id)
    assert len(before) == len(after) == 1
    assert client.get(f"/admin/support/photos/{after[0].id}").mimetype == "image/jpeg"
    page = client.get(f"/admin/support/problems/{problem.id}").get_data(as_text=True)
    assert "整改后" in page and f"/admin/support/photos/{after[0].id}" in page


def test_forms_carry_csrf(app, client, login, world):
    import re

    login(world["cadre"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        home = world["home"]
        data = {"household_id": home.id, "visit_date": local_today().isoformat(), "visitors": "甲", "met": "1",
                "confirm_name": "张喆"}
        assert client.post("/admin/support/visits/new", data=data).status_code == 400
        page = client.get(f"/admin/support/visits/new?household_id={home.id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/admin/support/visits/new", data={**data, "csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_merge_form_offers_neighbours(client, login, world, make_household):
    neighbour = make_household(site=world["mine"], head_name="赵堃", balance=12)
    db.session.commit()
    login(world["cadre"])
    page = client.get(f"/admin/life-events/households/{world['home'].id}").get_data(as_text=True)
    assert "赵堃" in page and "李彧" not in page
    response = client.post(f"/admin/life-events/households/{world['home'].id}/merge", data={"absorbed_id": neighbour.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert neighbour.status == "merged" and world["home"].balance == 12
