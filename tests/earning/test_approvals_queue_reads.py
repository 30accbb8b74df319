"""The approval queue reads a fixed number of queries however many sites, counties and pending items (a
province's 2,000 sites once cost 6,000 queries for the thresholds line), and shows the same thing."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Rule, Site, StaffUser
from services.earning import activities, approvals, rules
from services.households import cards
from services.staff.county_settings import county_of_site, county_setting
from tests.query_count import counted


def _one_by_one(site_ids) -> list[tuple[str, int]]:
    """The thresholds as a walk from each site up to its county gives them."""
    counties = {}
    for site_id in sorted(site_ids):
        county = county_of_site(site_id)
        counties.setdefault(county.id, county)
    return [(c.name, county_setting(c, "approval_threshold")) for c in sorted(counties.values(), key=lambda c: c.name)]


def test_thresholds_take_the_same_queries_however_many_sites_and_counties(any_app, make_site, make_user):
    first = make_site()
    admin = make_user("admin")
    db.session.commit()
    few, shown = counted(lambda: approvals.thresholds(admin))
    assert shown == _one_by_one([first.id]) == [(first.area.parent.parent.name, 50)]
    sites = [first]
    for n in range(12):  # new counties, and sites sharing a village (so a county) with an earlier one
        sites.append(make_site(village=sites[-1].area if n % 3 else None))
    any_app.config["COUNTY_SETTINGS"] = {sites[4].area.parent.parent.name: {"approval_threshold": 7}}
    db.session.commit()
    many, shown = counted(lambda: approvals.thresholds(admin))
    assert few == many
    assert shown == _one_by_one([s.id for s in sites]) and len(shown) == 5 and ("测试县5", 7) in shown
    scoped = make_user("cadre", sites=sites[4:6])
    assert approvals.thresholds(scoped) == _one_by_one([sites[4].id, sites[5].id]) == [("测试县5", 7)]


@pytest.fixture
def queue(any_app, make_site, make_household, make_user):
    rules.seed_catalog()
    any_app.config["APPROVAL_THRESHOLD"] = 2
    site = make_site()
    ids = {"site": site.id, "committee": make_user("committee", sites=[site]).id,
           "cadre": make_user("cadre", sites=[site]).id, "approver": make_user("cadre", sites=[site]).id,
           "rule": db.session.execute(select(Rule.id).where(Rule.name == "乱搭乱建、占用消防通道",
                                                            Rule.is_current.is_(True))).scalar_one()}

    def add(n):
        """n households, each with a pending deduction and a pending activity sign-in."""
        site, committee, cadre = (db.session.get(model, ids[key]) for model, key in
                                  ((Site, "site"), (StaffUser, "committee"), (StaffUser, "cadre")))
        for i in range(n):
            home = make_household(site, head_name=f"待审户{i}")
            rules.record(committee, ids["rule"], [home.id], note=f"占道{i}", evidence_file="e.jpg")
            _card, token = cards.issue_card(home)
            act = activities.create(cadre, {"site_id": site.id, "title": f"巡逻{i}",
                                            "starts_at": "2026-11-20T09:00", "points": 5})
            activities.sign_in_card(cadre, act, token)
            activities.close(cadre, act)
        db.session.commit()
    return add, ids["approver"]


def _shown(user):
    """What the queue shows of each item, read back through the relations the template follows."""
    events = [(e.household.head_name, e.rule.category.name, e.rule.name, e.recorder.display_name)
              for e in approvals.pending_rule_events(user)]
    signins = [(s.household.head_name, s.activity.title, s.activity.closed_by.display_name)
               for s in approvals.pending_signins(user)]
    return events, signins


def _fresh(user_id):
    """The user in an empty session: nothing the fixtures made is at hand, every row must be read."""
    db.session.expunge_all()
    return db.session.get(StaffUser, user_id)


def test_the_queue_takes_the_same_queries_for_one_or_many_pending_items(queue):
    add, approver_id = queue
    add(1)
    few, (events, signins) = counted(lambda: _shown(_fresh(approver_id)))
    assert len(events) == len(signins) == 1
    add(5)
    many, (events, signins) = counted(lambda: _shown(_fresh(approver_id)))
    assert few == many
    assert [e[0] for e in events] == [s[0] for s in signins] == ["待审户0"] + [f"待审户{i}" for i in range(5)]
    assert {s[1] for s in signins} == {"巡逻0", "巡逻1", "巡逻2", "巡逻3", "巡逻4"}
    assert all(e[2] == "乱搭乱建、占用消防通道" and e[3] == "测试员" for e in events)
