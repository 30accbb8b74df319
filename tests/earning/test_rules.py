"""积分细则: versioned catalog, recording for many households, caps (docs/decisions.md#caps), deductions."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import LedgerEntry, Rule, RuleEvent
from models.clock import local_today
from services.earning import rules
from services.errors import Forbidden, ValidationFailed


@pytest.fixture
def world(app, make_site, make_household, make_user):
    rules.seed_catalog()
    site = make_site()
    homes = [make_household(site, head_name=f"住户{i}") for i in range(3)]
    committee = make_user("committee", sites=[site])
    return {"site": site, "homes": homes, "committee": committee}


def rule_named(name) -> Rule:
    return db.session.execute(select(Rule).where(Rule.name == name, Rule.is_current.is_(True))).scalar_one()


def test_catalog_is_seeded_once_from_domain(world):
    assert len(rules.current_rules()) == len(rules.STARTING_CATALOG)
    assert rules.seed_catalog() == 0
    volunteer = rule_named("志愿服务")
    assert (volunteer.points, volunteer.unit, volunteer.cap_points, volunteer.cap_period) == (3, "hour", 15, "month")
    assert "上限15/月" in volunteer.label


def test_recording_many_households_posts_small_awards_at_once(world):
    rule = rule_named("月度入户检查达标")
    events = rules.record(world["committee"], rule.id, [h.id for h in world["homes"]], note="10月检查")
    assert [e.status for e in events] == ["approved"] * 3
    assert {e.applied_points for e in events} == {10}
    keys = {e.idempotency_key for e in db.session.execute(select(LedgerEntry)).scalars()}
    assert keys == {f"rule:{e.id}" for e in events}
    assert all(h.balance == 10 for h in world["homes"])


def test_editing_a_rule_makes_a_new_version_and_old_events_keep_theirs(world, make_user):
    admin = make_user("admin")
    rule = rule_named("参加集中清扫")
    event = rules.record(world["committee"], rule.id, [world["homes"][0].id])[0]
    new = rules.save_rule(admin, {"name": "参加集中清扫", "category": "环境卫生", "points": 4, "unit": "time"}, rule)
    assert (new.series, new.version, new.is_current) == (rule.series, 2, True)
    assert rule.is_current is False
    assert event.rule_id == rule.id and event.rule.points == 3
    with pytest.raises(ValidationFailed, match="已更新"):
        rules.record(world["committee"], rule.id, [world["homes"][0].id])
    assert [r.version for r in rules.versions_of(rule.series)] == [2, 1]


def test_rule_cap_per_period_is_enforced_and_explained(world):
    rule = rule_named("志愿服务")  # +3/小时, cap 15 a month
    home = world["homes"][0]
    rules.record(world["committee"], rule.id, [home.id], quantity=4)
    with pytest.raises(ValidationFailed, match="本月已达上限 15 分"):
        rules.record(world["committee"], rule.id, [home.id], quantity=2)
    rules.record(world["committee"], rule.id, [home.id], quantity=1)  # exactly 15


def test_monthly_cap_counts_pending_entries(world, app):
    app.config["MONTHLY_CAP"] = 100
    home, committee = world["homes"][0], world["committee"]
    first = rules.record(committee, rule_named("主动化解邻里纠纷").id, [home.id], quantity=9)[0]
    assert first.status == "pending" and first.nominal_points == 90  # above 50: waits for approval
    with pytest.raises(ValidationFailed, match="本月已达上限 100 分"):
        rules.record(committee, rule_named("评为当月清洁户").id, [home.id])  # 90 pending + 20
    rules.record(committee, rule_named("合理化建议被采纳").id, [home.id])  # 90 + 10 = 100 fits
    with pytest.raises(ValidationFailed, match="本月已达上限 100 分"):
        rules.record(committee, rule_named("参加村民会议、政策宣讲").id, [home.id])
    # last month's entries do not count
    last_month = local_today().replace(day=1) - timedelta(days=1)
    rules.record(committee, rule_named("参加村民会议、政策宣讲").id, [home.id], event_date=last_month)


def test_batch_with_one_household_over_cap_writes_nothing(world):
    rule = rule_named("月度入户检查达标")
    first, second = world["homes"][:2]
    rules.record(world["committee"], rule.id, [first.id])
    with pytest.raises(ValidationFailed) as info:
        rules.record(world["committee"], rule.id, [first.id, second.id])
    assert first.head_name in info.value.message and second.head_name not in info.value.message
    assert db.session.execute(select(db.func.count(RuleEvent.id))).scalar_one() == 1


def test_deduction_needs_reason_evidence_and_approval(world):
    rule = rule_named("乱扔垃圾/楼道堆物(经提醒)")
    home = world["homes"][0]
    with pytest.raises(ValidationFailed, match="原因"):
        rules.record(world["committee"], rule.id, [home.id], evidence_file="a.jpg")
    with pytest.raises(ValidationFailed, match="照片"):
        rules.record(world["committee"], rule.id, [home.id], note="楼道堆放杂物,劝告后未清理")
    event = rules.record(world["committee"], rule.id, [home.id], note="楼道堆放杂物", evidence_file="a.jpg")[0]
    assert event.status == "pending" and event.nominal_points == -5 and event.ledger_entry_id is None


def test_bad_inputs_write_nothing(world, make_site, make_household):
    rule = rule_named("参加集中清扫")
    committee, home = world["committee"], world["homes"][0]
    stranger = make_household(make_site(), head_name="外点户")
    cases = [
        dict(household_ids=[]),
        dict(household_ids=[home.id], quantity=0),
        dict(household_ids=[home.id], event_date=local_today() + timedelta(days=1)),
        dict(household_ids=[home.id, stranger.id]),
    ]
    for case in cases:
        ids = case.pop("household_ids")
        with pytest.raises(ValidationFailed):
            rules.record(committee, rule.id, ids, **case)
    with pytest.raises(ValidationFailed, match="每次只能记 1"):
        rules.record(committee, rule_named("月度入户检查达标").id, [home.id], quantity=2)
    with pytest.raises(Forbidden):
        rules.record(committee, rule.id, [stranger.id])
    assert db.session.execute(select(db.func.count(RuleEvent.id))).scalar_one() == 0


def test_period_bounds():
    from datetime import date

    assert rules.period_bounds(date(2026, 11, 23), "month") == (date(2026, 11, 1), date(2026, 11, 30))
    assert rules.period_bounds(date(2026, 11, 23), "quarter") == (date(2026, 10, 1), date(2026, 12, 31))
    assert rules.period_bounds(date(2026, 2, 3), "quarter") == (date(2026, 1, 1), date(2026, 3, 31))
    assert rules.period_bounds(date(2026, 12, 3), "month") == (date(2026, 12, 1), date(2026, 12, 31))
    assert rules.period_bounds(date(2026, 5, 3), "year") == (date(2026, 1, 1), date(2026, 12, 31))


def test_public_deductions_mask_names(world, make_user):
    from services.earning import approvals

    home = world["homes"][0]
    home.head_name = "欧阳小明"
    cadre = make_user("cadre", sites=[world["site"]])
    ledger_home = home
    from services import ledger
    ledger.post(ledger_home, 20, "adjustment", None, None, "期初", "t-open")
    event = rules.record(world["committee"], rule_named("高空抛物、损坏公共设施").id, [home.id],
                         note="三楼高空抛物", evidence_file="p.jpg")[0]
    approvals.decide(cadre, "rule", event.id, True)
    rows = rules.public_deductions(world["site"].id, local_today() - timedelta(days=30))
    assert rows == [{"name": "欧**明", "rule": "高空抛物、损坏公共设施", "reason": "三楼高空抛物",
                     "points": -20, "date": event.event_date}]
