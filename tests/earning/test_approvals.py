"""Maker-checker: deductions and big entries wait for a different user with the cadre role."""
import pytest
from sqlalchemy import select

from extensions import db
from models import LedgerEntry, Rule
from services import ledger
from services.earning import activities, approvals, rules
from services.earning.approvals import AlreadyDecided
from services.errors import Forbidden, ValidationFailed
from services.households import cards


@pytest.fixture
def world(app, make_site, make_household, make_user):
    rules.seed_catalog()
    site = make_site()
    home = make_household(site, head_name="张三丰")
    cadre = make_user("cadre", sites=[site])
    cadre2 = make_user("cadre", sites=[site])
    committee = make_user("committee", sites=[site])
    return {"site": site, "home": home, "cadre": cadre, "cadre2": cadre2, "committee": committee}


def rule(name):
    return db.session.execute(select(Rule).where(Rule.name == name, Rule.is_current.is_(True))).scalar_one()


def deduction(world, recorder=None):
    return rules.record(recorder or world["committee"], rule("乱搭乱建、占用消防通道").id, [world["home"].id],
                        note="占用消防通道,劝告后未改", evidence_file="e.jpg")[0]


def test_recorder_cannot_approve_own_entry(world):
    event = deduction(world, recorder=world["cadre"])
    with pytest.raises(Forbidden, match="不能审批自己"):
        approvals.decide(world["cadre"], "rule", event.id, True)
    assert event.status == "pending"
    approvals.decide(world["cadre2"], "rule", event.id, True)
    assert event.status == "approved" and event.approver_id == world["cadre2"].id


def test_only_cadre_role_approves(world, make_user):
    event = deduction(world)
    with pytest.raises(Forbidden, match="干部"):
        approvals.decide(world["committee"], "rule", event.id, True)
    admin = make_user("admin")
    with pytest.raises(Forbidden):
        approvals.decide(admin, "rule", event.id, True)


def test_out_of_scope_cadre_refused(world, make_user, make_site):
    outsider = make_user("cadre", sites=[make_site()])
    event = deduction(world)
    with pytest.raises(Forbidden):
        approvals.decide(outsider, "rule", event.id, True)


def test_recusal_for_own_household(world):
    world["cadre"].household_id = world["home"].id
    event = deduction(world)
    with pytest.raises(Forbidden, match="回避"):
        approvals.decide(world["cadre"], "rule", event.id, True)


def test_deduction_with_nothing_to_take_has_no_ledger_entry(world):
    event = deduction(world)
    approvals.decide(world["cadre"], "rule", event.id, True)
    assert (event.nominal_points, event.applied_points, event.ledger_entry_id) == (-10, 0, None)
    assert db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one() == 0


def test_deduction_clamps_at_balance(world):
    ledger.post(world["home"], 4, "adjustment", None, None, "期初", "t:4")
    event = deduction(world)
    approvals.decide(world["cadre"], "rule", event.id, True)
    entry = db.session.get(LedgerEntry, event.ledger_entry_id)
    assert (event.applied_points, entry.points, entry.requested_points, entry.kind) == (-4, -4, -10, "rule_deduction")
    assert entry.idempotency_key == f"rule:{event.id}"
    assert world["home"].balance == 0


def test_reject_needs_reason_and_posts_nothing(world):
    event = deduction(world)
    with pytest.raises(ValidationFailed, match="理由"):
        approvals.decide(world["cadre"], "rule", event.id, False)
    approvals.decide(world["cadre"], "rule", event.id, False, "证据不足")
    assert event.status == "rejected" and event.decision_note == "证据不足"
    with pytest.raises(AlreadyDecided):
        approvals.decide(world["cadre2"], "rule", event.id, True)


def test_award_above_threshold_is_pending_and_counted(world):
    event = rules.record(world["committee"], rule("主动化解邻里纠纷").id, [world["home"].id], quantity=6)[0]
    assert event.status == "pending" and event.nominal_points == 60
    small = rules.record(world["committee"], rule("参加集中清扫").id, [world["home"].id])[0]
    assert small.status == "approved"
    deduction(world)
    assert approvals.pending_counts(world["cadre"]) == {"rule": 2, "activity": 0, "total": 2}
    approvals.decide(world["cadre"], "rule", event.id, True)
    assert world["home"].balance == 63


def test_activity_points_above_threshold_need_a_different_cadre(world, app):
    app.config["APPROVAL_THRESHOLD"] = 2
    _card, token = cards.issue_card(world["home"])
    act = activities.create(world["cadre"], {"site_id": world["site"].id, "title": "巡逻", "starts_at": "2026-11-20T09:00",
                                             "points": 5})
    activities.sign_in_card(world["cadre"], act, token)
    activities.close(world["cadre"], act)
    signin = act.signins[0]
    assert signin.status == "pending"
    assert approvals.pending_counts(world["cadre2"])["activity"] == 1
    with pytest.raises(Forbidden, match="不能审批自己"):
        approvals.decide(world["cadre"], "activity", signin.id, True)
    approvals.decide(world["cadre2"], "activity", signin.id, True)
    entry = db.session.get(LedgerEntry, signin.ledger_entry_id)
    assert entry.idempotency_key == f"activity:{act.id}:{world['home'].id}" and entry.points == 5


def test_queue_page_and_decide_view(world, client, login):
    event = deduction(world)
    login(world["cadre"])
    page = client.get("/admin/approvals")
    assert page.status_code == 200 and "占用消防通道" in page.get_data(as_text=True)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "待审批" in dashboard
    resp = client.post(f"/admin/approvals/rule/{event.id}", data={"decision": "approve"}, follow_redirects=True)
    assert "已审批通过" in resp.get_data(as_text=True)


def test_committee_cannot_open_queue(world, client, login):
    login(world["committee"])
    assert client.get("/admin/approvals").status_code == 403


def test_refused_rejection_shows_error_beside_the_row(world, client, login):
    event = deduction(world)
    login(world["cadre"])
    resp = client.post(f"/admin/approvals/rule/{event.id}", data={"decision": "reject", "note": "  "})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "驳回必须写明理由" in text
    db.session.expire_all()
    assert event.status == "pending"
    long_note = "长" * 501
    resp = client.post(f"/admin/approvals/rule/{event.id}", data={"decision": "reject", "note": long_note})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "field-error" in text and "审批意见不能超过 500 个字" in text
    assert f'value="{long_note}"' in text
