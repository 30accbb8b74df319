"""Load + faults: the real server (gunicorn, 2 workers) on PostgreSQL and on SQLite.

16 kiosk clients (each its own paired device and card) scan and redeem with request_ids; 4 staff
clients record rule awards through the HTTP pages (2 committee members: small awards post at
once, large ones wait for approval; 2 cadres: small awards and approvals). Mid-run one worker is
killed with SIGKILL, then the whole server (master + workers); it is restarted on the same port
and the clients carry on, retrying a redemption with the SAME request_id after a lost answer.

Afterwards: verify() is clean, Σentries == balances, stock == Σ stock movements, every
client-confirmed redemption exists exactly once (same receipt), retried request_ids were not
spent twice, no request that got an error answer left anything behind, every redemption found is
whole (lines, stock movements, ledger entry), every confirmed award exists once, every approved
award has exactly one ledger entry and every pending one none, and no answer was a 5xx.

Loopback only; each run is bounded (LOAD_SECONDS, default 20 s of traffic; ~30-40 s in all) and stops
by itself. Figures are written to artifacts/reliability/load-<db>.json (docs/reliability.md)."""
import itertools
import json
import os
import shutil
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from app import create_app
from extensions import db
from tests.conftest import PG_SERVER_URL
from tests.conftest import test_settings as settings_for
from tests.reliability.load_harness import Server, Tally, kiosk_client, staff_client

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
KIOSKS, STAFF = 16, 4
OPENING_BALANCE = 3000
_pg_counter = itertools.count()

# ---------------------------------------------------------------- the world
def _seed(app, make_site, make_household, make_user):
    from services.earning import rules as rules_service
    from tests.supermarket.kiosk_helpers import add_goods, card_for, paired_device

    with app.app_context():
        site = make_site("负载测试安置点")
        goods = [add_goods(site, "肥皂", price=2, stock=5000, unit="块"),
                 add_goods(site, "食用油", price=7, stock=5000, unit="桶"),
                 add_goods(site, "大米 5kg", price=20, stock=60)]  # scarce: out_of_stock races
        homes = [make_household(site, head_name=f"住户{i:02d}", balance=OPENING_BALANCE) for i in range(KIOSKS)]
        kiosks = []
        for i, home in enumerate(homes):
            card = card_for(home)
            _device, token = paired_device(site, f"{i + 1}号机")
            kiosks.append((token, card))
        admin = make_user("admin")
        small = rules_service.save_rule(admin, {"name": "楼道清扫", "category": "环境卫生", "points": "5"})
        big = rules_service.save_rule(admin, {"name": "见义勇为", "category": "道德风尚", "points": "60"})
        staff = [(make_user("committee", sites=[site]).username, "committee"),
                 (make_user("committee", sites=[site]).username, "committee"),
                 (make_user("cadre", sites=[site]).username, "cadre"),
                 (make_user("cadre", sites=[site]).username, "cadre")]
        world = {"site_id": site.id, "goods_ids": [g.id for g in goods], "household_ids": [h.id for h in homes],
                 "kiosks": kiosks, "staff": staff, "rules": {"small": small.id, "big": big.id}}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return world


@pytest.fixture(params=["sqlite", "postgresql"])
def load_db(request, sqlite_template, tmp_path):
    """A fresh database (copied from the migrated template, as tests/conftest.py does); its URL."""
    if request.param == "sqlite":
        path = tmp_path / "load.db"
        shutil.copyfile(sqlite_template, path)
        yield "sqlite", f"sqlite:///{path}"
        return
    conn, template = request.getfixturevalue("pg_template")
    name = f"{template}_load{next(_pg_counter)}"
    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield "postgresql", PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- the run
def test_load_with_worker_and_server_kills_loses_nothing(load_db, tmp_path, make_site, make_household, make_user):
    dialect, url = load_db
    app = create_app(settings_for(url))
    world = _seed(app, make_site, make_household, make_user)
    server = Server(url, str(tmp_path / "gunicorn.log"))
    tally, stop, faults = Tally(), threading.Event(), []
    started = time.monotonic()
    server.start()
    threads = [threading.Thread(target=kiosk_client, args=(server.port, token, card, world["goods_ids"], stop,
                                                           tally, i), daemon=True)
               for i, (token, card) in enumerate(world["kiosks"])]
    threads += [threading.Thread(target=staff_client, args=(server.port, username, role, world["site_id"],
                                                            world["rules"], world["household_ids"], stop, tally,
                                                            100 + i), daemon=True)
                for i, (username, role) in enumerate(world["staff"])]
    try:
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS * 0.3)
        faults.append(f"SIGKILL worker {server.kill_worker()}")
        time.sleep(LOAD_SECONDS * 0.3)
        server.kill_all()
        faults.append("SIGKILL whole server (master + workers)")
        time.sleep(0.5)
        down = time.monotonic()
        server.start()
        faults.append(f"restart ({time.monotonic() - down:.1f} s down)")
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
        stop.set()
        for thread in threads:
            thread.join(timeout=25)
        assert not any(t.is_alive() for t in threads), "a client did not stop"
    finally:
        stop.set()
        server.stop()
    elapsed = time.monotonic() - started

    with app.app_context():
        figures = _check_books(world, tally)
        db.session.remove()
        db.engine.dispose()
    figures.update(dialect=dialect, seconds=round(elapsed, 1), faults=faults,
                   requests=dict(tally.requests), connection_errors=tally.connection_errors)
    os.makedirs(os.path.join(ROOT, "artifacts", "reliability"), exist_ok=True)
    with open(os.path.join(ROOT, "artifacts", "reliability", f"load-{dialect}.json"), "w") as fh:
        json.dump(figures, fh, ensure_ascii=False, indent=1)
    print(json.dumps(figures, ensure_ascii=False))
    assert tally.server_errors == [], tally.server_errors[:5]
    assert len(tally.confirmed) >= 10 and tally.awards_confirmed, figures
    assert elapsed < 60


def _check_books(world, tally) -> dict:
    from models import Goods, Household, LedgerEntry, Redemption, RedemptionLine, RuleEvent, StockMovement
    from services.ledger.verify import verify

    report = verify()
    assert report.ok, [str(p) for p in report.problems[:10]]
    # Σ entries == cached balances, for every household
    sums = dict(db.session.execute(select(LedgerEntry.household_id, func.sum(LedgerEntry.points))
                                   .group_by(LedgerEntry.household_id)).all())
    for home in db.session.execute(select(Household)).scalars():
        assert home.balance == sums.get(home.id, 0), home.id
        assert home.balance >= 0
    # stock == in − out
    moved = dict(db.session.execute(select(StockMovement.goods_id, func.sum(StockMovement.quantity))
                                    .group_by(StockMovement.goods_id)).all())
    for goods in db.session.execute(select(Goods)).scalars():
        assert goods.stock == moved.get(goods.id, 0) and goods.stock >= 0, goods.name

    found = {r.request_id: r for r in db.session.execute(select(Redemption)).scalars()}
    keys = Counter(db.session.execute(select(LedgerEntry.idempotency_key)
                                      .where(LedgerEntry.kind == "redemption")).scalars())
    # nothing phantom: every redemption was asked for by a client
    assert set(found) <= tally.attempted
    # every confirmed redemption exists exactly once, with the receipt the client saw
    for rid, receipt in tally.confirmed.items():
        assert rid in found and keys[f"redeem:{rid}"] == 1, rid
        assert found[rid].receipt_no == receipt["receipt_no"] and found[rid].total_points == receipt["total"]
    assert tally.double_tap_mismatch == []
    # an error answer left nothing behind
    for rid in tally.refused:
        assert rid not in found and keys[f"redeem:{rid}"] == 0, (rid, tally.refused[rid])
    # every redemption in the database is whole (confirmed, or lost in a kill but committed whole)
    lines = Counter(db.session.execute(select(RedemptionLine.redemption_id)).scalars())
    movements = Counter(db.session.execute(select(StockMovement.redemption_id)
                                           .where(StockMovement.kind == "redeem")).scalars())
    entries = {e.id: e for e in db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == "redemption"))
               .scalars()}
    for rid, red in found.items():
        assert keys[f"redeem:{rid}"] == 1
        entry = entries[red.ledger_entry_id]
        assert entry.points == -red.total_points and entry.idempotency_key == f"redeem:{rid}"
        assert lines[red.id] >= 1 and movements[red.id] == lines[red.id]
        assert sum(l.points for l in red.lines) == red.total_points
    assert sum(keys.values()) == len(found)

    # awards: each confirmed one exists once; approved ⇔ exactly one entry; refused left nothing
    events = list(db.session.execute(select(RuleEvent)).scalars())
    by_note = Counter(e.note for e in events)
    for note in tally.awards_confirmed:
        assert by_note[note] == 1, note
    for note in tally.awards_refused:
        assert by_note[note] == 0, note
    rule_keys = Counter(db.session.execute(select(LedgerEntry.idempotency_key)
                                           .where(LedgerEntry.idempotency_key.like("rule:%"))).scalars())
    approved = pending = 0
    for event in events:
        if event.status == "approved":
            approved += 1
            assert rule_keys[f"rule:{event.id}"] == 1 and event.ledger_entry_id is not None
        else:
            pending += 1
            assert event.status == "pending" and rule_keys[f"rule:{event.id}"] == 0
    assert sum(rule_keys.values()) == approved
    db.session.rollback()
    return {"redemptions_confirmed": len(tally.confirmed), "redemptions_in_db": len(found),
            "redemptions_refused_4xx": len(tally.refused),
            "refusals_by_code": dict(Counter(code for _s, code in tally.refused.values())),
            "retried_after_lost_answer": len(tally.retried_confirmed), "gave_up": len(tally.ambiguous),
            "double_taps": tally.double_taps, "awards_confirmed": len(tally.awards_confirmed),
            "awards_refused": len(tally.awards_refused), "awards_lost_answer": len(tally.awards_ambiguous),
            "approvals": tally.approvals, "rule_events_approved": approved, "rule_events_pending": pending,
            "ledger_entries": report.entries, "server_errors_5xx": len(tally.server_errors), "rows_lost": 0}
