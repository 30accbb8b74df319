"""一户一档: search, filters, pagination, detail, create / edit / move-out, passbook PDF."""
import subprocess

import pytest

from extensions import db
from models import AuditLog, Card, Household, HouseholdTag
from services.households import card_actions
from services.households import registry as svc

VALID_ID = "51012319900101123X"  # check digit correct


def page_of(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


@pytest.fixture
def cadre_site(make_site, make_user, login):
    site = make_site("幸福家园安置点")
    user = make_user("cadre", sites=[site])
    login(user)
    return site, user


def test_id_number_check_digit():
    assert svc.id_number_error(VALID_ID) is None
    assert "校验位" in svc.id_number_error("510123199001011234")
    assert "18 位" in svc.id_number_error("51012319900101")
    assert svc.id_number_error("11010519491231002X") is None


@pytest.mark.parametrize("phone, ok", [("13800001111", True), ("0851-12345678", True), ("085112345678", True),
                                       ("12800001111", False), ("1380000111", False), ("abc", False)])
def test_phone_format(phone, ok):
    assert (svc.phone_error(phone) is None) == ok


def test_search_by_name_initials_phone_door_and_id(app, client, cadre_site, make_household):
    site, _ = cadre_site
    a = make_household(site, head_name="张建国", phone="13811113333", door_no="1单元501")
    b = make_household(site, head_name="李秀英", phone="13933334444", door_no="3单元101")
    a.head_initials, b.head_initials = "zjg", "lxy"
    db.session.commit()
    for q, expect in [("张建", a), ("zj", a), ("LXY", b), ("3344", b), ("1单元501", a), (str(b.id), b)]:
        html = page_of(client, f"/admin/households?q={q}")
        assert expect.head_name in html, q
        other = b if expect is a else a
        assert other.head_name not in html, q


def test_filters_tag_balance_status_and_pagination(app, client, cadre_site, make_household):
    site, user = cadre_site
    rich = make_household(site, head_name="富户甲", balance=200)
    rich.tag_rows.append(HouseholdTag(tag="low_income"))
    make_household(site, head_name="穷户乙", balance=5)
    gone = make_household(site, head_name="迁户丙")
    svc.move_out(user, gone, "迁往外县")
    for n in range(35):
        make_household(site, head_name=f"住户{n:02d}")
    db.session.commit()
    assert "富户甲" in page_of(client, "/admin/households?tag=low_income")
    assert "穷户乙" not in page_of(client, "/admin/households?tag=low_income")
    html = page_of(client, "/admin/households?min_balance=100&max_balance=300")
    assert "富户甲" in html and "穷户乙" not in html
    assert "迁户丙" not in page_of(client, "/admin/households")
    assert "迁户丙" in page_of(client, "/admin/households?status=moved_out")
    first, second = page_of(client, "/admin/households"), page_of(client, "/admin/households?page=2")
    assert "共 37 条" in first and "住户34" in second and "住户34" not in first
    assert "不是数字" in page_of(client, "/admin/households?min_balance=abc")


def test_list_masks_id_numbers(app, client, cadre_site, make_household):
    site, _ = cadre_site
    make_household(site, head_name="王明", head_id_number=VALID_ID)
    db.session.commit()
    html = page_of(client, "/admin/households")
    assert "5101**********123X" in html and VALID_ID not in html


def test_detail_shows_members_tags_card_balance_and_paged_ledger(app, client, cadre_site, make_household):
    from services import ledger

    site, user = cadre_site
    home = make_household(site, head_name="张喆", balance=50)
    for n in range(40):
        ledger.post(home, 1, "adjustment", None, None, f"第{n}笔", f"t:{home.id}:{n}")
    card = card_actions.issue_for_print(user, [home.id])[0].card
    db.session.commit()
    html = page_of(client, f"/admin/households/{home.id}")
    assert "张喆" in html and "90" in html and card.short_code in html and "正常" in html
    assert "第39笔" in html and "第0笔" not in html  # newest first, 30 per page
    assert "第0笔" in page_of(client, f"/admin/households/{home.id}?page=2")


def test_create_validates_and_warns_on_duplicates(app, client, cadre_site, make_household):
    site, _ = cadre_site
    make_household(site, head_name="老住户", head_id_number=VALID_ID, phone="13800001111")
    db.session.commit()
    form = {"site_id": site.id, "head_name": "新住户", "head_id_number": VALID_ID, "phone": "12345",
            "members-0-name": "新成员", "members-0-relation": "配偶", "members-0-is_current": "y"}
    html = client.post("/admin/households/new", data=form).get_data(as_text=True)
    assert "电话号码“12345”格式不对" in html
    form["phone"] = "13800001111"
    html = client.post("/admin/households/new", data=form).get_data(as_text=True)
    assert "可能重复登记" in html and "身份证号与" in html and "电话与" in html
    assert db.session.execute(db.select(db.func.count(Household.id))).scalar_one() == 1
    form["confirm_duplicates"] = "y"
    resp = client.post("/admin/households/new", data=form)
    assert resp.status_code == 302
    home = db.session.execute(db.select(Household).where(Household.head_name == "新住户")).scalar_one()
    assert home.head_initials == "xzh"
    assert [(m.name, m.relation) for m in home.members] == [("新住户", "户主"), ("新成员", "配偶")]
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "household.create")).scalar_one()


def test_create_refuses_a_site_outside_scope(app, client, cadre_site, make_site):
    other = make_site()
    db.session.commit()
    resp = client.post("/admin/households/new", data={"site_id": other.id, "head_name": "越权"})
    assert resp.status_code == 200 and "Not a valid choice" not in resp.get_data(as_text=True)
    assert db.session.execute(db.select(Household)).first() is None


def test_edit_members_tags_and_audit(app, client, cadre_site, make_household):
    site, _ = cadre_site
    home = make_household(site, head_name="张三")
    db.session.commit()
    html = page_of(client, f"/admin/households/{home.id}/edit")
    assert "张三" in html
    resp = client.post(f"/admin/households/{home.id}/edit", data={
        "site_id": site.id, "head_name": "张三丰", "phone": "13900001111", "tags": ["hardship", "party_centre"],
        "members-0-name": "张无忌", "members-0-relation": "孙子女", "members-0-is_current": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    home = db.session.get(Household, home.id)
    assert home.head_name == "张三丰" and home.head_initials == "zsf" and home.tags == ["hardship", "party_centre"]
    assert [m.name for m in home.members] == ["张三丰", "张无忌"]
    log = db.session.execute(db.select(AuditLog).where(AuditLog.action == "household.update")).scalar_one()
    assert "张三" in log.before and "张三丰" in log.after


def test_move_out_revokes_card_by_county_policy(app, client, cadre_site, make_household):
    """迁出 goes through services.households.life_events (default policy: redeem the points first)."""
    from services import database
    from services.households.cards import CardUnusable, card_statement

    site, user = cadre_site
    rich, home = make_household(site, balance=30), make_household(site)
    token = card_actions.issue_for_print(user, [home.id])[0].token
    db.session.commit()
    assert client.post(f"/admin/households/{home.id}/move-out", data={"reason": ""}).status_code == 400
    refused = client.post(f"/admin/households/{rich.id}/move-out", data={"reason": "投亲"})
    assert refused.status_code == 400 and "还有 30 分" in refused.get_data(as_text=True)
    assert client.post(f"/admin/households/{home.id}/move-out", data={"reason": "投亲"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Household, home.id).status == "moved_out"
    assert db.session.get(Household, rich.id).status == "active"
    assert db.session.execute(db.select(Card.status).where(Card.household_id == home.id)).scalar_one() == "revoked"
    with pytest.raises(CardUnusable):
        database.run(card_statement(token))


def test_read_only_roles_cannot_edit(app, client, make_site, make_household, make_user, login):
    site = make_site()
    home = make_household(site)
    login(make_user("auditor", sites=[site]))
    assert client.get(f"/admin/households/{home.id}").status_code == 200
    assert client.get(f"/admin/households/{home.id}/edit").status_code == 403
    assert client.post(f"/admin/households/{home.id}/move-out", data={"reason": "x"}).status_code == 403


@pytest.mark.parametrize("name, fonts", [("欧阳𬌗", [True, False]), ("赵建国", [True])])
def test_passbook_pdf(app, client, cadre_site, make_household, tmp_path, cjk_fonts_added, name, fonts):
    """A rare name character prints too: the passbook is made again with the full font."""
    site, _ = cadre_site
    home = make_household(site, head_name=name, balance=80)
    db.session.commit()
    resp = client.get(f"/admin/households/{home.id}/passbook.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    (tmp_path / "p.pdf").write_bytes(resp.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "p.pdf"), "-"], capture_output=True, text=True).stdout
    assert "家庭积分存折" in text and name in text and "测试期初" in text and "+80" in text
    assert cjk_fonts_added == fonts


def test_shopkeeper_sees_masked_phones_and_no_hardship_tags(app, client, login, make_site, make_household, make_user):
    from models import HouseholdTag

    site = make_site()
    home = make_household(site, head_name="王建国", phone="13812345678")
    home.tag_rows.extend([HouseholdTag(tag="low_income"), HouseholdTag(tag="party_centre")])
    shop, cadre = make_user("shopkeeper", sites=[site]), make_user("cadre", sites=[site])
    login(shop)
    for url in ("/admin/households", f"/admin/households/{home.id}", "/admin/households?tag=low_income"):
        html = client.get(url).get_data(as_text=True)
        assert "138****5678" in html and "13812345678" not in html, url
        assert "低收入户" not in html and "党员中心户" in html, url
    client.post("/admin/logout")
    login(cadre)
    html = client.get(f"/admin/households/{home.id}").get_data(as_text=True)
    assert "13812345678" in html and "低收入户" in html
