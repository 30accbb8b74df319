"""The ledger: posting, clamping, reversals, idempotency, append-only guard, verify."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import LedgerEntry
from services import ledger
from services.errors import IdempotencyConflict, InsufficientPoints, LedgerRefused, ValidationFailed
from services.ledger.verify import verify


def test_post_credit_moves_balance_and_chains(app, make_household):
    home = make_household()
    first = ledger.post(home, 30, "rule_award", ledger.Source("rule_event", 1), None, "清扫", "rule:1")
    second = ledger.post(home, 20, "activity", ledger.Source("activity", 5), None, None, "activity:5:1")
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash and first.prev_hash == ""
    assert home.balance == 50 and second.balance_after == 50
    assert verify().ok


def test_post_returns_the_entry_as_written_without_a_session_object(app, make_household):
    home = make_household(balance=40)
    before = set(db.session.identity_map.keys())
    row = ledger.post(home, -15, "redemption", ledger.Source("redemption", 9), None, "兑换", "redeem:row")
    assert isinstance(row, ledger.Written) and row.id is not None
    assert set(db.session.identity_map.keys()) == before  # no LedgerEntry made or attached
    stored = db.session.get(LedgerEntry, row.id)
    assert {name: getattr(stored, name) for name in ledger._ENTRY_FIELDS} == {
        name: getattr(row, name) for name in ledger._ENTRY_FIELDS}
    assert (row.balance_after, row.points, home.balance) == (25, -15, 25)
    again = ledger.post(home, -15, "redemption", ledger.Source("redemption", 9), None, "兑换", "redeem:row")
    assert isinstance(again, ledger.Written) and again == row  # a replay: the stored entry, as written
    assert home.balance == 25
    assert verify().ok


def test_debit_beyond_balance_is_refused_and_writes_nothing(app, make_household):
    home = make_household(balance=10)
    with pytest.raises(InsufficientPoints):
        ledger.post(home, -11, "redemption", ledger.Source("redemption", 1), None, None, "redeem:a")
    assert home.balance == 10
    assert db.session.execute(select(func.count(LedgerEntry.id))).scalar_one() == 1


def test_deduction_clamps_at_balance(app, make_household):
    home = make_household(balance=8)
    entry = ledger.post(home, -20, "rule_deduction", ledger.Source("rule_event", 2), None, "堆物", "rule:2")
    assert entry.points == -8 and entry.requested_points == -20
    assert home.balance == 0
    # nothing left to take: no entry at all (entries are never 0 points)
    assert ledger.post(home, -5, "rule_deduction", ledger.Source("rule_event", 3), None, None, "rule:3") is None
    assert home.balance == 0 and home.ledger_seq == 2


def test_reversal_of_spent_credit_clamps_and_counts_in_original_period(app, make_household):
    from datetime import date

    home = make_household()
    award = ledger.post(home, 50, "evaluation", ledger.Source("round_line", 1), None, None,
                        "round:1:1:score", effective_date=date(2026, 9, 30))
    ledger.post(home, -40, "redemption", ledger.Source("redemption", 1), None, None, "redeem:x")
    rev = ledger.reverse(award, None, "公示异议成立")
    assert rev.points == -10 and rev.requested_points == -50
    assert rev.effective_date == date(2026, 9, 30) and rev.reverses_id == award.id
    assert home.balance == 0
    assert ledger.reverse(award, None, "公示异议成立") == rev  # idempotent: the same entry (id, hash)


def test_redemption_cannot_be_reversed(app, make_household):
    home = make_household(balance=10)
    spent = ledger.post(home, -5, "redemption", ledger.Source("redemption", 9), None, None, "redeem:y")
    with pytest.raises(LedgerRefused):
        ledger.reverse(spent, None, "误操作")


def test_same_key_same_content_returns_first_entry(app, make_household):
    home = make_household()
    a = ledger.post(home, 10, "activity", ledger.Source("activity", 1), None, None, "activity:1:1")
    b = ledger.post(home, 10, "activity", ledger.Source("activity", 1), None, None, "activity:1:1")
    assert a.id == b.id and home.balance == 10


def test_same_key_other_content_conflicts(app, make_household):
    home = make_household()
    ledger.post(home, 10, "activity", ledger.Source("activity", 1), None, None, "activity:1:1")
    with pytest.raises(IdempotencyConflict):
        ledger.post(home, 12, "activity", ledger.Source("activity", 1), None, None, "activity:1:1")
    assert home.balance == 10


@pytest.mark.parametrize("points", [0, 1.5, "10", True, 10**7])
def test_bad_points_refused(app, make_household, points):
    home = make_household()
    with pytest.raises(ValidationFailed):
        ledger.post(home, points, "activity", None, None, None, "k")
    assert home.ledger_seq == 0


def test_orm_edit_and_delete_refused(app, make_household):
    home = make_household(balance=10)
    db.session.commit()
    entry = db.session.execute(select(LedgerEntry)).scalar_one()
    entry.points = 99
    with pytest.raises(LedgerRefused):
        db.session.flush()
    db.session.rollback()
    entry = db.session.execute(select(LedgerEntry)).scalar_one()
    db.session.delete(entry)
    with pytest.raises(LedgerRefused):
        db.session.flush()
    db.session.rollback()
    assert home.balance == 10
