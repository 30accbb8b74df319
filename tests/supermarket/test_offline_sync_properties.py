"""Property (SQLite AND PostgreSQL): whatever interleaving of online redemptions, allowance grants (a
refresh's hold), offline sales at several kiosks and syncs (random slices of a queue, out of order,
with duplicates and gaps) happens, every balance stays >= 0; per household Σ of the non-allowance
entries = balance + Σ allowances out; verify() is clean; and once the queues are synced, every
offline sale was applied exactly once."""
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db
from models import Card, Household, KioskAllowance, LedgerEntry, OfflineSale, Redemption
from models.clock import utcnow
from services.errors import DomainError
from services.ledger.verify import verify
from services.supermarket import allowances, offline_sync, redemption
from services.supermarket import devices as kiosk_devices
from services.supermarket.allowances import HOLD_KIND, RETURN_KIND
from tests.supermarket.kiosk_helpers import add_goods, card_for, new_request_id
from tests.supermarket.offline_kiosk import FakeKiosk, days

KIOSKS, HOMES, GOODS = 2, 2, 2
OPS = st.lists(st.one_of(
    st.tuples(st.just("online"), st.integers(0, HOMES - 1), st.integers(0, GOODS - 1), st.integers(1, 4)),
    st.tuples(st.just("grant"), st.integers(0, KIOSKS - 1), st.integers(0, HOMES - 1), st.integers(1, 40)),
    st.tuples(st.just("sell"), st.integers(0, KIOSKS - 1), st.integers(0, HOMES - 1), st.integers(0, GOODS - 1),
              st.integers(1, 4)),
    st.tuples(st.just("sync"), st.integers(0, KIOSKS - 1), st.integers(0, 20), st.integers(0, 6), st.booleans()),
), min_size=1, max_size=30)


def _sync(kiosk, items):
    offline_sync.sync(kiosk.device, items, len(items))
    db.session.commit()


@given(ops=OPS)
def test_offline_and_online_keep_the_books(any_app, make_site, make_household, ops):
    site = make_site()
    goods = [add_goods(site, f"商品{i}", price=price, stock=stock) for i, (price, stock) in enumerate([(5, 3), (7, 20)])]
    homes = [make_household(site=site, balance=balance) for balance in (60, 40)]
    cards = [card_for(home) for home in homes]
    kiosks = [FakeKiosk.paired(site, f"{n}号机") for n in range(KIOSKS)]
    queues = [[] for _ in kiosks]
    db.session.commit()
    for op, *args in ops:
        try:
            if op == "online":
                home, index, qty = args
                card = db.session.execute(select(Card).where(Card.household_id == homes[home].id)).scalar_one()
                session, _ = kiosk_devices.start_session(kiosks[0].device, card)
                redemption.redeem(kiosks[0].device, redemption.parse_request(
                    session["id"], new_request_id(), [{"goods_id": goods[index].id, "qty": qty}]))
            elif op == "grant":
                kiosk, home, points = args
                now = utcnow()
                allowances.hold(kiosks[kiosk].device.id, homes[home].id, points, now, now + days(3))
            elif op == "sell":
                kiosk, home, index, qty = args
                queues[kiosk].append(kiosks[kiosk].sell(cards[home], [(goods[index].id, qty, goods[index].price)]))
            else:
                kiosk, start, length, backwards = args
                queue = queues[kiosk]
                batch = queue[start % (len(queue) + 1):][:length]
                _sync(kiosks[kiosk], (batch[::-1] + batch) if backwards else batch)  # out of order, twice
            db.session.commit()
        except DomainError:
            db.session.rollback()
        _check_books(homes)
    for kiosk, queue in zip(kiosks, queues):
        _sync(kiosk, queue)
    _check_books(homes)
    for queue in queues:
        for item in queue:
            assert db.session.execute(select(func.count()).select_from(OfflineSale)
                                      .where(OfflineSale.uid == item["uid"])).scalar_one() == 1
            assert db.session.execute(select(func.count()).select_from(Redemption)
                                      .where(Redemption.request_id == item["uid"])).scalar_one() == 1
    report = verify()
    assert report.ok, [str(p) for p in report.problems]


def _check_books(homes):
    db.session.expire_all()
    for home in homes:
        balance = db.session.get(Household, home.id).balance
        outside = db.session.execute(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.household_id == home.id, LedgerEntry.kind.not_in([HOLD_KIND, RETURN_KIND]))).scalar_one()
        held = db.session.execute(select(func.coalesce(func.sum(KioskAllowance.points), 0)).where(
            KioskAllowance.household_id == home.id)).scalar_one()
        assert balance >= 0
        assert outside == balance + held
