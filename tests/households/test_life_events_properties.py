"""Hypothesis: random splits, merges, moves, earnings and redemptions conserve points
(Σ balances + forfeited + redeemed = Σ earned) and keep `flask ledger verify` clean."""
import itertools

from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db
from models import Household, LedgerEntry, Member
from services import ledger
from services.errors import DomainError
from services.households import life_events
from services.ledger.verify import verify

index = st.integers(0, 20)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), index, st.integers(1, 150)),
        st.tuples(st.just("redeem"), index, st.integers(1, 150)),
        st.tuples(st.just("split"), index, st.sampled_from(["none", "by_members", "amount"]), st.integers(0, 200)),
        st.tuples(st.just("merge"), index, index),
        st.tuples(st.just("move_site"), index),
        st.tuples(st.just("move_out"), index),
        st.tuples(st.just("move_in"), index),
    ),
    min_size=1, max_size=30,
)
_keys = itertools.count()


def _apply(op, homes, sites):
    live = [h for h in homes if h.status == "active"]
    if not live:
        return
    kind, pick = op[0], live[op[1] % len(live)]
    if kind == "earn":
        ledger.post(pick, op[2], "rule_award", None, None, None, f"prop-earn:{next(_keys)}")
    elif kind == "redeem" and pick.balance:
        ledger.post(pick, -min(op[2], pick.balance), "redemption", None, None, None, f"prop-redeem:{next(_keys)}")
    elif kind == "split":
        if not [m for m in pick.members if m.is_current and m.relation != "户主"]:
            life_events.add_member(pick, None, "王子涵", "子女")
        member = [m for m in pick.members if m.is_current and m.relation != "户主"][-1]
        _, new, _ = life_events.split(pick, None, [member.id], member.id, policy=op[2],
                                      amount=min(op[3], pick.balance))
        homes.append(new)
    elif kind == "merge":
        other = live[op[2] % len(live)]
        if other.id != pick.id:
            life_events.merge(pick, other, None)
    elif kind == "move_site":
        life_events.move_site(pick, next(s for s in sites if s.id != pick.site_id).id, None)
    elif kind == "move_out":
        life_events.move_out(pick, None)
    elif kind == "move_in":
        homes.append(life_events.move_in(None, sites[op[1] % 2].id, "欧阳𠮷祥")[1])


def _sum(*kinds):
    return int(db.session.execute(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                                  .where(LedgerEntry.kind.in_(kinds))).scalar_one())


@given(ops=operations)
def test_life_events_conserve_points(app, make_site, ops):
    app.config.update(LIFE_MOVE_OUT_POLICY="forfeit")
    sites = [make_site(), make_site()]
    homes = []
    for n in range(3):
        home = Household(site=sites[n % 2], head_name=f"李彧{n}", head_initials="ly")
        home.members.append(Member(name=f"李彧{n}", relation="户主"))
        home.members.append(Member(name="李䶮", relation="子女"))
        db.session.add(home)
        db.session.flush()
        ledger.post(home, 50 * n + 10, "rule_award", None, None, None, f"prop-open:{next(_keys)}")
        homes.append(home)
    for op in ops:
        try:
            with db.session.begin_nested():
                _apply(op, homes, sites)
            event(f"applied {op[0]}")
        except DomainError as exc:
            event(f"refused {op[0]}: {type(exc).__name__}")
        for home in homes:
            db.session.refresh(home)
    db.session.commit()
    balances = int(db.session.execute(select(func.coalesce(func.sum(Household.balance), 0))).scalar_one())
    earned = _sum("rule_award")
    forfeited, redeemed = -_sum("forfeit"), -_sum("redemption")
    assert balances + forfeited + redeemed == earned
    assert _sum("transfer_in") == -_sum("transfer_out")
    report = verify()
    assert report.ok, [str(p) for p in report.problems]
