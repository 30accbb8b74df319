"""Life events on SQLite AND PostgreSQL: one transaction, locks in id order (crossed merges
never deadlock), and verify stays clean."""
import threading

from sqlalchemy import func, select

from extensions import db
from models import Household, LedgerEntry, Member
from services.errors import DomainError
from services.households import life_events
from services.ledger.verify import verify


def _family(make_household, name, balance):
    home = make_household(head_name=name, balance=balance)
    home.members.append(Member(name=name + "子", relation="子女"))
    db.session.flush()
    return home


def test_split_then_merge_back(any_app, make_site, make_household):
    any_app.config["LIFE_SPLIT_POLICY"] = "by_members"
    site = make_site()
    home = _family(make_household, "王建国", 90)
    home.site = site
    kid = home.members[-1]
    event, new, _ = life_events.split(home, None, [kid.id], kid.id)
    db.session.commit()
    assert (home.balance, new.balance) == (45, 45)
    life_events.merge(home, new, None)
    db.session.commit()
    assert home.balance == 90 and new.status == "merged"
    assert db.session.execute(select(func.sum(LedgerEntry.points)).where(
        LedgerEntry.kind.in_(("transfer_in", "transfer_out")))).scalar_one() == 0
    assert verify().ok


def test_crossed_merges_do_not_deadlock(any_app, make_household):
    a = _family(make_household, "甲", 30)
    b = _family(make_household, "乙", 50)
    ids = (a.id, b.id)
    db.session.commit()
    barrier, results = threading.Barrier(2), []

    def run(keep, absorb):
        with any_app.app_context():
            try:
                barrier.wait()
                life_events.merge(db.session.get(Household, keep), db.session.get(Household, absorb), None)
                db.session.commit()
                results.append("ok")
            except DomainError as exc:
                db.session.rollback()
                results.append(exc.message)
            except Exception as exc:  # noqa: BLE001 - a deadlock or lock error would land here
                db.session.rollback()
                results.append(f"error: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=ids), threading.Thread(target=run, args=ids[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results)[0] == "ok" and "已迁出或合户" in sorted(results)[1], results
    db.session.expire_all()
    homes = [db.session.get(Household, i) for i in ids]
    assert sorted(h.status for h in homes) == ["active", "merged"]
    assert sum(h.balance for h in homes) == 80
    assert verify().ok
