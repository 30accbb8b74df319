"""The support pages read their figures for all sites at once: the settlement coverage and leader choices
take the same number of queries however many sites, and the year's visit coverage counts each month
exactly as the month's coverage does."""
from datetime import timedelta

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from services.staff.scope import sites_in_scope
from services.support import responsibility as support
from services.support import settlement, visit_year, visits
from tests.query_count import counted


def test_settlement_figures_take_the_same_queries_however_many_sites(any_app, make_site, make_household, make_user):
    admin = make_user("admin")
    first = make_site(name="一号点")
    make_household(site=first, head_name="甲")
    village = support.create_cadre(admin, "村主任", "13900000011", level="village")
    support.create_cadre(admin, "镇长", "13900000010", level="township")
    settlement.set_leader(admin, first, village.id)
    db.session.commit()
    few, (cov, choices) = counted(lambda: (settlement.coverage(sites_in_scope(admin)),
                                            settlement.leader_choices_by_site(sites_in_scope(admin))))
    assert [r.leader.cadre.name for r in cov.sites] == ["村主任"] and cov.sites_covered == 1
    assert [c.name for c in choices[first.id]] == ["村主任"]
    for n in range(12):
        site = make_site(name=f"加{n}点")
        make_household(site=site, head_name=f"户{n}")
        if n % 2:
            settlement.set_leader(admin, site, village.id)
    db.session.commit()
    many, (cov, choices) = counted(lambda: (settlement.coverage(sites_in_scope(admin)),
                                             settlement.leader_choices_by_site(sites_in_scope(admin))))
    assert few == many
    assert len(cov.sites) == 13 and cov.sites_covered == 7
    assert all([c.name for c in choices[s.id]] == ["村主任"] for s in sites_in_scope(admin))
    assert {s.id: [c.id for c in settlement.leader_choices(s)] for s in sites_in_scope(admin)} == \
        {k: [c.id for c in v] for k, v in choices.items()}


def test_the_year_coverage_counts_each_month_as_the_month_coverage(any_app, make_site, make_household, make_user):
    any_app.config["SUPPORT_WEEKLY_TAGS"] = ("monitored",)
    today = local_today()
    east, west = make_site(name="东区"), make_site(name="西区")
    admin = make_user("admin")
    homes = [make_household(site=east, head_name="甲"), make_household(site=east, head_name="乙"),
             make_household(site=west, head_name="丙")]
    for home, tag in zip(homes, ("low_income", "monitored", "no_labour")):
        db.session.add(HouseholdTag(household_id=home.id, tag=tag))
    one, two = (support.create_cadre(admin, name, phone, level="village") for name, phone in
                (("王干部", "13900000001"), ("李干部", "13900000002")))
    support.assign(homes[0], one, admin, start_date=today.replace(month=1, day=1))
    ended = support.assign(homes[1], two, admin, start_date=today.replace(month=1, day=1))
    support.assign(homes[2], one, admin, start_date=today.replace(day=1))
    db.session.flush()
    for home, day in ((homes[0], today), (homes[1], today), (homes[1], today.replace(day=1)),
                      (homes[2], today.replace(month=1, day=9)), (homes[0], today.replace(month=1, day=2))):
        visits.record_visit(home, admin, visit_date=day, visitors="村干部", confirm_name=home.head_name,
                            backdate_reason="补录" if (today - day).days > 7 else None)
    if today.month > 1:
        support.end_responsibility(ended, admin, "调离", end_date=today.replace(day=1) - timedelta(days=1))
    db.session.commit()
    months = range(1, today.month + 1)
    for scope in (None, [east.id], [west.id, east.id]):
        queries, found = counted(lambda scope=scope: visit_year.coverage_by_month(today.year, months, scope))
        assert queries == 5 and sorted(found) == list(months)
        for month, cover in found.items():
            month_cover = visits.coverage(today.year, month, scope)
            assert (cover.first, cover.last, cover.by_site, cover.by_cadre, cover.total) == \
                (month_cover.first, month_cover.last, month_cover.by_site, month_cover.by_cadre, month_cover.total)
    assert found[today.month].total.visited >= 1
