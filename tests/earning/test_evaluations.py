"""五评五奖 rounds: every state transition, the forbidden ones, 公示 dates, objections, posting."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import LedgerEntry
from models.clock import local_today
from services.earning import evaluations, notices
from services.earning.evaluations import WrongState
from services.errors import DomainError, Forbidden, ValidationFailed


@pytest.fixture
def world(app, make_site, make_household, make_user):
    evaluations.ensure_defaults()
    site = make_site()
    homes = [make_household(site, head_name=name, building="1栋") for name in ("张三丰", "李䶮", "王𠮷祥")]
    committee = make_user("committee", sites=[site])
    cadre = make_user("cadre", sites=[site])
    rnd = evaluations.create_round(committee, {
        "site_id": site.id, "title": "2026年第4季度", "period_start": "2026-10-01", "period_end": "2026-12-31",
        "notice_days": 7, "contact": "村委会 李书记 138xxxx"})
    return {"site": site, "homes": homes, "committee": committee, "cadre": cadre, "round": rnd}


def score_all(world, value=8):
    rnd, committee = world["round"], world["committee"]
    for home in world["homes"]:
        for dim in rnd.config["dimensions"]:
            evaluations.set_score(committee, rnd, home.id, dim["id"], value)


def after_notice(rnd):
    """A moment just after 24:00 local of the notice's last day."""
    return notices.notice_ends_at(rnd.notice_end) + timedelta(seconds=1)


def to_notice(world):
    rnd = world["round"]
    evaluations.start_scoring(world["committee"], rnd)
    score_all(world)
    award = rnd.config["awards"][0]
    evaluations.set_nomination(world["committee"], rnd, world["homes"][0].id, award["id"], True)
    evaluations.open_notice(world["cadre"], rnd)
    return rnd


def test_full_happy_path_posts_scores_and_awards(world):
    rnd = to_notice(world)
    assert rnd.status == "notice"
    assert rnd.notice_start == local_today() and rnd.notice_end == local_today() + timedelta(days=6)
    result = evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    assert rnd.status == "posted"
    assert result == {"households": 3, "points": 120, "awards": 1, "award_points": 30}
    entries = db.session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars().all()
    keys = {e.idempotency_key: e for e in entries}
    first = world["homes"][0].id
    assert keys[f"round:{rnd.id}:{first}:score"].points == 40
    assert keys[f"round:{rnd.id}:{first}:score"].kind == "evaluation"
    award_id = rnd.config["awards"][0]["id"]
    assert keys[f"round:{rnd.id}:{first}:award:{award_id}"].kind == "award"
    assert all(e.effective_date == date(2026, 12, 31) for e in entries)
    assert world["homes"][0].balance == 70


def test_posting_twice_is_idempotent(world):
    rnd = to_notice(world)
    evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    count = db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one()
    again = evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    assert again["points"] == 120
    assert db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one() == count


def test_posting_refused_before_notice_ends(world):
    rnd = to_notice(world)
    last_moment = notices.notice_ends_at(rnd.notice_end) - timedelta(seconds=1)
    with pytest.raises(WrongState, match="公示期"):
        evaluations.post_round(world["cadre"], rnd, now=last_moment)
    assert rnd.status == "notice"
    assert db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one() == 0


@pytest.mark.parametrize("action", ["notice", "post", "scoring_again"])
def test_forbidden_transitions_from_draft(world, action):
    rnd, cadre = world["round"], world["cadre"]
    with pytest.raises(WrongState):
        if action == "notice":
            evaluations.open_notice(cadre, rnd)
        elif action == "post":
            evaluations.post_round(cadre, rnd, now=datetime(2100, 1, 1))
        else:
            evaluations.start_scoring(cadre, rnd)
            evaluations.start_scoring(cadre, rnd)


def test_scores_locked_outside_scoring(world):
    rnd = world["round"]
    dim = evaluations.dimensions()[0]
    with pytest.raises(WrongState):  # draft: config not yet frozen, scoring not open
        evaluations.set_score(world["committee"], rnd, world["homes"][0].id, dim.id, 5)
    to_notice(world)
    with pytest.raises(WrongState):
        evaluations.set_score(world["committee"], rnd, world["homes"][0].id, dim.id, 5)


def test_score_range_and_site_checked(world, make_household, make_site):
    rnd = world["round"]
    evaluations.start_scoring(world["committee"], rnd)
    dim = rnd.config["dimensions"][0]
    with pytest.raises(ValidationFailed, match="0 到 10"):
        evaluations.set_score(world["committee"], rnd, world["homes"][0].id, dim["id"], 11)
    stranger = make_household(make_site(), head_name="外点户")
    with pytest.raises(ValidationFailed):
        evaluations.set_score(world["committee"], rnd, stranger.id, dim["id"], 5)


def test_posted_round_is_read_only_and_cannot_be_cancelled(world):
    rnd = to_notice(world)
    evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    with pytest.raises(WrongState):
        evaluations.cancel_round(world["cadre"], rnd, "搞错了")
    with pytest.raises(WrongState):
        evaluations.set_score(world["committee"], rnd, world["homes"][0].id, rnd.config["dimensions"][0]["id"], 1)
    with pytest.raises(WrongState):
        evaluations.record_objection(world["cadre"], rnd, evaluations.lines_of(rnd)[0].id, "不对")


@pytest.mark.parametrize("stage", ["draft", "scoring", "notice"])
def test_cancel_from_open_states(world, stage):
    rnd = world["round"]
    if stage != "draft":
        evaluations.start_scoring(world["committee"], rnd)
    if stage == "notice":
        evaluations.open_notice(world["cadre"], rnd)
    evaluations.cancel_round(world["cadre"], rnd, "人员变动,重新评议")
    assert rnd.status == "cancelled"
    with pytest.raises(WrongState):
        evaluations.start_scoring(world["committee"], rnd)


def test_only_cadre_opens_notice_and_posts(world):
    rnd = world["round"]
    evaluations.start_scoring(world["committee"], rnd)
    with pytest.raises(Forbidden):
        evaluations.open_notice(world["committee"], rnd)
    evaluations.open_notice(world["cadre"], rnd)
    with pytest.raises(Forbidden):
        evaluations.post_round(world["committee"], rnd, now=after_notice(rnd))


def test_out_of_scope_user_is_refused(world, make_user, make_site):
    other = make_user("cadre", sites=[make_site()])
    with pytest.raises(Forbidden):
        evaluations.get_round(other, world["round"].id)
    with pytest.raises(Forbidden):
        evaluations.start_scoring(other, world["round"])


def test_objection_blocks_posting_until_rejected(world):
    rnd = to_notice(world)
    line = evaluations.lines_of(rnd)[1]
    objection = evaluations.record_objection(world["committee"], rnd, line.id, "卫生分打高了", "邻居")
    with pytest.raises(WrongState, match="异议"):
        evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    with pytest.raises(ValidationFailed):
        evaluations.resolve_objection(world["cadre"], objection, False, "")
    evaluations.resolve_objection(world["cadre"], objection, False, "经核实,评分属实")
    assert objection.status == "rejected"
    evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    assert rnd.status == "posted"


def test_upheld_objection_sends_round_back_to_scoring(world):
    rnd = to_notice(world)
    line = evaluations.lines_of(rnd)[1]
    objection = evaluations.record_objection(world["committee"], rnd, line.id, "这户本季度有违规")
    evaluations.resolve_objection(world["cadre"], objection, True, "退回重新评分")
    assert rnd.status == "scoring" and rnd.notice_end is None
    dim = rnd.config["dimensions"][0]
    evaluations.set_score(world["committee"], rnd, line.household_id, dim["id"], 2)
    evaluations.open_notice(world["cadre"], rnd)
    assert line.points == 34  # 8*4 + 2
    with pytest.raises(WrongState):  # resolved objections cannot be resolved twice
        evaluations.resolve_objection(world["cadre"], objection, False, "x")


def test_notice_window_math_follows_decision_14(app):
    start, end = notices.notice_window(date(2026, 1, 1), 7)
    assert (start, end) == (date(2026, 1, 1), date(2026, 1, 7))
    assert notices.period_text(start, end) == "1月1日至1月7日"
    # 24:00 Asia/Shanghai on 1月7日 is 16:00 UTC on 1月7日
    assert notices.notice_ends_at(end) == datetime(2026, 1, 7, 16, 0)
    assert not notices.is_over(end, datetime(2026, 1, 7, 15, 59, 59))
    assert notices.is_over(end, datetime(2026, 1, 7, 16, 0))
    assert notices.period_text(date(2026, 12, 29), date(2027, 1, 4)) == "2026年12月29日至2027年1月4日"


def test_open_notices_lists_rounds_on_notice_with_masked_names(world):
    rnd = to_notice(world)
    listed = notices.open_notices(world["site"].id)
    assert [n["id"] for n in listed] == [rnd.id]
    names = [line["name"] for line in listed[0]["lines"]]
    assert names == ["张*丰", "李*", "王*祥"]
    assert listed[0]["lines"][0]["awards"] == "党员示范户"
    assert notices.open_notices(world["site"].id, now=after_notice(rnd)) == []


def test_recusal_committee_member_cannot_score_own_household(world):
    rnd = world["round"]
    evaluations.start_scoring(world["committee"], rnd)
    world["committee"].household_id = world["homes"][0].id
    with pytest.raises(Forbidden, match="回避"):
        evaluations.set_score(world["committee"], rnd, world["homes"][0].id, rnd.config["dimensions"][0]["id"], 9)


def test_dimension_and_award_configuration(world, make_user):
    admin = make_user("admin")
    dim = evaluations.save_dimension(admin, {"name": "诚实守信", "max_score": 20, "points_per_score": 2})
    assert dim in evaluations.dimensions()
    with pytest.raises(ValidationFailed):
        evaluations.save_dimension(admin, {"name": "诚实守信", "max_score": 20, "points_per_score": 2})
    award = evaluations.save_award_type(admin, {"name": "十星级文明户", "bonus_points": 50})
    assert award.bonus_points == 50
    rnd = world["round"]
    evaluations.start_scoring(world["committee"], rnd)
    assert [d["name"] for d in rnd.config["dimensions"]][-1] == "诚实守信"
    with pytest.raises(DomainError):
        evaluations.set_score(world["committee"], rnd, world["homes"][0].id, dim.id, 21)


def test_posted_round_corrections_are_reversals(world):
    rnd = to_notice(world)
    evaluations.post_round(world["cadre"], rnd, now=after_notice(rnd))
    first = world["homes"][0]
    assert first.balance == 70
    with pytest.raises(ValidationFailed, match="原因"):
        evaluations.reverse_household(world["cadre"], rnd, first.id, " ")
    with pytest.raises(Forbidden):
        evaluations.reverse_household(world["committee"], rnd, first.id, "评分有误")
    reversals = evaluations.reverse_household(world["cadre"], rnd, first.id, "评分有误")
    assert sorted(r.points for r in reversals) == [-40, -30]
    assert all(r.kind == "reversal" for r in reversals)
    assert first.balance == 0
    again = evaluations.reverse_household(world["cadre"], rnd, first.id, "评分有误")  # same keys: same result
    assert [r.id for r in again] == [r.id for r in reversals]
    assert rnd.status == "posted"


def test_households_listed_in_natural_building_order(world, make_household):
    for building in ("10栋", "2栋"):
        make_household(world["site"], head_name="排序户", building=building, door_no="3单元101")
    order = [h.building for h in evaluations.households(world["round"])]
    assert order == ["1栋", "1栋", "1栋", "2栋", "10栋"]
