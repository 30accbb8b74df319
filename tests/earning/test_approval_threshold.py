"""The maker-checker threshold is a per-county setting (docs/decisions.md#approver)."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Rule
from services.earning import rules
from services.errors import ValidationFailed


@pytest.fixture
def two_counties(app, make_site, make_household, make_user):
    rules.seed_catalog()
    strict_site, plain_site = make_site(), make_site()
    strict_county = strict_site.area.parent.parent
    app.config["COUNTY_SETTINGS"] = {strict_county.name: {"approval_threshold": 0}}
    homes = {"strict": make_household(strict_site, head_name="严县户"), "plain": make_household(plain_site, head_name="默认户")}
    committee = make_user("committee", sites=[strict_site, plain_site])
    cadre = make_user("cadre", sites=[strict_site, plain_site])
    return {"homes": homes, "committee": committee, "cadre": cadre, "strict": strict_county,
            "plain": plain_site.area.parent.parent}


def _cleanup_rule() -> Rule:  # +3 a time: under the default threshold of 50
    return db.session.execute(select(Rule).where(Rule.name == "参加集中清扫", Rule.is_current.is_(True))).scalar_one()


def test_small_item_waits_in_a_strict_county_and_posts_elsewhere(two_counties):
    rule, homes = _cleanup_rule(), two_counties["homes"]
    strict = rules.record(two_counties["committee"], rule.id, [homes["strict"].id])[0]
    plain = rules.record(two_counties["committee"], rule.id, [homes["plain"].id])[0]
    assert (strict.status, homes["strict"].balance) == ("pending", 0)
    assert (plain.status, homes["plain"].balance) == ("approved", 3)


def test_threshold_by_county_id_and_default_from_config(app, two_counties):
    app.config["COUNTY_SETTINGS"] = {two_counties["plain"].id: {"approval_threshold": 2}}
    app.config["APPROVAL_THRESHOLD"] = 0
    rule, homes = _cleanup_rule(), two_counties["homes"]
    assert rules.record(two_counties["committee"], rule.id, [homes["plain"].id])[0].status == "pending"
    assert rules.record(two_counties["committee"], rule.id, [homes["strict"].id])[0].status == "pending"
    app.config["APPROVAL_THRESHOLD"] = 50
    assert rules.record(two_counties["committee"], rule.id, [homes["strict"].id])[0].status == "approved"


def test_a_bad_setting_is_refused_and_nothing_posts(app, two_counties):
    app.config["COUNTY_SETTINGS"] = {two_counties["strict"].name: {"approval_threshold": "十"}}
    with pytest.raises(ValidationFailed, match="审批门槛配置有误"):
        rules.record(two_counties["committee"], _cleanup_rule().id, [two_counties["homes"]["strict"].id])


def test_queue_page_shows_each_county_threshold(two_counties, client, login):
    login(two_counties["cadre"])
    page = client.get("/admin/approvals")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = html.split('data-testid="thresholds"', 1)[1].split("</p>", 1)[0]
    assert f"{two_counties['strict'].name} 单笔超过 <strong>0</strong> 分" in shown
    assert f"{two_counties['plain'].name} 单笔超过 <strong>50</strong> 分" in shown
