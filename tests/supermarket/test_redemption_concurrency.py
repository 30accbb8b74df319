"""Many kiosks redeem for the same household and the same last items at once (SQLite AND PostgreSQL):
0 overdrafts, 0 negative stock, every success has exactly one ledger entry, verify() ok."""
import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Goods, Household, LedgerEntry, Redemption, RedemptionLine
from services.errors import IdempotencyConflict
from services.ledger.verify import verify
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device

KIOSKS = 8


def _setup(make_site, make_household, balance, stock, price=10):
    site = make_site("并发测试安置点")
    item = add_goods(site, "最后几袋米", price=price, stock=stock)
    home = make_household(site=site, head_name="王𬌗", balance=balance)
    card = card_for(home)
    tokens = [paired_device(site, f"{n}号机")[1] for n in range(KIOSKS)]
    ids = {"goods": item.id, "household": home.id}
    db.session.commit()
    return ids, card, tokens


def _sessions(app, card, tokens):
    client = app.test_client()
    sessions = [client.post("/kiosk/api/scan", json={"card": card}, headers=auth(t)).get_json()["session_id"]
                for t in tokens]
    db.session.remove()
    return sessions


def _run_all(app, jobs):
    """jobs: list of (token, json); all start together; returns [(status, body)]."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(i, token, payload):
        client = app.test_client()
        barrier.wait()
        res = client.post("/kiosk/api/redeem", json=payload, headers=auth(token))
        results[i] = (res.status_code, res.get_json())

    threads = [threading.Thread(target=worker, args=(i, t, p)) for i, (t, p) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _check_books(ids, successes):
    db.session.remove()
    balance = db.session.get(Household, ids["household"]).balance
    stock = db.session.get(Goods, ids["goods"]).stock
    assert balance >= 0 and stock >= 0
    request_ids = {body["receipt"]["request_id"] for _status, body in successes}
    for request_id in request_ids:
        keys = db.session.execute(select(func.count()).select_from(LedgerEntry)
                                  .where(LedgerEntry.idempotency_key == f"redeem:{request_id}")).scalar_one()
        assert keys == 1
    assert db.session.execute(select(func.count()).select_from(Redemption)).scalar_one() == len(request_ids)
    report = verify()
    assert report.ok, [str(p) for p in report.problems]
    return balance, stock


@pytest.mark.parametrize("balance,stock,expected", [(200, 3, 3), (25, 10, 2)])
def test_kiosks_race_for_last_items_and_points(any_app, make_site, make_household, balance, stock, expected):
    ids, card, tokens = _setup(make_site, make_household, balance, stock)
    sessions = _sessions(any_app, card, tokens)
    jobs = [(tokens[i % KIOSKS], {"session_id": sessions[i % KIOSKS], "request_id": new_request_id(),
                                  "cart": [{"goods_id": ids["goods"], "qty": 1}]}) for i in range(KIOSKS * 2)]
    results = _run_all(any_app, jobs)
    successes = [r for r in results if r[0] == 200]
    failures = [r for r in results if r[0] != 200]
    assert len(successes) == expected
    assert all(status == 409 and body["error"] in ("out_of_stock", "insufficient_points")
               for status, body in failures), failures
    new_balance, new_stock = _check_books(ids, successes)
    assert new_balance == balance - 10 * expected
    assert new_stock == stock - expected


def test_double_taps_race_to_one_redemption(any_app, make_site, make_household):
    ids, card, tokens = _setup(make_site, make_household, balance=100, stock=10)
    sessions = _sessions(any_app, card, tokens[:1])
    payload = {"session_id": sessions[0], "request_id": new_request_id(),
               "cart": [{"goods_id": ids["goods"], "qty": 2}]}
    results = _run_all(any_app, [(tokens[0], payload)] * 6)
    assert [status for status, _ in results] == [200] * 6, results
    assert len({body["receipt"]["receipt_no"] for _, body in results}) == 1
    assert db.session.execute(select(func.count()).select_from(RedemptionLine)).scalar_one() == 1
    balance, stock = _check_books(ids, results)
    assert (balance, stock) == (80, 8)


def test_concurrent_voids_credit_and_restock_once(any_app, make_site, make_household, make_user):
    from models import StaffUser, StockMovement
    from services.supermarket import redemption

    ids, card, tokens = _setup(make_site, make_household, balance=100, stock=10)
    user_id = make_user("shopkeeper").id
    db.session.commit()
    sessions = _sessions(any_app, card, tokens[:1])
    res = any_app.test_client().post("/kiosk/api/redeem", headers=auth(tokens[0]), json={
        "session_id": sessions[0], "request_id": new_request_id(), "cart": [{"goods_id": ids["goods"], "qty": 3}]})
    receipt_no = res.get_json()["receipt"]["receipt_no"]
    redemption_id = int(receipt_no.rsplit("-", 1)[1])
    db.session.remove()
    barrier, errors = threading.Barrier(6), []

    def worker():
        with any_app.app_context():
            try:
                barrier.wait()
                redemption.void(redemption_id, db.session.get(StaffUser, user_id), "重复作废测试")
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.remove()
    assert db.session.get(Household, ids["household"]).balance == 100
    assert db.session.get(Goods, ids["goods"]).stock == 10
    voids = db.session.execute(select(func.count()).select_from(LedgerEntry)
                               .where(LedgerEntry.kind == "redemption_void")).scalar_one()
    restocks = db.session.execute(select(func.count()).select_from(StockMovement)
                                  .where(StockMovement.kind == "void")).scalar_one()
    assert (voids, restocks) == (1, 1)
    assert verify().ok


def test_repeated_request_id_after_commit_returns_stored_result(any_app, make_site, make_household):
    """A retry after the first copy committed: its INSERT … ON CONFLICT DO NOTHING returns no row, so
    it replays the stored receipt and writes nothing (no second debit, no second stock movement)."""
    from models import Card, KioskDevice, StockMovement
    from services.supermarket import devices as kiosk_devices
    from services.supermarket import redemption

    ids, _card, _tokens = _setup(make_site, make_household, balance=100, stock=10)
    device = db.session.execute(select(KioskDevice)).scalars().first()
    card = db.session.execute(select(Card).where(Card.household_id == ids["household"],
                                                 Card.status == "active")).scalar_one()
    request_id, cart = new_request_id(), [{"goods_id": ids["goods"], "qty": 1}]
    first = redemption.redeem(device, redemption.parse_request(kiosk_devices.start_session(device, card)[0]["id"],
                                                               request_id, cart))
    first_id = first.id
    db.session.commit()
    session_id = kiosk_devices.start_session(device, card)[0]["id"]
    db.session.commit()
    again = redemption.redeem(device, redemption.parse_request(session_id, request_id, cart))
    assert again == first  # the same receipt
    assert again.id == first_id and again.balance_after == 90
    db.session.commit()
    assert db.session.get(Household, ids["household"]).balance == 90
    assert db.session.get(Goods, ids["goods"]).stock == 9
    assert db.session.execute(select(func.count()).select_from(StockMovement)
                              .where(StockMovement.kind == "redeem")).scalar_one() == 1
    # the retry's lines, sent with its INSERT, found no row of its own to join: the first keeps one line
    assert db.session.execute(select(func.count()).select_from(RedemptionLine)).scalar_one() == 1
    with pytest.raises(IdempotencyConflict):
        redemption.redeem(device, redemption.parse_request(session_id, request_id, [{"goods_id": ids["goods"], "qty": 2}]))
    assert verify().ok
