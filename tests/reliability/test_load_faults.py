"""Load + faults (issue 8): the real server (gunicorn, 2 workers) on PostgreSQL and on SQLite.

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
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from app import create_app
from extensions import db
from tests.conftest import PG_SERVER_URL
from tests.conftest import test_settings as settings_for

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
KIOSKS, STAFF = 16, 4
OPENING_BALANCE = 3000
_pg_counter = itertools.count()


# ---------------------------------------------------------------- the server under test
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving tests.reliability.load_server:app on a fixed loopback port, in its own process group."""

    def __init__(self, url: str, log_path: str, workers: int = 2):
        self.url, self.workers, self.port = url, workers, _free_port()
        self.log = open(log_path, "ab")
        self.proc = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
               "--preload", "--timeout", "30", "--graceful-timeout", "3", "--log-level", "warning",
               "tests.reliability.load_server:app"]
        env = dict(os.environ, LOAD_DATABASE_URL=self.url, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "gunicorn exited at start (see the server log)"
            if len(self.worker_pids()) >= self.workers and _status(self.port, "GET", "/admin/login") == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def _status(port, method, path) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(method, path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


# ---------------------------------------------------------------- clients
@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter = field(default_factory=Counter)      # answered requests by status class
    connection_errors: int = 0
    server_errors: list = field(default_factory=list)        # (path, status, body) of any 5xx
    confirmed: dict = field(default_factory=dict)           # request_id -> receipt (client saw 200)
    retried_confirmed: set = field(default_factory=set)     # request_ids confirmed after a lost answer
    refused: dict = field(default_factory=dict)             # request_id -> (status, error code)
    ambiguous: set = field(default_factory=set)             # gave up without an answer
    attempted: set = field(default_factory=set)
    double_taps: int = 0
    double_tap_mismatch: list = field(default_factory=list)
    awards_confirmed: dict = field(default_factory=dict)    # note -> (rule_id, household_id)
    awards_refused: set = field(default_factory=set)
    awards_ambiguous: set = field(default_factory=set)
    approvals: int = 0


class Http:
    """One request per connection (sync workers close them anyway); cookies kept for staff."""

    def __init__(self, port: int, tally: Tally):
        self.port, self.tally, self.cookies = port, tally, {}

    def call(self, method, path, body=None, headers=None, form=None):
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            conn.close()
        except (OSError, http.client.HTTPException):
            with self.tally.lock:
                self.tally.connection_errors += 1
            return None, None, None
        with self.tally.lock:
            self.tally.requests[f"{response.status // 100}xx"] += 1
            if response.status >= 500:
                self.tally.server_errors.append((path, response.status, data[:300]))
        return response.status, data, response.headers


def kiosk_client(port, token, card, goods_ids, stop, tally, seed):
    rng = random.Random(seed)
    http_ = Http(port, tally)
    auth = {"Authorization": f"Device {token}"}
    session = None
    while not stop.is_set():
        if session is None:
            status, data, _ = http_.call("POST", "/kiosk/api/scan", {"card": card}, auth)
            if status == 200:
                session = json.loads(data)["session_id"]
            else:
                time.sleep(0.1)
            continue
        rid = str(uuid.uuid4())
        cart = [{"goods_id": g, "qty": rng.randint(1, 3)} for g in rng.sample(goods_ids, rng.randint(1, 2))]
        payload = {"session_id": session, "request_id": rid, "cart": cart}
        with tally.lock:
            tally.attempted.add(rid)
        lost = False
        for _attempt in range(80):  # ≤ ~16 s of retries with the SAME request_id
            status, data, _ = http_.call("POST", "/kiosk/api/redeem", payload, auth)
            if status is None or status >= 500:
                lost = True
                time.sleep(0.2)
                continue
            answer = json.loads(data)
            with tally.lock:
                if status == 200:
                    tally.confirmed[rid] = answer["receipt"]
                    if lost:
                        tally.retried_confirmed.add(rid)
                else:
                    tally.refused[rid] = (status, answer.get("error"))
            if status == 410:
                session = None
            break
        else:
            with tally.lock:
                tally.ambiguous.add(rid)
            continue
        if status == 200 and rng.random() < 0.15:  # a double tap / late retry of a finished redemption
            again, data, _ = http_.call("POST", "/kiosk/api/redeem", payload, auth)
            if again is not None and again < 500:
                with tally.lock:
                    tally.double_taps += 1
                    first = tally.confirmed[rid]["receipt_no"]
                    if again != 200 or json.loads(data)["receipt"]["receipt_no"] != first:
                        tally.double_tap_mismatch.append((rid, again))
        if rng.random() < 0.1:
            http_.call("POST", "/kiosk/api/session/end", {"session_id": session}, auth)
            session = None


def staff_client(port, username, role, site_id, rules, household_ids, stop, tally, seed):
    rng = random.Random(seed)
    http_ = Http(port, tally)
    while not stop.is_set() and http_.call("POST", "/admin/login",
                                           form={"username": username, "password": "password123"})[0] != 302:
        time.sleep(0.2)
    for n in itertools.count():
        if stop.is_set():
            return
        if role == "cadre" and n % 2:
            status, data, _ = http_.call("GET", "/admin/approvals")
            if status is None:
                time.sleep(0.2)
            ids = re.findall(rb"/admin/approvals/rule/(\d+)", data or b"")
            if ids:
                status, _, _ = http_.call("POST", f"/admin/approvals/rule/{int(rng.choice(ids))}",
                                          form={"decision": "approve", "note": ""})
                if status == 302:
                    with tally.lock:
                        tally.approvals += 1
            else:
                time.sleep(0.05)
            continue
        rule_id = rules["small"] if role == "cadre" or rng.random() < 0.5 else rules["big"]
        home = rng.choice(household_ids)
        note = f"load-{uuid.uuid4().hex}"
        status, _, headers = http_.call("POST", "/admin/rules/record", form={
            "site_id": site_id, "rule_id": rule_id, "household_id": str(home), "quantity": "1", "note": note})
        with tally.lock:
            if status == 302 and "/admin/rules/events" in (headers.get("Location") or ""):
                tally.awards_confirmed[note] = (rule_id, home)
            elif status is None or status >= 500:
                tally.awards_ambiguous.add(note)
            else:
                tally.awards_refused.add(note)
        if status is None:
            time.sleep(0.2)


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
