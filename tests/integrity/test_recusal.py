"""Recusal (回避): every path that acts for a household refuses the user's own and declared relatives'
households, names the rule, writes nothing, and is audited."""
from functools import partial

import pytest
from sqlalchemy import func, select

from extensions import db
from models import ActivitySignIn, AuditLog, LedgerEntry, Redemption, RuleEvent
from models.rules import Rule
from services import ledger
from services.earning import activities, approvals, evaluations, rules
from services.errors import ValidationFailed
from services.honors import lists as honors
from services.households import life_events
from services.integrity import recusal
from services.integrity.recusal import RecusalRefused
from services.supermarket import redemption
from tests.supermarket.kiosk_helpers import add_goods, card_for, new_request_id, paired_device


@pytest.fixture
def world(app, make_site, make_household, make_user):
    rules.seed_catalog()
    evaluations.ensure_defaults()
    site = make_site("幸福家园安置点")
    own = make_household(site, head_name="李䶮", balance=200)
    relative = make_household(site, head_name="王𠮷祥", balance=200)
    other = make_household(site, head_name="赵海", balance=200)
    committee = make_user("committee", sites=[site])
    cadre = make_user("cadre", sites=[site])
    cadre2 = make_user("cadre", sites=[site])
    shop = make_user("shopkeeper", sites=[site])
    admin = make_user("admin")
    for user in (committee, cadre, shop, admin):
        user.household_id = own.id
        recusal.declare(admin, user.id, relative.id, "兄弟")
    db.session.flush()
    return {"site": site, "own": own, "relative": relative, "other": other, "committee": committee,
            "cadre": cadre, "cadre2": cadre2, "shop": shop, "admin": admin}


def rule_named(name) -> Rule:
    return db.session.execute(select(Rule).where(Rule.name == name, Rule.is_current.is_(True))).scalar_one()


def refusals(action=None) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.action == "recusal.refused")
    rows = db.session.execute(query).scalars().all()
    return [r for r in rows if action is None or f'"action": "{action}"' in (r.after or "")]


def assert_refused(call, action, *homes):
    before = len(refusals(action))
    with pytest.raises(RecusalRefused, match="回避:您不能为本人或亲属户") as info:
        call()
    for home in homes:
        assert home.head_name in info.value.message
    assert len(refusals(action)) == before + 1
    return info.value


@pytest.mark.parametrize("whose", ["own", "relative"])
def test_single_rule_entry(world, whose):
    rule = rule_named("志愿服务")
    assert_refused(lambda: rules.record(world["committee"], rule.id, [world[whose].id]), "rule.record", world[whose])
    assert rules.record(world["committee"], rule.id, [world["other"].id])


def test_bulk_entry_refuses_whole_batch_naming_households(world):
    rule = rule_named("志愿服务")
    ids = [world["other"].id, world["relative"].id, world["own"].id]
    assert_refused(lambda: rules.record(world["committee"], rule.id, ids), "rule.bulk", world["relative"], world["own"])
    assert db.session.execute(select(func.count(RuleEvent.id))).scalar() == 0


def test_rule_reversal(world):
    rule = rule_named("志愿服务")
    event = rules.record(world["cadre2"], rule.id, [world["relative"].id])[0]
    assert_refused(lambda: rules.reverse_event(world["cadre"], event, "录错了"), "rule.reverse", world["relative"])


def test_approval_maker_checker(world):
    deduction = rule_named("乱搭乱建、占用消防通道")
    event = rules.record(world["cadre2"], deduction.id, [world["relative"].id], note="占用通道",
                         evidence_file="e.jpg")[0]
    assert_refused(lambda: approvals.decide(world["cadre"], "rule", event.id, True), "approval", world["relative"])
    assert event.status == "pending"


def _round(world):
    rnd = evaluations.create_round(world["committee"], {
        "site_id": world["site"].id, "title": "2026年第4季度", "period_start": "2026-10-01",
        "period_end": "2026-12-31", "notice_days": 7, "contact": "村委会"})
    evaluations.start_scoring(world["committee"], rnd)
    return rnd


def test_evaluation_grid_scoring_and_nomination(world):
    rnd = _round(world)
    dim, award = rnd.config["dimensions"][0], rnd.config["awards"][0]
    for whose in ("own", "relative"):
        home = world[whose]
        assert_refused(partial(evaluations.set_score, world["committee"], rnd, home.id, dim["id"], 5),
                       "evaluation.grid", home)
        assert_refused(partial(evaluations.set_nomination, world["committee"], rnd, home.id, award["id"], True),
                       "evaluation.grid", home)
    evaluations.set_score(world["committee"], rnd, world["other"].id, dim["id"], 5)


def test_objections(world, make_user):
    rnd = _round(world)
    scorer = make_user("committee", sites=[world["site"]])
    for home in (world["own"], world["relative"], world["other"]):
        for d in rnd.config["dimensions"]:
            evaluations.set_score(scorer, rnd, home.id, d["id"], 5)
    evaluations.open_notice(world["cadre2"], rnd)
    line = next(line for line in evaluations.lines_of(rnd) if line.household_id == world["relative"].id)
    assert_refused(lambda: evaluations.record_objection(world["committee"], rnd, line.id, "分数偏高"),
                   "evaluation.objection", world["relative"])
    objection = evaluations.record_objection(scorer, rnd, line.id, "分数偏高")
    assert_refused(lambda: evaluations.resolve_objection(world["cadre"], objection, False, "不成立"),
                   "evaluation.objection", world["relative"])


def _activity(world):
    return activities.create(world["committee"], {
        "site_id": world["site"].id, "title": "小区集中清扫", "starts_at": "2026-11-20T09:00", "place": "3栋前",
        "points_mode": "participant", "points": 5, "capacity": "", "organiser": "赵评议"})


def test_activity_sign_in_scan_and_manual(world):
    act = _activity(world)
    token = card_for(world["relative"])
    assert_refused(lambda: activities.sign_in_card(world["committee"], act, token), "activity.signin",
                   world["relative"])
    assert_refused(lambda: activities.sign_in_manual(world["committee"], act, world["own"].id), "activity.signin",
                   world["own"])
    assert db.session.execute(select(func.count(ActivitySignIn.id))).scalar() == 0


def _redemption(world, home):
    from models import Card
    from services.supermarket import devices as kiosk_devices

    goods = add_goods(world["site"], "肥皂", price=5, stock=20, unit="块")
    card_for(home)
    device, _ = paired_device(world["site"])
    card = db.session.execute(select(Card).where(Card.household_id == home.id)).scalar_one()
    session, _ = kiosk_devices.start_session(device, card)
    receipt = redemption.redeem(device, redemption.parse_request(session["id"], new_request_id(),
                                                                 [{"goods_id": goods.id, "qty": 2}]))
    return db.session.get(Redemption, receipt.id)


def test_redemption_void(world):
    r = _redemption(world, world["relative"])
    assert_refused(lambda: redemption.void(r.id, world["shop"], "扫错了"), "redemption.void", world["relative"])
    assert r.status == "done"


def test_redemption_void_view_refusal_is_audited_after_rollback(world, client, login):
    r = _redemption(world, world["own"])
    rid = r.id
    login(world["shop"])
    response = client.post(f"/admin/redemptions/{rid}/void", data={"reason": "扫错了"}, follow_redirects=True)
    assert "回避" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(type(r), rid).status == "done"
    assert len(refusals("redemption.void")) == 1


def test_life_events(world):
    assert_refused(lambda: life_events.merge(world["other"], world["relative"], world["cadre"], note="合户"),
                   "life_event", world["relative"])
    assert_refused(lambda: life_events.add_member(world["own"], world["cadre"], "李小䶮", "子女"), "life_event",
                   world["own"])


def test_honor_nomination(world):
    from datetime import date

    lst = honors.create_list(world["cadre"], {"site_id": world["site"].id, "title": "2026年度光荣榜",
                                              "period_start": "2026-01-01", "period_end": "2026-12-31",
                                              "extra_sections": "文明榜样户"})
    section = lst.sections[0]
    assert_refused(lambda: honors.add_entry(world["cadre"], lst, section.id, world["relative"].id),
                   "honor.nominate", world["relative"])
    assert date.today()


def test_adjustment(world):
    from services.integrity import fund

    assert_refused(lambda: fund.request_adjustment(world["admin"], world["own"].id, 10, "补录"), "adjustment",
                   world["own"])


def test_declarations_only_by_self_or_admin(world, make_user):
    stranger = make_user("committee", sites=[world["site"]])
    with pytest.raises(ValidationFailed):
        recusal.declare(stranger, world["committee"].id, world["other"].id)
    row = recusal.declare(world["committee"], world["committee"].id, world["other"].id, "表亲")
    assert world["other"].id in recusal.recused_household_ids(world["committee"])
    with pytest.raises(ValidationFailed):
        recusal.withdraw(world["committee"], row.id)
    recusal.withdraw(world["admin"], row.id)
    assert world["other"].id not in recusal.recused_household_ids(world["committee"])


def test_kiosk_device_and_system_are_not_recused(world):
    recusal.ensure_not_recused(None, world["own"].id, "rule.record")
    assert ledger.post(world["own"], 5, "adjustment", None, None, "系统", "test:sys")
    assert db.session.execute(select(func.count(LedgerEntry.id))).scalar() >= 1


def test_bulk_entry_page_refuses_and_audits(world, client, login):
    rule = rule_named("志愿服务")
    login(world["committee"])
    response = client.post("/admin/rules/record", data={
        "site_id": world["site"].id, "rule_id": rule.id, "quantity": "1", "note": "清扫",
        "household_id": [str(world["other"].id), str(world["relative"].id)]}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 403 and "回避" in text and "王𠮷祥" in text
    db.session.rollback()
    assert db.session.execute(select(func.count(RuleEvent.id))).scalar() == 0
    assert len(refusals("rule.bulk")) == 1


def test_activity_scan_endpoint_refuses_with_json(world, client, login):
    act = _activity(world)
    token = card_for(world["own"])
    db.session.commit()
    login(world["committee"])
    response = client.post(f"/admin/activities/{act.id}/signin/scan", json={"token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 403 and "回避" in response.get_json()["message"]
    db.session.rollback()
    assert len(refusals("activity.signin")) == 1
