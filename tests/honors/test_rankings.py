"""Rankings by points earned in a period, not balance."""
from datetime import date

from services import ledger
from services.honors.rankings import ranking

Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def _earn(home, points, when, kind="rule_award", key=None):
    return ledger.post(home, points, kind, None, None, None, key or f"t:{home.id}:{points}:{when}:{kind}",
                       effective_date=when)


def test_spending_does_not_lower_the_rank(app, make_site, make_household):
    site = make_site()
    spender = make_household(site=site, head_name="王彧")
    saver = make_household(site=site, head_name="李堃")
    _earn(spender, 80, date(2026, 10, 5))
    _earn(saver, 60, date(2026, 11, 5))
    ledger.post(spender, -75, "redemption", None, None, None, "redeem:r1", effective_date=date(2026, 11, 6))
    rows = ranking(*Q4, site_id=site.id)
    assert [(r.head_name, r.earned, r.rank) for r in rows] == [("王彧", 80, 1), ("李堃", 60, 2)]


def test_period_boundaries_deductions_and_reversals(app, make_site, make_household):
    site = make_site()
    home = make_household(site=site, head_name="张喆")
    _earn(home, 50, date(2026, 9, 30))                       # before the quarter
    award = _earn(home, 40, date(2026, 12, 31), "evaluation")  # last day counts
    _earn(home, -10, date(2026, 10, 2), "rule_deduction")
    ledger.post(home, 30, "adjustment", None, None, None, "adj:1", effective_date=date(2026, 11, 1))  # not earned
    ledger.reverse(award, None, "异议成立")  # counts in the award's period, cancelling it
    assert [r.earned for r in ranking(*Q4, site_id=site.id)] == []  # -10 total: not a ranked earner
    _earn(home, 25, date(2026, 10, 3), "activity")
    assert [r.earned for r in ranking(*Q4, site_id=site.id)] == [15]


def test_ties_share_a_rank_in_pinyin_order(app, make_site, make_household):
    site = make_site()
    for name in ("周昇", "安赟", "陈明"):
        _earn(make_household(site=site, head_name=name), 30, date(2026, 10, 10))
    _earn(make_household(site=site, head_name="赵海"), 10, date(2026, 10, 10))
    rows = ranking(*Q4, site_id=site.id)
    assert [(r.rank, r.head_name) for r in rows] == [(1, "安赟"), (1, "陈明"), (1, "周昇"), (4, "赵海")]


def test_other_sites_are_not_ranked(app, make_site, make_household):
    here, there = make_site(), make_site()
    _earn(make_household(site=there, head_name="外点"), 99, date(2026, 10, 10))
    assert ranking(*Q4, site_id=here.id) == []
