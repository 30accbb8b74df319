"""The life-event page: every irreversible change asks first and says what happens to the points;
no person is preselected; the merge list is searchable; refusals stay on the form."""
import re

import pytest

from extensions import db
from models import Member
from models.life_event import LifeEvent


@pytest.fixture
def family(make_site, make_household, make_user):
    site = make_site()
    home = make_household(site=site, head_name="张喆", balance=40)
    home.members.append(Member(name="张小红", relation="子女"))
    neighbour = make_household(site=site, head_name="赵堃", balance=12)
    neighbour.head_initials = "zk"
    other = make_household(site=site, head_name="钱多", balance=3)
    other.head_initials = "qd"
    cadre = make_user("cadre", sites=[site])
    db.session.commit()
    return dict(home=home, neighbour=neighbour, other=other, cadre=cadre)


def test_irreversible_changes_ask_first_and_name_the_points(client, login, family):
    login(family["cadre"])
    page = client.get(f"/admin/life-events/households/{family['home'].id}").get_data(as_text=True)
    asks = {label: text for text, label in re.findall(r'data-confirm="([^"]+)">([^<]+)</button>', page)}
    for button in ("办理合户", "变更户主并补发新卡", "登记", "办理换安置点", "办理迁出"):
        assert button in asks, button
        assert "分" in asks[button], button
    assert "全部积分转入 张喆 户" in asks["办理合户"] and "不能撤销" in asks["办理合户"]
    assert "40 分" in asks["变更户主并补发新卡"] and "40 分" in asks["办理迁出"]


def test_no_person_is_preselected(client, login, family):
    login(family["cadre"])
    page = client.get(f"/admin/life-events/households/{family['home'].id}").get_data(as_text=True)
    for name in ("member_id", "new_head_id"):
        for select in re.findall(rf'<select name="{name}">(.*?)</select>', page, re.S):
            assert select.startswith('<option value="">') and "selected" not in select


def test_deceased_without_a_member_stays_on_the_form(client, login, family):
    login(family["cadre"])
    home = family["home"]
    response = client.post(f"/admin/life-events/households/{home.id}/member_deceased",
                           data={"member_id": "", "note": "医院死亡证明"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请选择成员" in page and 'value="医院死亡证明"' in page
    assert "操作没有完成" not in page
    assert db.session.execute(db.select(db.func.count(LifeEvent.id))).scalar_one() == 0
    db.session.expire_all()
    assert all(m.is_current for m in home.members)


def test_merge_list_is_searchable_by_pinyin_initials(client, login, family):
    login(family["cadre"])
    url = f"/admin/life-events/households/{family['home'].id}"
    page = client.get(url + "?merge_q=zk").get_data(as_text=True)
    merge = page.split('name="absorbed_id"')[1].split("</select>")[0]
    assert "赵堃" in merge and "钱多" not in merge
    merge = client.get(url + "?merge_q=钱").get_data(as_text=True).split('name="absorbed_id"')[1].split("</select>")[0]
    assert "钱多" in merge and "赵堃" not in merge
    assert "找到 0 户" in client.get(url + "?merge_q=xyz").get_data(as_text=True)
