"""The load run's moving parts (not a test module): gunicorn serving the app in its own process group
(tests/reliability/load_server.py), and the kiosk and staff clients that drive it over HTTP, counting
every answer in a shared Tally. tests/reliability/test_load_faults.py seeds the world, runs them, kills
the server and checks the books."""
import http.client
import itertools
import json
import os
import random
import re
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------- the server under test
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving tests.reliability.load_server:app on a fixed loopback port, in its own process group."""

    def __init__(self, url: str, log_path: str, workers: int = 2):
        self.url, self.workers, self.port = url, workers, free_port()
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
            if len(self.worker_pids()) >= self.workers and status_of(self.port, "GET", "/admin/login") == 200:
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


def status_of(port, method, path) -> int | None:
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
