"""积分细则 pages: catalog, editing (new version), recording for many households with a photo, picker JSON."""
import html
import io
import json
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Rule, RuleEvent
from services.earning import rules
from services.households import cards

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(app, make_site, make_household, make_user):
    rules.seed_catalog()
    site = make_site()
    homes = [make_household(site, head_name=n, door_no=f"{i}01") for i, n in enumerate(("张三丰", "李四", "王五"))]
    committee = make_user("committee", sites=[site])
    return {"site": site, "homes": homes, "committee": committee}


def rule(name):
    return db.session.execute(select(Rule).where(Rule.name == name, Rule.is_current.is_(True))).scalar_one()


def test_catalog_page_lists_rules(world, client, login):
    login(world["committee"])
    page = client.get("/admin/rules").get_data(as_text=True)
    assert "月度入户检查达标" in page and "15 分/月" in page


def test_record_many_households_with_photo(world, client, login, app):
    login(world["committee"])
    litter = rule("乱扔垃圾/楼道堆物(经提醒)")
    resp = client.post("/admin/rules/record", data={
        "site_id": world["site"].id, "rule_id": litter.id, "quantity": "1", "note": "楼道堆物",
        "household_id": [str(h.id) for h in world["homes"][:2]],
        "evidence": (io.BytesIO(PNG), "photo.png")}, content_type="multipart/form-data", follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "已记录 2 户" in text and "等待干部审批" in text
    events = db.session.execute(select(RuleEvent)).scalars().all()
    assert len(events) == 2 and events[0].evidence_file == events[1].evidence_file
    photo = client.get(f"/admin/rules/events/{events[0].id}/evidence")
    assert photo.status_code == 200 and photo.data == PNG


def test_record_refuses_non_image_and_cap_with_message(world, client, login):
    login(world["committee"])
    litter = rule("乱扔垃圾/楼道堆物(经提醒)")
    resp = client.post("/admin/rules/record", data={
        "site_id": world["site"].id, "rule_id": litter.id, "note": "x", "household_id": [str(world["homes"][0].id)],
        "evidence": (io.BytesIO(b"MZ-not-an-image"), "virus.exe")}, content_type="multipart/form-data")
    assert "JPG 或 PNG" in resp.get_data(as_text=True)
    hygiene = rule("月度入户检查达标")
    data = {"site_id": world["site"].id, "rule_id": hygiene.id, "household_id": [str(world["homes"][0].id)]}
    client.post("/admin/rules/record", data=data)
    again = client.post("/admin/rules/record", data=data).get_data(as_text=True)
    assert "本月已达上限 10 分" in again
    assert db.session.execute(select(db.func.count(RuleEvent.id))).scalar_one() == 1


def test_admin_edit_creates_version(world, client, login, make_user):
    admin = make_user("admin")
    login(admin)
    old = rule("参加集中清扫")
    resp = client.post(f"/admin/rules/{old.id}/edit", data={"name": "参加集中清扫", "category": "环境卫生",
                                                            "points": "4", "unit": "time", "cap_period": "month"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [r.version for r in rules.versions_of(old.series)] == [2, 1]


def test_committee_cannot_edit_catalog(world, client, login):
    login(world["committee"])
    assert client.get("/admin/rules/new").status_code == 403


def test_picker_search_and_scan(world, client, login, make_site, make_household):
    _card, token = cards.issue_card(world["homes"][1])
    outsider = make_household(make_site(), head_name="李外")
    _c2, outsider_token = cards.issue_card(outsider)
    login(world["committee"])
    found = client.get(f"/admin/earning/households?site_id={world['site'].id}&q=李").json
    assert [h["name"] for h in found] == ["李四"]
    scanned = client.post("/admin/earning/scan", json={"token": token}).json
    assert scanned["name"] == "李四"
    refused = client.post("/admin/earning/scan", json={"token": outsider_token}, headers={"Accept": "application/json"})
    assert refused.status_code == 403


@pytest.mark.parametrize("role, status", [("admin", 200), ("cadre", 200), ("committee", 200)])
def test_earning_pages_render(world, client, login, make_user, role, status):
    user = make_user(role, sites=[world["site"]])
    login(user)
    pages = ["/admin/rules", "/admin/rules/events", "/admin/evaluations", "/admin/activities",
             "/admin/rules/record", "/admin/evaluations/new", "/admin/activities/new"]
    pages += ["/admin/evaluations/config", "/admin/rules/new"] if role == "admin" else []
    pages += ["/admin/approvals"] if role in ("admin", "cadre") else []
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == status, url
    if role == "admin":
        assert "遵纪守法" in client.get("/admin/evaluations/config").get_data(as_text=True)
        resp = client.post("/admin/evaluations/config", data={"what": "award", "name": "十星级文明户",
                                                               "bonus_points": "50", "active": "1"},
                           follow_redirects=True)
        assert "十星级文明户" in resp.get_data(as_text=True)


def test_activity_create_form(world, client, login):
    login(world["committee"])
    resp = client.post("/admin/activities/new", data={
        "title": "敬老院义务劳动", "site_id": world["site"].id, "starts_at": "2026-11-22T08:30", "place": "敬老院",
        "points_mode": "hour", "points": "3", "hours": "2", "capacity": "20", "organiser": "赵评议"},
        follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "活动已创建" in text and "每户 6 分" in text
    bad = client.post("/admin/activities/new", data={"title": "", "site_id": world["site"].id,
                                                     "starts_at": "2026-11-22T08:30", "points": "3"})
    assert bad.status_code == 400 and "请填写活动名称" in bad.get_data(as_text=True)
    assert 'value="3"' in bad.get_data(as_text=True)  # the typed points are kept


def test_refused_record_keeps_values_and_writes_nothing(world, client, login):
    login(world["committee"])
    litter = rule("乱扔垃圾/楼道堆物(经提醒)")
    resp = client.post("/admin/rules/record", data={
        "site_id": world["site"].id, "rule_id": litter.id, "quantity": "两次", "note": "楼道堆物",
        "household_id": [str(world["homes"][1].id)]})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "field-error" in text and "数量必须是整数" in text and 'value="两次"' in text and "楼道堆物" in text
    picked = json.loads(html.unescape(re.search(r'data-picked="([^"]*)"', text).group(1)))
    assert [h["name"] for h in picked] == ["李四"]  # the picked household comes back to the picker
    bad_home = client.post("/admin/rules/record", data={"site_id": world["site"].id, "rule_id": litter.id,
                                                        "note": "x", "household_id": ["1x"]})
    assert bad_home.status_code == 400 and "住户选择有误" in bad_home.get_data(as_text=True)
    assert db.session.execute(select(db.func.count(RuleEvent.id))).scalar_one() == 0


def test_refused_rule_edit_shows_error_beside_field(world, client, login, make_user):
    login(make_user("admin"))
    old = rule("参加集中清扫")
    resp = client.post(f"/admin/rules/{old.id}/edit", data={"name": "参加集中清扫", "category": "环境卫生",
                                                            "points": "4.5", "unit": "time", "cap_period": "month"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "分值必须是整数" in text and 'value="4.5"' in text
    db.session.expire_all()
    assert [r.version for r in rules.versions_of(old.series)] == [1]
