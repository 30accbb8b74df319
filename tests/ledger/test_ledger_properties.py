"""Hypothesis: random sequences of posts, debits, deductions and reversals keep the invariants."""
from hypothesis import given
from hypothesis import strategies as st

from extensions import db
from models import Household
from services import ledger
from services.errors import InsufficientPoints, LedgerRefused
from services.ledger.verify import verify

operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 200)),
        st.tuples(st.just("redeem"), st.integers(1, 200)),
        st.tuples(st.just("deduct"), st.integers(1, 200)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
    ),
    max_size=25,
)


@given(ops=operations)
def test_invariants_hold_for_any_sequence(app, make_site, ops):
    site = make_site()
    home = Household(site=site, head_name="李彧", head_initials="ly")
    db.session.add(home)
    db.session.flush()
    entries = []
    for n, (op, amount) in enumerate(ops):
        key = f"prop:{home.id}:{n}"
        try:
            if op == "earn":
                entries.append(ledger.post(home, amount, "rule_award", None, None, None, key))
            elif op == "redeem":
                entries.append(ledger.post(home, -amount, "redemption", None, None, None, key))
            elif op == "deduct":
                entries.append(ledger.post(home, -amount, "rule_deduction", None, None, None, key))
            elif entries:
                entries.append(ledger.reverse(entries[amount % len(entries)], None, "更正"))
        except (InsufficientPoints, LedgerRefused):
            pass
        entries = [e for e in entries if e is not None]
        assert home.balance >= 0
        assert home.balance == ledger.balance_of(home.id)
    db.session.commit()
    report = verify()
    assert report.ok, report.problems
    assert db.session.get(Household, home.id).balance == ledger.balance_of(home.id)
