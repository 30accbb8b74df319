"""Property: whatever mix of stock-in, loss, redemptions (some failing) and voids happens,
stock = Σ its movements >= 0, balance = Σ ledger >= 0, each done redemption has one ledger
entry and each void one credit, and the month's reconciliation closes on the live stock."""
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db
from models import Card, Goods, Household, LedgerEntry, Redemption, StockMovement
from models.clock import local_today
from services.errors import DomainError
from services.ledger.verify import verify
from services.supermarket import devices as kiosk_devices
from services.supermarket import goods as goods_service
from services.supermarket import redemption
from tests.supermarket.kiosk_helpers import add_goods, new_request_id, paired_device

OPS = st.lists(st.one_of(
    st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(1, 6)),
    st.tuples(st.just("in"), st.integers(0, 2), st.integers(1, 5)),
    st.tuples(st.just("loss"), st.integers(0, 2), st.integers(1, 4)),
    st.tuples(st.just("void"), st.integers(0, 20), st.just(0)),
), min_size=1, max_size=25)


@given(ops=OPS)
def test_books_always_balance(app, make_site, make_household, make_user, ops):
    site = make_site()
    items = [add_goods(site, f"商品{i}", price=p, stock=s) for i, (p, s) in enumerate([(7, 3), (20, 1), (3, 10)])]
    home = make_household(site=site, balance=90)
    from services.households.cards import issue_card
    issue_card(home)
    device, _ = paired_device(site)
    shop = make_user("shopkeeper", sites=[site])
    card = db.session.execute(select(Card).where(Card.household_id == home.id)).scalar_one()
    done = []
    for op, index, qty in ops:
        db.session.commit()
        try:
            if op == "redeem":
                session, _ = kiosk_devices.start_session(device, card)
                done.append(redemption.redeem(device, redemption.parse_request(
                    session["id"], new_request_id(), [{"goods_id": items[index].id, "qty": qty}])).id)
            elif op == "in":
                goods_service.stock_in(items[index], qty, "purchase")
            elif op == "loss":
                goods_service.stock_out(items[index], qty, "loss", "测试")
            elif done:
                redemption.void(done[index % len(done)], shop, "测试作废")
            db.session.commit()
        except DomainError:
            db.session.rollback()
    db.session.expire_all()
    for item in items:
        moved = db.session.execute(select(func.coalesce(func.sum(StockMovement.quantity), 0))
                                   .where(StockMovement.goods_id == item.id)).scalar_one()
        assert db.session.get(Goods, item.id).stock == moved >= 0
    assert db.session.get(Household, home.id).balance >= 0
    redemptions = db.session.execute(select(Redemption).where(Redemption.household_id == home.id)).scalars().all()
    for r in redemptions:
        kinds = sorted(db.session.execute(select(LedgerEntry.kind).where(
            LedgerEntry.idempotency_key.in_([f"redeem:{r.request_id}", f"void:{r.id}"]))).scalars())
        assert kinds == (["redemption", "redemption_void"] if r.status == "void" else ["redemption"])
    today = local_today()
    for row in goods_service.reconciliation(site.id, today.year, today.month):
        assert row.opening + row.stock_in - row.stock_out == row.closing == row.goods.stock
    assert verify().ok
