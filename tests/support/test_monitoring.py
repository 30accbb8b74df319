"""防返贫监测: ordered dated steps, the ≥ 5-day 公示, the tag, and a 公示 that leaks nothing."""
from datetime import timedelta

import pytest

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from services.errors import Forbidden, ValidationFailed
from services.support import monitoring


def days_ago(n):
    return local_today() - timedelta(days=n)


def run_identification(case, actor, start=20):
    monitoring.add_step(case, "verified", actor, days_ago(start - 1))
    monitoring.add_step(case, "publicity", actor, None, publicity_start=days_ago(start - 2),
                        publicity_end=days_ago(start - 6))
    monitoring.add_step(case, "township", actor, days_ago(start - 8))
    monitoring.add_step(case, "county", actor, days_ago(start - 10))


def county_user(make_user, home, *roles):
    """A staff member whose scope is the household's whole county (may record every step)."""
    return make_user(*(roles or ("cadre",)), areas=[home.site.area.parent.parent])


def test_identify_then_eliminate_sets_and_clears_tag(app, make_household, make_user):
    home = make_household(head_id_number="522601199001011234", phone="13812345678")
    actor = county_user(make_user, home)
    case = monitoring.open_case(home, "sudden", actor, days_ago(20), risk_note="患尿毒症,透析费用高")
    run_identification(case, actor)
    assert case.status == "monitored" and db.session.get(HouseholdTag, (home.id, "monitored"))
    assert [s.step for s in case.steps] == ["found", "verified", "publicity", "township", "county"]
    monitoring.start_elimination(case, actor, days_ago(9))
    monitoring.add_step(case, "verified", actor, days_ago(9))
    monitoring.add_step(case, "publicity", actor, None, publicity_start=days_ago(8), publicity_end=days_ago(4))
    monitoring.add_step(case, "township", actor, days_ago(3))
    monitoring.add_step(case, "county", actor, days_ago(1))
    assert case.status == "eliminated" and db.session.get(HouseholdTag, (home.id, "monitored")) is None


def test_steps_in_order_and_publicity_rules(app, make_household, make_user):
    home = make_household()
    actor = county_user(make_user, home)
    case = monitoring.open_case(home, "marginal", actor, days_ago(20))
    with pytest.raises(ValidationFailed, match="下一步应为“入户核实”"):
        monitoring.add_step(case, "township", actor, days_ago(19))
    with pytest.raises(ValidationFailed, match="不能早于上一步"):
        monitoring.add_step(case, "verified", actor, days_ago(21))
    monitoring.add_step(case, "verified", actor, days_ago(19))
    with pytest.raises(ValidationFailed, match="不少于 5 天"):
        monitoring.add_step(case, "publicity", actor, None, publicity_start=days_ago(18), publicity_end=days_ago(15))
    monitoring.add_step(case, "publicity", actor, None, publicity_start=days_ago(3), publicity_end=days_ago(-1))
    with pytest.raises(ValidationFailed, match="24:00 结束"):
        monitoring.add_step(case, "township", actor, local_today())
    with pytest.raises(ValidationFailed, match="已有进行中"):
        monitoring.open_case(case.household, "sudden", actor)


def test_refusal_stops_identification(app, make_household, make_user):
    home = make_household()
    actor = make_user("cadre", sites=[home.site])
    case = monitoring.open_case(home, "unstable", actor, days_ago(5))
    monitoring.add_step(case, "verified", actor, days_ago(4), passed=False, note="核实收入达标")
    assert case.status == "rejected" and monitoring.next_step(case) is None


def test_notice_page_leaks_no_id_phone_or_health(app, client, make_household, make_user, login):
    home = make_household(head_name="石𬌗", head_id_number="522601199001011234", phone="13812345678")
    actor = make_user("cadre", sites=[home.site])
    home.members[0].id_number = "522601199001015678"
    home.members[0].phone = "13987654321"
    case = monitoring.open_case(home, "sudden", actor, days_ago(10), risk_note="患尿毒症,透析;农行卡 6228480012345678")
    monitoring.add_step(case, "verified", actor, days_ago(9))
    monitoring.add_step(case, "publicity", actor, None, publicity_start=days_ago(8), publicity_end=days_ago(4),
                        note="评议会 5 人到会,一致同意")
    viewer = make_user("cadre", sites=[home.site])
    login(viewer)
    page = client.get(f"/admin/support/monitoring/{case.id}/notice").get_data(as_text=True)
    assert "石𬌗" in page and "突发严重困难户" in page
    for secret in ("522601", "1234", "5678", "13812345678", "13987654321", "尿毒症", "透析", "6228", "农行"):
        assert secret not in page, secret


def test_who_may_record_a_step_follows_the_scope_level(app, make_household, make_user):
    home = make_household()
    village = make_user("cadre", sites=[home.site])
    township = make_user("cadre", areas=[home.site.area.parent])
    county = county_user(make_user, home)
    unscoped = make_user("cadre")
    with pytest.raises(Forbidden, match="村"):
        monitoring.open_case(home, "marginal", unscoped, days_ago(20))
    case = monitoring.open_case(home, "marginal", village, days_ago(20))
    monitoring.add_step(case, "verified", village, days_ago(19))
    monitoring.add_step(case, "publicity", village, None, publicity_start=days_ago(18), publicity_end=days_ago(14))
    with pytest.raises(Forbidden, match="乡镇初审.*乡镇及以上"):
        monitoring.add_step(case, "township", village, days_ago(12))
    monitoring.add_step(case, "township", township, days_ago(12))
    with pytest.raises(Forbidden, match="县级审定.*县级"):
        monitoring.add_step(case, "county", township, days_ago(10))
    monitoring.add_step(case, "county", county, days_ago(10))
    assert [s.actor_id for s in case.steps] == [village.id, village.id, village.id, township.id, county.id]
    assert case.status == "monitored"


def test_a_step_above_ones_level_is_refused_on_the_page(app, client, login, make_household, make_user):
    home = make_household()
    village = make_user("cadre", sites=[home.site])
    case = monitoring.open_case(home, "marginal", village, days_ago(20))
    monitoring.add_step(case, "verified", village, days_ago(19))
    monitoring.add_step(case, "publicity", village, None, publicity_start=days_ago(18), publicity_end=days_ago(14))
    login(village)
    page = client.get(f"/admin/support/monitoring/{case.id}").get_data(as_text=True)
    assert "须由乡镇及以上的工作人员办理" in page and 'name="step" value="township"' not in page
    response = client.post(f"/admin/support/monitoring/{case.id}/step",
                           data={"step": "township", "step_date": days_ago(12).isoformat(), "note": "初审意见"})
    body = response.get_data(as_text=True)
    assert response.status_code == 403 and "乡镇及以上" in body and "操作没有完成" not in body
    assert len(case.steps) == 3
