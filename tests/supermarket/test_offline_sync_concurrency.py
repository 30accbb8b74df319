"""Syncs racing each other (SQLite AND PostgreSQL): the same item sent ten times at once, and two tabs
of one kiosk syncing the same queue, give exactly one redemption per item and the same answers."""
import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Goods, Household, LedgerEntry, OfflineSale, Redemption, StockMovement
from models.clock import utcnow
from services.ledger.verify import verify
from services.supermarket import allowances
from tests.supermarket.kiosk_helpers import add_goods, card_for
from tests.supermarket.offline_kiosk import FakeKiosk, days


@pytest.fixture
def shop(any_app, make_site, make_household):
    site = make_site("并发测试安置点")
    rice = add_goods(site, "大米", price=10, stock=20)
    home = make_household(site=site, balance=300)
    card = card_for(home)
    kiosk = FakeKiosk.paired(site)
    now = utcnow()
    allowances.hold(kiosk.device.id, home.id, 100, now, now + days(3))
    shop = {"app": any_app, "rice": rice.id, "home": home.id, "card": card, "kiosk": kiosk}
    db.session.commit()  # then no ORM object is read again: that would hold SQLite's write lock (BEGIN IMMEDIATE)
    return shop


def _race(app, kiosk, batches):
    """Each batch synced by its own thread, all starting together; returns the JSON answers."""
    barrier, answers = threading.Barrier(len(batches)), [None] * len(batches)

    def worker(i, items):
        client = app.test_client()
        barrier.wait()
        res = kiosk.sync(client, items)
        answers[i] = (res.status_code, res.get_json())

    threads = [threading.Thread(target=worker, args=(i, items)) for i, items in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    db.session.remove()
    assert all(status == 200 for status, _ in answers), answers
    return [body for _status, body in answers]


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _check_books(shop, items):
    for item in items:
        assert _count(Redemption, Redemption.request_id == item["uid"]) == 1
        assert _count(LedgerEntry, LedgerEntry.idempotency_key == f"redeem:{item['uid']}") == 1
    assert _count(OfflineSale) == _count(Redemption) == len(items)
    assert _count(StockMovement, StockMovement.kind == "redeem") == len(items)
    report = verify()
    assert report.ok, [str(p) for p in report.problems]


def test_one_item_sent_ten_times_at_once_applies_once(shop):
    item = shop["kiosk"].sell(shop["card"], [(shop["rice"], 2, 10)])
    answers = _race(shop["app"], shop["kiosk"], [[item]] * 10)
    results = [body["results"][0] for body in answers]
    assert {r["status"] for r in results} == {"applied"}
    assert len({r["receipt"]["receipt_no"] for r in results}) == 1
    assert all(r == results[0] for r in results)
    _check_books(shop, [item])
    assert db.session.get(Household, shop["home"]).balance == 200  # 300 − 100 held; the sale paid from it
    assert db.session.get(Goods, shop["rice"]).stock == 18


def test_two_tabs_syncing_one_queue_apply_each_item_once(shop):
    kiosk = shop["kiosk"]
    queue = [kiosk.sell(shop["card"], [(shop["rice"], 1, 10)]) for _ in range(6)]
    first, second = _race(shop["app"], kiosk, [queue, list(reversed(queue))])
    assert first["counter"] == second["counter"] == 6
    by_uid = {r["uid"]: r for r in first["results"]}
    assert all(r["status"] == "applied" and r == by_uid[r["uid"]] for r in second["results"])
    _check_books(shop, queue)
    assert db.session.get(Goods, shop["rice"]).stock == 14
