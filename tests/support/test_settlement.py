"""包保 by kind: a settlement's leader fits its size, 分类包保 of causes by departments, a household's
causes, the coverage of each kind, the pages; refusals write nothing."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import HouseholdTag
from models.settlement import CauseAssignment, HouseholdCause, SiteLeader
from services.errors import Forbidden, ValidationFailed
from services.staff.scope import sites_in_scope
from services.support import responsibility as support
from services.support import settlement


@pytest.fixture
def county(app, make_site, make_household, make_user):
    app.config["SUPPORT_SETTLEMENT_LEADER_THRESHOLD"] = 3
    big, small = make_site(name="大安置点"), make_site(name="小安置点")
    small.area = big.area  # one village, one township
    homes = [make_household(site=big, head_name=f"大{i}") for i in range(3)] + [make_household(site=small, head_name="小0")]
    for home in homes[:2]:
        db.session.add(HouseholdTag(household_id=home.id, tag="no_labour"))
    admin = make_user("admin")
    leader = support.create_cadre(admin, "镇长", "13900000010", level="township")
    village = support.create_cadre(admin, "村主任", "13900000011", level="village")
    health = support.create_cadre(admin, "卫健干部", "13900000012", level="department", unit="县卫健局")
    support.assign(homes[0], village, admin)
    db.session.flush()
    return dict(big=big, small=small, homes=homes, admin=admin, leader=leader, village=village, health=health,
                township=big.area.parent)


def test_a_settlement_leader_must_fit_its_size(app, county):
    admin = county["admin"]
    with pytest.raises(ValidationFailed, match="有 3 户,应由乡镇"):
        settlement.set_leader(admin, county["big"], county["village"].id)
    with pytest.raises(ValidationFailed, match="应由所在村的村级干部"):
        settlement.set_leader(admin, county["small"], county["leader"].id)
    settlement.set_leader(admin, county["big"], county["leader"].id)
    settlement.set_leader(admin, county["small"], county["village"].id)
    with pytest.raises(ValidationFailed, match="已经是"):
        settlement.set_leader(admin, county["small"], county["village"].id)
    db.session.commit()
    assert settlement.current_leader(county["big"].id).cadre.name == "镇长"
    assert [c.name for c in settlement.leader_choices(county["big"])] == ["镇长"]


def test_a_new_leader_ends_the_previous_one(app, county):
    admin = county["admin"]
    deputy = support.create_cadre(admin, "副镇长", level="township")
    first = settlement.set_leader(admin, county["big"], county["leader"].id)
    settlement.set_leader(admin, county["big"], deputy.id)
    db.session.commit()
    assert first.end_date is not None
    assert settlement.current_leader(county["big"].id).cadre.name == "副镇长"
    assert db.session.scalar(select(func.count()).select_from(SiteLeader)) == 2


def test_causes_and_department_holders_give_the_coverage_by_kind(app, county):
    admin, homes = county["admin"], county["homes"]
    settlement.set_causes(admin, homes[0], ["illness", "labour"])
    settlement.set_causes(admin, homes[3], ["illness"])
    with pytest.raises(ValidationFailed):
        settlement.set_causes(admin, homes[1], ["bad_luck"])
    with pytest.raises(ValidationFailed, match="部门"):
        settlement.assign_cause(admin, area_id=county["township"].id, cause="illness", cadre_id=county["village"].id)
    with pytest.raises(ValidationFailed):
        settlement.assign_cause(admin, area_id=county["big"].area_id, cause="illness", cadre_id=county["health"].id)
    settlement.assign_cause(admin, area_id=county["township"].id, cause="illness", cadre_id=county["health"].id)
    settlement.set_leader(admin, county["big"], county["leader"].id)
    db.session.commit()
    cov = settlement.coverage(sites_in_scope(admin))
    by_cause = {r.label: r for r in cov.causes}
    assert by_cause["因病"].households == 2 and by_cause["因病"].holder.cadre.unit == "县卫健局"
    assert by_cause["缺劳力"].households == 1 and by_cause["缺劳力"].holder is None
    assert (cov.cause_households, cov.cause_households_covered) == (3, 2)
    assert (cov.sites_covered, len(cov.sites)) == (1, 2)
    assert (cov.priority_covered, cov.priority_total) == (1, 2)
    assert cov.without_cause == 1  # 大1 is a priority household without a cause
    assert db.session.scalar(select(func.count()).select_from(HouseholdCause)) == 3


def test_only_a_township_wide_cadre_assigns_causes(app, county, make_user):
    cadre = make_user("cadre", sites=[county["big"]])
    with pytest.raises(Forbidden):
        settlement.assign_cause(cadre, area_id=county["township"].id, cause="illness", cadre_id=county["health"].id)
    assert db.session.scalar(select(func.count()).select_from(CauseAssignment)) == 0


def test_the_pages(client, login, county, make_user):
    login(make_user("cadre", areas=[county["township"]]))
    html = client.get("/admin/support/settlements").get_data(as_text=True)
    assert "大安置点" in html and "未落实" in html and "一对一包保" in html
    response = client.post(f"/admin/support/settlements/{county['big'].id}/leader", data={"cadre_id": county["village"].id})
    assert response.status_code == 400 and "应由乡镇" in response.get_data(as_text=True)
    response = client.post(f"/admin/support/settlements/{county['big'].id}/leader", data={"cadre_id": county["leader"].id})
    assert response.status_code == 302
    home = county["homes"][1]
    assert client.get(f"/admin/support/households/{home.id}/causes").status_code == 200
    assert client.post(f"/admin/support/households/{home.id}/causes", data={"causes": ["schooling"]}).status_code == 302
    assert settlement.causes_of(home.id) == ["schooling"]
    response = client.post("/admin/support/settlements/causes",
                           data={"area_id": county["township"].id, "cause": "schooling", "cadre_id": county["health"].id})
    assert response.status_code == 302
    html = client.get("/admin/support/settlements").get_data(as_text=True)
    assert "因学" in html and "县卫健局" in html


def test_an_auditor_reads_only(client, login, county, make_user):
    login(make_user("auditor", sites=[county["big"]]))
    assert client.get("/admin/support/settlements").status_code == 200
    home = county["homes"][0]
    assert client.post(f"/admin/support/households/{home.id}/causes", data={"causes": ["illness"]}).status_code == 403
    assert client.post(f"/admin/support/settlements/{county['big'].id}/leader",
                       data={"cadre_id": county["leader"].id}).status_code == 403
    assert settlement.causes_of(home.id) == []


def test_a_leader_serves_the_settlements_own_area(app, county, make_site):
    elsewhere = make_site(name="外镇安置点")
    outsider = support.create_cadre(county["admin"], "外镇领导", level="township", area_id=elsewhere.area.parent.id)
    with pytest.raises(ValidationFailed, match="不能包保大安置点"):
        settlement.set_leader(county["admin"], county["big"], outsider.id)
    assert outsider not in settlement.leader_choices(county["big"])
