"""Volunteer activities: sign-in (forged, revoked, duplicate, other-site cards), closing posts once."""
from datetime import datetime

import pytest
from sqlalchemy import select

from extensions import db
from models import ActivitySignIn, LedgerEntry
from services.earning import activities
from services.earning.activities import SignInRefused
from services.errors import Forbidden, ValidationFailed
from services.households import cards
from services.households.cards import CardUnusable


@pytest.fixture
def world(app, make_site, make_household, make_user):
    site = make_site()
    homes = [make_household(site, head_name=n) for n in ("张三丰", "李四", "王五")]
    tokens = [cards.issue_card(h)[1] for h in homes]
    committee = make_user("committee", sites=[site])
    activity = activities.create(committee, {
        "site_id": site.id, "title": "小区集中清扫", "starts_at": "2026-11-20T09:00", "place": "3栋前",
        "points_mode": "participant", "points": 5, "capacity": "", "organiser": "赵评议"})
    return {"site": site, "homes": homes, "tokens": tokens, "committee": committee, "activity": activity}


def test_card_sign_in_and_close_posts_once(world):
    act, who = world["activity"], world["committee"]
    for token in world["tokens"]:
        activities.sign_in_card(who, act, token)
    result = activities.close(who, act)
    assert result == {"participants": 3, "posted": 3, "pending": 0, "capped": 0, "points": 15}
    entries = db.session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars().all()
    assert [e.idempotency_key for e in entries] == [f"activity:{act.id}:{h.id}" for h in world["homes"]]
    assert {e.kind for e in entries} == {"activity"}
    assert {e.effective_date.isoformat() for e in entries} == {"2026-11-20"}
    again = activities.close(who, act)  # double submit: same result, nothing new
    assert again == result
    assert db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one() == 3


def test_duplicate_sign_in_is_refused(world):
    act = world["activity"]
    activities.sign_in_card(world["committee"], act, world["tokens"][0])
    with pytest.raises(SignInRefused, match="已经签到过了"):
        activities.sign_in_card(world["committee"], act, world["tokens"][0])
    with pytest.raises(SignInRefused, match="已经签到过了"):
        activities.sign_in_manual(world["committee"], act, world["homes"][0].id)


def test_forged_and_revoked_cards_are_refused(world):
    act = world["activity"]
    forged = "A" * 26
    with pytest.raises(CardUnusable, match="无效"):
        activities.sign_in_card(world["committee"], act, forged)
    with pytest.raises(CardUnusable, match="没有认出这张卡"):
        activities.sign_in_card(world["committee"], act, "'; DROP TABLE card; --")
    old_token = world["tokens"][1]
    cards.issue_card(world["homes"][1])  # reissue revokes the old card
    with pytest.raises(CardUnusable, match="作废"):
        activities.sign_in_card(world["committee"], act, old_token)
    assert db.session.execute(select(db.func.count(ActivitySignIn.id))).scalar_one() == 0


def test_other_site_household_refused_unless_allowed(world, make_site, make_household, make_user):
    other_site = make_site()
    stranger = make_household(other_site, head_name="赵六")
    _card, token = cards.issue_card(stranger)
    act = world["activity"]
    with pytest.raises(SignInRefused, match="不是本安置点"):
        activities.sign_in_card(world["committee"], act, token)
    act.allow_other_sites = True
    assert activities.sign_in_card(world["committee"], act, token).household_id == stranger.id


def test_capacity_and_closed_activity(world):
    act = world["activity"]
    act.capacity = 1
    activities.sign_in_card(world["committee"], act, world["tokens"][0])
    with pytest.raises(SignInRefused, match="人数上限"):
        activities.sign_in_card(world["committee"], act, world["tokens"][1])
    activities.close(world["committee"], act)
    with pytest.raises(SignInRefused, match="已结束"):
        activities.sign_in_card(world["committee"], act, world["tokens"][2])
    with pytest.raises(ValidationFailed):
        activities.cancel(world["committee"], act)


def test_cancelled_activity_posts_nothing(world):
    act = world["activity"]
    activities.sign_in_card(world["committee"], act, world["tokens"][0])
    activities.cancel(world["committee"], act)
    with pytest.raises(ValidationFailed):
        activities.close(world["committee"], act)
    assert db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one() == 0


def test_out_of_scope_staff_cannot_sign_in(world, make_user, make_site):
    outsider = make_user("committee", sites=[make_site()])
    with pytest.raises(Forbidden):
        activities.sign_in_card(outsider, world["activity"], world["tokens"][0])


def test_monthly_cap_clamps_activity_points(world, app):
    app.config["MONTHLY_CAP"] = 12
    act, who = world["activity"], world["committee"]
    act.points_mode, act.hours, act.points = "hour", 3, 5  # 15 points each, above the cap
    activities.sign_in_card(who, act, world["tokens"][0])
    activities.close(who, act)
    signin = act.signins[0]
    assert (signin.nominal_points, signin.capped_points, signin.status) == (15, 12, "approved")
    assert "本月已达上限 12 分" in signin.note
    assert world["homes"][0].balance == 12


def test_points_above_threshold_wait_for_approval(world, app):
    app.config["APPROVAL_THRESHOLD"] = 4
    act, who = world["activity"], world["committee"]
    activities.sign_in_card(who, act, world["tokens"][0])
    result = activities.close(who, act)
    assert result["pending"] == 1 and result["posted"] == 0
    assert world["homes"][0].balance == 0


def test_bad_activity_input(world):
    with pytest.raises(ValidationFailed):
        activities.create(world["committee"], {"site_id": world["site"].id, "title": "", "starts_at": "2026-11-20T09:00",
                                               "points": 3})
    with pytest.raises(ValidationFailed):
        activities.create(world["committee"], {"site_id": world["site"].id, "title": "x", "starts_at": "不是时间",
                                               "points": 3})
    with pytest.raises(ValidationFailed):
        activities.create(world["committee"], {"site_id": world["site"].id, "title": "x", "starts_at": "2026-11-20T09:00",
                                               "points": 0})


def test_event_date_is_local(world):
    act = activities.create(world["committee"], {"site_id": world["site"].id, "title": "早间巡逻",
                                                 "starts_at": "2026-11-21T06:30", "points": 3})
    assert act.event_date.isoformat() == "2026-11-21"
    assert act.starts_at == datetime(2026, 11, 20, 22, 30)  # naive UTC


def test_sign_in_endpoint_json(world, client, login):
    login(world["committee"])
    act = world["activity"]
    url = f"/admin/activities/{act.id}/signin/scan"
    ok = client.post(url, json={"token": world["tokens"][0]}, headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.json["count"] == 1 and ok.json["signin"]["name"] == "张三丰"
    dup = client.post(url, json={"token": world["tokens"][0]}, headers={"Accept": "application/json"})
    assert dup.status_code == 409 and "已经签到过了" in dup.json["message"]
    forged = client.post(url, json={"token": "B" * 26}, headers={"Accept": "application/json"})
    assert forged.status_code == 403 and "无效" in forged.json["message"]
    manual = client.post(url, json={"household_id": world["homes"][2].id}, headers={"Accept": "application/json"})
    assert manual.status_code == 200
    page = client.get(f"/admin/activities/{act.id}/signin")
    assert "王五" in page.get_data(as_text=True)
    closed = client.post(f"/admin/activities/{act.id}/close", follow_redirects=True)
    assert "2 户已入账" in closed.get_data(as_text=True)
