"""我的包保户: the cadre's own households, who is left this month, overdue, open problems, tel: links."""
from datetime import timedelta

import pytest

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from services.support import problems, visits
from services.support import responsibility as support


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def mine(make_site, make_household, make_user):
    site = make_site()
    user = make_user("cadre", sites=[site])
    admin = make_user("admin")
    cadre = support.create_cadre(admin, "李书记", "13900000001", staff_user_id=user.id)
    other = support.create_cadre(admin, "王主任", "13900000002")
    today = local_today()
    homes = {}
    for name, phone in (("欧阳𠮷祥", "13800001111"), ("石𬌗", "13800002222"), ("龙䶮", None), ("别人家", "13800004444")):
        homes[name] = make_household(site=site, head_name=name, phone=phone)
        db.session.add(HouseholdTag(household_id=homes[name].id, tag="low_income"))
    for name in ("欧阳𠮷祥", "石𬌗", "龙䶮"):
        support.assign(homes[name], cadre, admin, today - timedelta(days=100))
    support.assign(homes["别人家"], other, admin)
    visits.record_visit(homes["欧阳𠮷祥"], admin, visit_date=today, visitors="李书记", confirm_name="欧阳𠮷祥")
    visits.record_visit(homes["石𬌗"], admin, visit_date=today - timedelta(days=today.day + 3),
                        visitors="李书记", confirm_name="石𬌗", backdate_reason="补录")
    problems.create_problem(admin, site_id=site.id, household_id=homes["龙䶮"].id, category="住房",
                            description="卫生间渗水", deadline=today, found_date=today - timedelta(days=3))
    db.session.commit()
    return dict(user=user, cadre=cadre, homes=homes, admin=admin)


def test_worklist_orders_overdue_then_left_then_visited(app, mine):
    items = visits.worklist(mine["cadre"].id)
    names = [i.household.head_name for i in items]
    assert names == ["龙䶮", "石𬌗", "欧阳𠮷祥"]  # never visited, not yet this month, visited
    never, left, done = items
    assert never.overdue and not never.visited and never.open_problems == 1
    assert not left.overdue and not left.visited and left.last_visit is not None
    assert done.visited and not done.overdue
    assert "别人家" not in names


def test_my_households_page_on_a_phone(client, login, mine):
    login(mine["user"])
    response = client.get("/admin/support/mine")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "本月还剩 <strong class=\"late\">2</strong> 户未走访" in page
    assert 'href="tel:13800001111"' in page and 'href="tel:13800002222"' in page and "无电话" in page
    assert "别人家" not in page and "13800004444" not in page
    for home in ("欧阳𠮷祥", "石𬌗", "龙䶮"):
        assert f'/admin/support/visits/new?household_id={mine["homes"][home].id}' in page
    assert "问题 1 个" in page and "从未走访" in page


def test_phone_is_a_tel_link_on_household_page_and_visit_form(client, login, mine):
    login(mine["user"])
    home = mine["homes"]["石𬌗"]
    assert 'href="tel:13800002222"' in client.get(f"/admin/support/households/{home.id}").get_data(as_text=True)
    assert 'href="tel:13800002222"' in client.get(f"/admin/support/visits/new?household_id={home.id}").get_data(as_text=True)


def test_a_staff_member_who_is_no_cadre_is_told_so(client, login, make_user, mine):
    login(make_user("committee", sites=[mine["homes"]["石𬌗"].site]))
    page = client.get("/admin/support/mine").get_data(as_text=True)
    assert "您还没有登记为包保责任人" in page
