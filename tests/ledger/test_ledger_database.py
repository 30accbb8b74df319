"""Database behaviour of the ledger on SQLite AND PostgreSQL: triggers, constraints,
concurrency, tamper evidence."""
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from extensions import db
from models import Household, LedgerEntry
from services import ledger
from services.errors import InsufficientPoints
from services.ledger.verify import verify


def _household(any_app, balance):
    from models import Area, Household, Site

    village = Area(level="village", name="幸福社区")
    site = Site(name="测试安置点", code="T1", area=village)
    home = Household(site=site, head_name="王𠮷祥", head_initials="wjx")
    db.session.add_all([village, site, home])
    db.session.flush()
    if balance:
        ledger.post(home, balance, "adjustment", None, None, "期初", f"opening:{home.id}")
    household_id = home.id
    db.session.commit()  # and start no new transaction: SQLite writers would queue behind it
    return household_id


def _without_append_only_triggers(statement):
    """Simulate someone with raw database access editing behind the app's back."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        db.session.execute(text("DROP TRIGGER ledger_entry_no_update"))
        db.session.execute(text("DROP TRIGGER ledger_entry_no_delete"))
    db.session.execute(text(statement))
    db.session.commit()


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entry SET points = 999",
    "DELETE FROM ledger_entry",
])
def test_triggers_refuse_raw_update_and_delete(any_app, statement):
    _household(any_app, 10)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(select(func.count(LedgerEntry.id))).scalar_one() == 1


def test_negative_balance_refused_by_database(any_app):
    hid = _household(any_app, 0)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE household SET balance = -1 WHERE id = :id"), {"id": hid})
        db.session.flush()
    db.session.rollback()


def test_concurrent_debits_never_overdraw(any_app):
    """12 threads spend 10 points each from a balance of 30: exactly 3 succeed."""
    hid = _household(any_app, 30)
    app = any_app
    barrier = threading.Barrier(12)
    outcomes = []

    def spend(n):
        with app.app_context():
            barrier.wait()
            try:
                ledger.post(hid, -10, "redemption", ledger.Source("redemption", n), None, None, f"redeem:{n}")
                db.session.commit()
                outcomes.append("ok")
            except InsufficientPoints:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 9
    assert db.session.get(Household, hid).balance == 0
    assert ledger.balance_of(hid) == 0
    report = verify()
    assert report.ok, report.problems


def test_concurrent_credits_lose_no_update_and_do_not_fork(any_app):
    hid = _household(any_app, 0)
    app = any_app
    barrier = threading.Barrier(8)

    def earn(n):
        with app.app_context():
            barrier.wait()
            for i in range(5):
                ledger.post(hid, 1, "activity", ledger.Source("activity", n * 100 + i), None, None,
                            f"activity:{n * 100 + i}:{hid}")
                db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=earn, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert db.session.get(Household, hid).balance == 40
    seqs = db.session.execute(select(LedgerEntry.seq).where(LedgerEntry.household_id == hid)
                              .order_by(LedgerEntry.seq)).scalars().all()
    assert seqs == list(range(1, 41))
    assert verify().ok


def test_verify_reports_edited_entry(any_app):
    hid = _household(any_app, 10)
    ledger.post(hid, 5, "activity", None, None, None, "activity:1:1")
    db.session.commit()
    _without_append_only_triggers("UPDATE ledger_entry SET points = 50 WHERE seq = 2")
    report = verify()
    kinds = {p.kind for p in report.problems}
    assert {"bad hash", "balance drift"} <= kinds
    assert all(p.household_id == hid for p in report.problems)


def test_verify_reports_deleted_entry(any_app):
    hid = _household(any_app, 10)
    for n in range(3):
        ledger.post(hid, 1, "activity", None, None, None, f"activity:{n}:1")
    db.session.commit()
    _without_append_only_triggers("DELETE FROM ledger_entry WHERE seq = 2")
    kinds = {p.kind for p in verify().problems}
    assert "gap" in kinds and "balance drift" in kinds


def test_verify_reports_forged_insert_and_fork(any_app):
    hid = _household(any_app, 10)
    first = db.session.execute(select(LedgerEntry)).scalar_one()
    # a forged second entry claiming the same predecessor as a real one: a fork
    ledger.post(hid, 5, "activity", None, None, None, "activity:1:1")
    db.session.commit()
    db.session.execute(text(
        "INSERT INTO ledger_entry (household_id, site_id, seq, kind, points, requested_points, balance_after,"
        " idempotency_key, effective_date, created_at, prev_hash, hash)"
        " VALUES (:h, :s, 3, 'adjustment', 100, 100, 115, 'forged', :d, :c, :p, 'deadbeef')"),
        {"h": hid, "s": first.site_id, "d": first.effective_date, "c": first.created_at, "p": first.hash})
    db.session.execute(text("UPDATE household SET balance = 115, ledger_seq = 3 WHERE id = :h"), {"h": hid})
    db.session.commit()
    problems = verify().problems
    kinds = {p.kind for p in problems}
    assert {"fork", "bad hash"} <= kinds
    assert any(p.entry_id and p.kind == "fork" for p in problems)


def test_verify_reports_balance_drift(any_app):
    hid = _household(any_app, 10)
    db.session.execute(text("UPDATE household SET balance = 500 WHERE id = :h"), {"h": hid})
    db.session.commit()
    # the head's signature covers the balance too (docs/decisions.md#ledger-seals)
    assert [p.kind for p in verify().problems] == ["head signature", "balance drift"]
