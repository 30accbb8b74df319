"""Month totals (docs/decisions.md#month-totals) on SQLite AND PostgreSQL: kept in step by post(),
reversals, voids and year-end in the entry's own transaction, rolled back with it, checked by verify,
backfilled by migration 0020; the reports read them and still give the entries' sums."""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from extensions import db
from models import LedgerEntry, LedgerMonthTotal
from models.ledger import EARNING_KINDS
from services import ledger
from services.ledger import month_totals, year_end
from services.ledger.verify import verify
from services.reports import dashboard


def _rows(household_id):
    return {(t.month, t.kind): (t.points, t.entries, t.credits, t.first_date, t.last_date)
            for t in db.session.execute(select(LedgerMonthTotal).where(
                LedgerMonthTotal.household_id == household_id)).scalars()}


def test_post_and_reverse_keep_the_month_totals(any_app, make_household):
    home = make_household()
    ledger.post(home, 10, "rule_award", None, None, None, "t:1", effective_date=date(2026, 3, 9))
    second = ledger.post(home, 5, "rule_award", None, None, None, "t:2", effective_date=date(2026, 3, 2))
    ledger.post(home, 7, "activity", None, None, None, "t:3", effective_date=date(2026, 4, 1))
    db.session.commit()
    ledger.reverse(second, None, "记错了")
    ledger.post(home, 10, "rule_award", None, None, None, "t:1", effective_date=date(2026, 3, 9))  # a replay
    db.session.commit()
    assert _rows(home.id) == {
        ("2026-03", "rule_award"): (15, 2, 2, date(2026, 3, 2), date(2026, 3, 9)),
        ("2026-04", "activity"): (7, 1, 1, date(2026, 4, 1), date(2026, 4, 1)),
        ("2026-03", "reversal"): (-5, 1, 0, date(2026, 3, 2), date(2026, 3, 2)),
    }
    assert month_totals.mismatches() == [] and verify().ok


def test_a_rolled_back_post_leaves_no_total(any_app, make_household):
    home = make_household()
    db.session.commit()
    ledger.post(home, 10, "award", None, None, None, "t:gone", effective_date=date(2026, 5, 5))
    db.session.rollback()
    assert _rows(home.id) == {} and verify().ok


def test_year_end_keeps_the_month_totals(any_app, make_site, make_household, make_user):
    any_app.config["YEAR_END_POLICY"], any_app.config["YEAR_END_EXPIRE_MONTHS"] = "expire", 12
    site = make_site()
    home = make_household(site=site)
    ledger.post(home, 100, "rule_award", None, None, None, "t:old", effective_date=date(2025, 3, 1))
    admin = make_user("admin")
    db.session.commit()
    year_end.run(admin, site.area.parent.parent, 2026, today=date(2027, 1, 5))
    db.session.commit()
    assert {kind for _month, kind in _rows(home.id)} == {"rule_award", "expiry"}
    assert month_totals.mismatches() == [] and verify().ok


def test_verify_reports_a_total_that_disagrees(any_app, make_household):
    home = make_household(balance=10)
    db.session.commit()
    db.session.execute(text("UPDATE ledger_month_total SET points = points + 1"))
    db.session.commit()
    problems = verify().problems
    assert {p.kind for p in problems} == {"month totals"}
    assert {p.household_id for p in problems} == {home.id}
    assert any(p.detail.startswith("no total row for") for p in problems)  # the entries' row is missing
    db.session.execute(text("DELETE FROM ledger_month_total"))
    db.session.commit()
    assert [p.kind for p in verify().problems] == ["month totals"]


def test_the_migration_backfills_the_totals(any_app, make_household):
    home = make_household(balance=10)
    ledger.post(home, 3, "activity", None, None, None, "t:a", effective_date=date(2026, 1, 31))
    db.session.commit()
    before = _rows(home.id)
    directory = any_app.extensions["migrate"].directory
    db.session.remove()
    downgrade(directory=directory, revision="0019_offline_kiosk")
    upgrade(directory=directory)
    assert _rows(home.id) == before and len(before) == 2
    assert month_totals.mismatches() == []


@pytest.mark.parametrize("start, end", [
    (date(2026, 3, 15), date(2026, 4, 30)),   # a cut start month holding entries before the period
    (date(2026, 3, 1), date(2026, 4, 10)),    # a cut end month holding entries after it
    (date(2026, 3, 5), date(2026, 3, 25)),    # both edges in one month
    (date(2026, 1, 1), date(2026, 12, 31)),   # whole months only
])
def test_the_report_from_totals_equals_the_entries(any_app, make_site, make_household, start, end):
    site = make_site()
    homes = [make_household(site=site, head_name=name) for name in ("甲", "乙")]
    for n, (day, points, kind) in enumerate([
            (date(2026, 3, 1), 10, "rule_award"), (date(2026, 3, 10), 4, "activity"),
            (date(2026, 3, 20), -3, "rule_deduction"), (date(2026, 3, 30), 6, "award"),
            (date(2026, 4, 5), 8, "rule_award"), (date(2026, 4, 20), -2, "rule_deduction")]):
        ledger.post(homes[n % 2], points, kind, None, None, None, f"r:{n}", effective_date=day)
    db.session.commit()
    flt = dashboard.Filters(start, end, {site.id})
    rows = db.session.execute(select(LedgerEntry.kind, LedgerEntry.points, LedgerEntry.household_id).where(
        LedgerEntry.effective_date.between(start, end), LedgerEntry.site_id == site.id)).all()
    expected = {}
    for kind, points, _home in rows:
        expected[kind] = expected.get(kind, 0) + points
    assert dashboard.kind_totals(flt) == expected
    earners = {home for kind, points, home in rows if kind in EARNING_KINDS and points > 0}
    assert dashboard.participation(flt)["earners"] == len(earners)
