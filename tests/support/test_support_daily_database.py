"""The support daily work on SQLite AND PostgreSQL: the worklist's queries, a cadre's area, the
monitoring step levels, and the report sign-off's constraints in the database."""
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from models.monthly_report import MonthlyReportNote
from services.errors import Forbidden, ValidationFailed
from services.reports import report_notes
from services.support import monitoring, problems, visits
from services.support import responsibility as support


def test_worklist_and_area_rule(any_app, make_site, make_household, make_user):
    site, elsewhere = make_site(), make_site()
    admin = make_user("admin")
    cadre = support.create_cadre(admin, "黄春梅", level="village", area_id=site.area_id)
    homes = [make_household(site=site, head_name=n, phone="13800001234") for n in ("甲", "乙")]
    for home in homes:
        db.session.add(HouseholdTag(household_id=home.id, tag="low_income"))
        support.assign(home, cadre, admin, local_today() - timedelta(days=60))
    visits.record_visit(homes[1], admin, visit_date=local_today(), visitors="黄春梅", confirm_name="乙")
    problems.create_problem(admin, site_id=site.id, household_id=homes[0].id, category="住房", description="漏水",
                            found_date=local_today() - timedelta(days=5), deadline=local_today() - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="是幸福社区的干部"):
        support.assign(make_household(site=elsewhere), cadre, admin)
    db.session.commit()
    items = visits.worklist(cadre.id)
    assert [(i.household.head_name, i.overdue, i.visited, i.open_problems, i.late_problems) for i in items] == [
        ("甲", True, False, 1, 1), ("乙", False, True, 0, 0)]


def test_step_levels(any_app, make_household, make_user):
    home = make_household()
    village = make_user("cadre", sites=[home.site])
    case = monitoring.open_case(home, "marginal", village, local_today() - timedelta(days=20))
    monitoring.add_step(case, "verified", village, local_today() - timedelta(days=19))
    monitoring.add_step(case, "publicity", village, None, publicity_start=local_today() - timedelta(days=18),
                        publicity_end=local_today() - timedelta(days=14))
    with pytest.raises(Forbidden):
        monitoring.add_step(case, "township", village, local_today() - timedelta(days=12))
    monitoring.add_step(case, "township", make_user("cadre", areas=[home.site.area.parent]),
                        local_today() - timedelta(days=12))
    db.session.commit()
    assert monitoring.next_step(case) == "county"


def test_report_note_constraints(any_app, make_user):
    writer, reviewer = make_user("cadre"), make_user("cadre")
    note = report_notes.save("site:1", 2026, 11, writer, work_done="走访 30 户")
    report_notes.sign(note, reviewer)
    db.session.commit()
    assert report_notes.note_for("site:1", 2026, 11).reviewed_by_id == reviewer.id
    db.session.add(MonthlyReportNote(scope="site:1", year=2026, month=11, work_done="又一份", issues="",
                                     next_steps="", filled_by_id=reviewer.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    note = report_notes.note_for("site:1", 2026, 11)
    note.reviewed_by_id = note.filled_by_id  # the database refuses a writer signing their own
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
