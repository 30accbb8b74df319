"""The demo county tells the truth about follow-up support: every 监测户 tag has an approved
monitoring case behind it, no cadre is over the quota, and no township or village cadre holds a
household outside their own area."""
from sqlalchemy import select

from extensions import db
from models import Household, HouseholdTag
from models.support import MonitoringCase, Responsibility, SupportCadre
from services.support import responsibility as support


def test_demo_support_data_is_consistent(app):
    from services.demo.county import build_demo

    build_demo()
    tagged = set(db.session.execute(select(HouseholdTag.household_id).where(HouseholdTag.tag == "monitored")).scalars())
    monitored = set(db.session.execute(select(MonitoringCase.household_id)
                                       .where(MonitoringCase.status == "monitored")).scalars())
    assert len(tagged) >= 10 and tagged == monitored
    loads = support.cadre_loads()
    assert loads and max(loads.values()) <= support.quota()
    rows = db.session.execute(select(Responsibility).where(Responsibility.end_date.is_(None))).scalars().all()
    for row in rows:
        assert support.serves(row.cadre, row.household), (row.cadre.name, row.household.site.name)
    for cadre in db.session.execute(select(SupportCadre)).scalars():
        if cadre.level in ("township", "village"):
            assert cadre.area is not None and cadre.area.level == cadre.level, cadre.name
    unassigned = support.priority_without_responsibility()
    assert 0 < len(unassigned) <= 3  # a few left open on purpose, for the dashboard to show
    assert db.session.execute(select(Household).where(Household.status == "active")).first()
