"""包保: assignment, history, bulk assign, quota warning, reassign when a cadre leaves."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Area, AuditLog, HouseholdTag
from services.errors import ValidationFailed
from services.support import responsibility as support


@pytest.fixture
def priority(make_household):
    def make(site=None, tag="low_income", building="1栋", **kw):
        home = make_household(site=site, building=building, **kw)
        if tag:
            db.session.add(HouseholdTag(household_id=home.id, tag=tag))
            db.session.flush()
        return home
    return make


def test_assign_history_and_priority_list(app, make_site, priority, make_user):
    admin = make_user("admin")
    site = make_site()
    a, b, plain = priority(site), priority(site, tag="monitored"), priority(site, tag=None)
    cadre = support.create_cadre(admin, "李书记", "13800001111", "township", "城关镇政府")
    assert {h.id for h in support.priority_without_responsibility()} == {a.id, b.id}
    row = support.assign(a, cadre, admin)
    with pytest.raises(ValidationFailed, match="已经是"):
        support.assign(a, cadre, admin)
    assert [h.id for h in support.priority_without_responsibility([site.id])] == [b.id]
    support.end_responsibility(row, admin, "调离")
    assert {h.id for h in support.priority_without_responsibility()} == {a.id, b.id}
    assert support.responsibilities_of(a.id)[0].end_reason == "调离"
    assert plain.id not in {h.id for h in support.priority_without_responsibility()}
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "support.assign")).scalars().first()


def test_cadre_validation(app, make_user):
    admin = make_user("admin")
    with pytest.raises(ValidationFailed, match="电话号码"):
        support.create_cadre(admin, "王主任", "12345")
    with pytest.raises(ValidationFailed, match="姓名"):
        support.create_cadre(admin, "  ")
    staff = make_user("cadre")
    support.create_cadre(admin, "王主任", level="village", staff_user_id=staff.id)
    with pytest.raises(ValidationFailed, match="已经登记"):
        support.create_cadre(admin, "王主任2", staff_user_id=staff.id)


def test_bulk_assign_by_building_and_quota_warning(app, make_site, priority, make_user):
    app.config["SUPPORT_CADRE_QUOTA"] = 3
    admin = make_user("admin")
    site = make_site()
    homes = [priority(site, building="3栋") for _ in range(4)] + [priority(site, building="5栋")]
    priority(site, building="3栋", tag=None)
    cadre = support.create_cadre(admin, "赵干部", "13900002222")
    rows = support.bulk_assign(cadre, admin, site.id, building="3栋")
    assert {r.household_id for r in rows} == {h.id for h in homes[:4]}
    assert support.quota_warning(cadre) == "赵干部 已包保 4 户,超过每人 3 户的建议上限"
    assert support.bulk_assign(cadre, admin, site.id, building="3栋") == []


def test_reassign_when_cadre_leaves(app, make_site, priority, make_user):
    admin = make_user("admin")
    site = make_site()
    homes = [priority(site) for _ in range(3)]
    old = support.create_cadre(admin, "老干部")
    new = support.create_cadre(admin, "新干部")
    for h in homes:
        support.assign(h, old, admin)
    created = support.reassign_cadre(old, new, admin, "调离")
    assert len(created) == 3 and not old.active
    assert support.cadre_loads() == {new.id: 3}
    history = support.responsibilities_of(homes[0].id)
    assert [r.cadre.name for r in history] == ["新干部", "老干部"]
    assert history[1].end_reason == "调离,转给新干部"
    with pytest.raises(ValidationFailed, match="已调离"):
        support.assign(homes[0], old, admin)


def test_an_area_cadre_serves_only_their_own_area(app, make_site, make_household, make_user):
    here = make_site()
    neighbour_village = make_site(village=Area(level="village", name="新村社区", parent=here.area.parent))
    elsewhere = make_site()
    admin = make_user("admin")
    town = support.create_cadre(admin, "陈明", level="township", area_id=here.area.parent_id)
    village = support.create_cadre(admin, "黄春梅", level="village", area_id=here.area_id)
    county = support.create_cadre(admin, "刘海", level="county")
    home, next_door, far = (make_household(site=s) for s in (here, neighbour_village, elsewhere))
    support.assign(home, village, admin)
    support.assign(next_door, town, admin)
    support.assign(far, county, admin)
    with pytest.raises(ValidationFailed, match="黄春梅 是幸福社区的干部"):
        support.assign(next_door, village, admin)
    with pytest.raises(ValidationFailed, match="陈明 是城关镇的干部"):
        support.assign(far, town, admin)
