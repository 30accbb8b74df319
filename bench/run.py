"""Issue 13: every measure and its baseline in ONE run, written to docs/benchmarks.md.

    python -m bench.run --database-url postgresql+psycopg://postgres@127.0.0.1/bench_province --scale province
    python -m bench.run --database-url sqlite:////tmp/bench/county.db --scale county --out docs/benchmarks.md

The database must come from bench.generate (same seed). Measures: 1 kiosk scan vs a bare indexed
SELECT in the same gunicorn server (server-side times from the access log); 2 redemptions/s through
POST /kiosk/api/redeem under gunicorn with wrk (16 connections, separate process), hot and spread,
vs bench.bare_loop with the same concurrency and durability, invariants checked after every run;
3 ranking; 4 card PDF; 5 Excel import; 6 verify; peak RSS of the server. Median of --runs runs."""
import argparse
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text

from bench import invariants
from bench.generate import SCALES, card_token, device_token, ensure_kiosks, goods_ids_of, make_app
from extensions import db
from models.clock import utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOT_HOUSEHOLD = 1
HOT_TOPUP = 1_000_000
#: a spread household below SPREAD_FLOOR points gets SPREAD_TOPUP before a spread measurement
SPREAD_FLOOR, SPREAD_TOPUP = 20_000, 100_000


@dataclass
class Row:
    measure: str
    ours: str
    baseline: str = "—"
    ratio: str = "—"
    goal: str = "—"
    met: str = "—"
    raw: dict = field(default_factory=dict)


@dataclass
class Bench:
    url: str
    scale: str
    seed: int
    runs: int
    seconds: float
    clients: int
    workers: int
    workdir: str
    threads: int = 1  # > 1: gunicorn's gthread workers (keep-alive), else sync workers
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def worker_args(self) -> list[str]:
        return ["-k", "gthread", "--threads", str(self.threads)] if self.threads > 1 else []

    @property
    def worker_kind(self) -> str:
        return f"gthread workers × {self.threads} threads" if self.threads > 1 else "sync workers"

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"


# ---------------------------------------------------------------- the server under test

class Server:
    """gunicorn serving bench.wsgi:app on a free loopback port."""

    def __init__(self, bench: Bench, workers: int, access_log: str | None = None):
        self.port = _free_port()
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), *bench.worker_args, "-b", f"127.0.0.1:{self.port}",
               "--backlog", "2048", "--log-level", "warning", "--preload", "--graceful-timeout", "5",
               "bench.wsgi:app"]
        if access_log:
            cmd += ["--access-logfile", access_log, "--access-logformat", "%(U)s %(s)s %(D)s"]
        env = dict(os.environ, BENCH_DATABASE_URL=bench.url, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        self.workers = workers
        _wait_for_port(self.port, self.proc)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mb(self) -> float:
        """Σ VmHWM (peak resident set) of the master and its workers, read before stopping."""
        pids = [self.proc.pid] + _children(self.proc.pid)
        return sum(_vm_hwm_kb(pid) for pid in pids) / 1024

    def stop(self) -> float:
        rss = self.peak_rss_mb()
        self.proc.terminate()
        self.proc.wait(timeout=30)
        return rss


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc, timeout: float = 180) -> None:
    """Until the bare route answers (the app is preloaded, so every worker is then up)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare/1", timeout=5) as response:
                if response.status == 200:
                    time.sleep(0.3)
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


# ---------------------------------------------------------------- 1. scan

def measure_scan(bench: Bench, app, cards: int) -> float:
    """Interleaved real scans and bare GETs, server-side µs from the gunicorn access log; --runs
    passes, each on a fresh server, and the pass with the median ratio is reported."""
    import random

    passes, peak = [], 0.0
    _end_open_sessions(app)  # earlier redemption runs' sessions, if any
    for n in range(bench.runs):
        _vacuum_hot_rows(bench)
        scan, bare, failures, rss = _scan_pass(bench, app, cards, random.Random(bench.seed + n), n)
        passes.append((scan[0] / bare[0], scan, bare, failures))
        peak = max(peak, rss)
    ratio, scan, bare, _ = sorted(passes, key=lambda one: one[0])[len(passes) // 2]
    failures = sum(one[3] for one in passes)
    every = ", ".join(f"{one[0]:.2f}" for one in passes)
    bench.rows.append(Row("1. kiosk scan → household JSON, server-side p50 / p95 (ms)",
                          f"{scan[0]:.2f} / {scan[1]:.2f}", f"{bare[0]:.2f} / {bare[1]:.2f}",
                          f"{ratio:.2f}× (p95 {scan[1] / bare[1]:.2f}×; passes {every})", "≤ 1.5×",
                          _met(ratio <= 1.5), dict(passes=passes, cards=cards, failures=failures)))
    assert failures == 0, f"{failures} scan/bare requests failed"
    return peak


def _scan_pass(bench: Bench, app, cards: int, rng, number: int):
    """One server, `cards` scans of random cards each followed by a bare GET; (scan p50/p95, bare
    p50/p95, failed requests, peak RSS)."""
    import http.client

    households = _count(app, "household")
    log = os.path.join(bench.workdir, f"access-{number}.log")
    server = Server(bench, bench.workers, access_log=log)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        failures = 0
        for _ in range(cards):
            hid = rng.randint(1, households)
            site = _site_of(app, hid)
            body = json.dumps({"card": card_token(bench.seed, hid)})
            status = _request(conn, server, "POST", "/kiosk/api/scan", body,
                              {"Content-Type": "application/json",
                               "Authorization": f"Device {device_token(bench.seed, site)}"})
            failures += status != 200
            failures += _request(conn, server, "GET", f"/bench/bare/{rng.randint(1, households)}") != 200
        rss = server.stop()
    except BaseException:
        server.stop()
        raise
    times = {"/kiosk/api/scan": [], "/bench/bare": []}
    with open(log) as f:
        for line in f:
            path, status, micros = line.split()
            key = "/bench/bare" if path.startswith("/bench/bare/") else path
            if key in times and status == "200":
                times[key].append(int(micros) / 1000)
    scan, bare = (_percentiles(times[k]) for k in ("/kiosk/api/scan", "/bench/bare"))
    return scan, bare, failures, rss


def _request(conn, server, method, path, body=None, headers=None) -> int:
    import http.client

    for attempt in range(3):
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status
        except (http.client.HTTPException, OSError):
            conn.close()  # sync workers close keep-alive connections: reconnect
    raise RuntimeError(f"{method} {path} failed three times")


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.95))]


# ---------------------------------------------------------------- 2. redemptions

def prepare_sessions(bench: Bench, app, scenario: str) -> str:
    """Open kiosk sessions straight in the database (a scan per session would end the device's
    previous one); returns the "device_token session_id goods_id" file wrk and the bare loop read."""
    with app.app_context():
        if scenario == "hot":
            _top_up(HOT_HOUSEHOLD)
            homes = [HOT_HOUSEHOLD] * bench.clients
        else:
            homes = list(range(1, min(10_000, _count(app, "household")) + 1))
            _top_up_spread(homes)
        now, rows, lines = utcnow(), [], []
        for hid in homes:
            site, card = db.session.execute(text(
                "SELECT h.site_id, c.id FROM household h JOIN card c ON c.household_id = h.id "
                "AND c.status = 'active' WHERE h.id = :id"), {"id": hid}).one()
            sid = secrets.token_urlsafe(24)
            rows.append(dict(id=sid, dev=site, hid=hid, card=card, now=now, exp=now + timedelta(days=1)))
            lines.append(f"{device_token(bench.seed, site)} {sid} {goods_ids_of(site)[-1]}\n")
        db.session.execute(text("INSERT INTO kiosk_session (id, device_id, household_id, card_id, created_at, "
                                "expires_at) VALUES (:id, :dev, :hid, :card, :now, :exp)"), rows)
        db.session.commit()
    path = os.path.join(bench.workdir, f"sessions-{scenario}.txt")
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def _end_open_sessions(app) -> None:
    """End the kiosk sessions prepare_sessions() opened. A kiosk has one open session at a time (each
    scan ends its previous one), but those are inserted directly, many per device: left open, the next
    run's first scan on each device ended dozens of them (seen: the first scan pass 10–30 % slower)."""
    with app.app_context():
        db.session.execute(text("UPDATE kiosk_session SET ended_at = :now WHERE ended_at IS NULL"),
                           {"now": utcnow()})
        db.session.commit()


def _top_up(household_id: int) -> None:
    from services import ledger

    balance = db.session.execute(text("SELECT balance FROM household WHERE id = :id"), {"id": household_id}).scalar()
    if balance < HOT_TOPUP // 2:
        ledger.post(household_id, HOT_TOPUP, "adjustment", None, None, "基准测试充值",
                    f"bench:topup:{household_id}:{balance}")
        db.session.commit()


def _top_up_spread(household_ids: list[int]) -> None:
    """Refill the spread households that earlier runs drained (through the ledger, so the chains stay
    valid): otherwise a growing share of every run is refused 409s, which cost ours and the bare
    loop differently and would skew the ratio."""
    from services import ledger

    low = db.session.execute(text("SELECT id, balance FROM household WHERE id <= :last AND balance < :floor"),
                             {"last": max(household_ids), "floor": SPREAD_FLOOR}).all()
    for household_id, balance in low:
        ledger.post(household_id, SPREAD_TOPUP, "adjustment", None, None, "基准测试充值",
                    f"bench:topup:{household_id}:{balance}:{SPREAD_TOPUP}")
    db.session.commit()


def run_wrk(bench: Bench, server: Server, sessions: str, seconds: float) -> dict:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(bench.clients), "-d", f"{seconds:g}s", "--timeout", "10s",
         "-s", os.path.join(ROOT, "bench", "redeem.lua"), server.base],
        capture_output=True, text=True, env=dict(os.environ, BENCH_SESSIONS=sessions), timeout=bench.seconds + 60)
    stats = {"statuses": {}}
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["status"]:
            stats["statuses"][int(parts[1])] = int(parts[2])
        elif len(parts) == 2 and parts[0] in ("latency_p50_us", "latency_p95_us", "requests", "duration_us"):
            stats[parts[0]] = int(parts[1])
    if "duration_us" not in stats:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    stats["ok"] = stats["statuses"].get(200, 0)
    stats["per_s"] = stats["ok"] / (stats["duration_us"] / 1e6)
    return stats


def run_bare(bench: Bench, sessions: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bare_loop", bench.url, sessions, f"{bench.seconds:g}",
                          str(bench.clients)], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT), timeout=bench.seconds + 120)
    stats = dict(line.split() for line in out.stdout.splitlines() if line.strip())
    if "ok" not in stats:
        raise RuntimeError(f"bare loop failed: {out.stderr[-2000:]}")
    ok, refused, secs = int(stats["ok"]), int(stats["refused"]), float(stats["seconds"])
    return {"ok": ok, "refused": refused, "per_s": ok / secs}


def measure_redemptions(bench: Bench, app, scenario: str, workers: int) -> float:
    sessions = prepare_sessions(bench, app, scenario)
    ours, bare, peak = [], [], 0.0
    for _ in range(bench.runs):
        _vacuum_hot_rows(bench)
        server = Server(bench, workers)
        try:
            mark = _marks(app)
            warm = run_wrk(bench, server, sessions, 1)  # first requests per worker compile SQL
            result = run_wrk(bench, server, sessions, bench.seconds)
            result["ok_total"] = warm["ok"] + result["ok"]
        finally:
            peak = max(peak, server.stop())
        _assert_invariants(bench, app, mark, f"{scenario} ours", result["ok_total"], result["statuses"],
                           in_flight=2 * bench.clients)
        ours.append(result)
        _vacuum_hot_rows(bench)
        mark = _marks(app)
        result = run_bare(bench, sessions)
        _assert_invariants(bench, app, mark, f"{scenario} bare loop", result["ok"], {"refused": result["refused"]})
        bare.append(result)
    _end_open_sessions(app)
    ours_rate = statistics.median(r["per_s"] for r in ours)
    bare_rate = statistics.median(r["per_s"] for r in bare)
    ratio = ours_rate / bare_rate
    goal = 0.25 if bench.dialect == "sqlite" else (1.0 if scenario == "hot" else 0.5)
    p95 = statistics.median(r.get("latency_p95_us", 0) for r in ours) / 1000
    what = "ONE household, ONE goods" if scenario == "hot" else f"{_spread_size(app)} households, their sites' goods"
    label = f"2. redemptions/s, {scenario}: {what}; {bench.clients} clients, {workers} {bench.worker_kind}"
    bench.rows.append(Row(label,
                          f"{ours_rate:,.0f}/s (client p95 {p95:.0f} ms)", f"{bare_rate:,.0f}/s", f"{ratio:.2f}×",
                          f"≥ {goal}×", _met(ratio >= goal),
                          dict(ours=[r["per_s"] for r in ours], bare=[r["per_s"] for r in bare],
                               statuses=[r["statuses"] for r in ours])))
    return peak


def _vacuum_hot_rows(bench: Bench) -> None:
    """PostgreSQL: clear the dead row versions a run leaves on the hot household and goods rows
    (thousands of UPDATEs each), so every run, ours or the bare loop's, starts alike."""
    if bench.dialect != "postgresql":
        return
    import psycopg

    with psycopg.connect(bench.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM household, goods, kiosk_session")


def _spread_size(app) -> int:
    return min(10_000, _count(app, "household"))


def _marks(app):
    with app.app_context():
        return invariants.marks()


def _assert_invariants(bench, app, mark, label, ok, statuses, in_flight=0) -> None:
    """`in_flight`: wrk stops counting with requests still running; they may commit after."""
    with app.app_context():
        result = invariants.check(mark)
    written = result.entries_checked
    bench.notes.append(f"{label}: {ok} redemptions (statuses {statuses}), {written} entries written, "
                       f"invariants {result}")
    assert result.ok, f"{label}: {result}"
    assert ok <= written <= ok + in_flight, f"{label}: {ok} redemptions answered 200, {written} entries written"


# ---------------------------------------------------------------- 3-6. in-process measures

def timed(fn, runs: int, warm: bool = True) -> tuple[float, float, object]:
    """Median wall and CPU seconds (this process: on a shared machine the CPU time is what the
    code costs) of `runs` calls after one untimed warm-up call, and the last result."""
    walls, cpus, result = [], [], fn() if warm else None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def measure_ranking(bench: Bench, app) -> None:
    from services.rankings import ranking

    start = date(2025, 12, 1)
    end = date(2026, 2, 28)
    with app.app_context():
        whole, whole_cpu, rows = timed(lambda: ranking(start, end), bench.runs)
        one_site, site_cpu, _ = timed(lambda: ranking(start, end, site_id=1), bench.runs)
        db.session.rollback()
    bench.rows.append(Row(f"3. ranking by points earned {start}…{end}, all {len(rows):,} households (ms)",
                          f"{whole * 1000:.0f} (Python CPU {whole_cpu * 1000:.0f})", goal="≤ 300",
                          met=_met(whole <= 0.3)))
    bench.rows.append(Row("3. the same for one site, as an honor list ranks (ms)",
                          f"{one_site * 1000:.0f} (Python CPU {site_cpu * 1000:.0f})", goal="≤ 300",
                          met=_met(one_site <= 0.3)))


def measure_card_pdf(bench: Bench, app, cards: int = 100) -> None:
    from models import Card, Household
    from services.card_pdf import PrintedCard, render_sheet

    with app.app_context():
        homes = db.session.execute(db.select(Household).order_by(Household.id).limit(cards)).scalars().all()
        items = []
        for home in homes:
            card = db.session.execute(db.select(Card).where(Card.household_id == home.id)).scalar_one()
            items.append(PrintedCard(home, card, card_token(bench.seed, home.id)))
        seconds, cpu, pdf = timed(lambda: render_sheet(items), bench.runs)
        db.session.rollback()
    rate = len(items) / seconds
    bench.rows.append(Row(f"4. QR card PDF, A4 sheets of 10 ({len(items)} cards, {len(pdf) // 1024} KiB), cards/s",
                          f"{rate:,.0f} ({len(items) / cpu:,.0f} per CPU-s)", goal="≥ 50", met=_met(rate >= 50)))


def measure_excel(bench: Bench, rows: int = 10_000) -> None:
    from bench import excel_import

    path = os.path.join(bench.workdir, "sheet.xlsx")
    excel_import.make_sheet(path, rows, "幸福家园安置点")
    base = statistics.median(excel_import.baseline(path) for _ in range(bench.runs))
    ours, cpu = [], []
    for run in range(bench.runs):
        started = time.process_time()
        ours.append(excel_import.ours(path, bench.workdir, run))
        cpu.append(time.process_time() - started)
    ours, cpu = statistics.median(ours), statistics.median(cpu)
    bench.rows.append(Row(f"5. Excel import of {rows:,} households, preview + import + commit (s)",
                          f"{ours:.2f} (CPU {cpu:.2f})", f"{base:.2f} (openpyxl read-only read)", f"{ours / base:.2f}×",
                          "≤ 10 s", _met(ours <= 10)))


def measure_verify(bench: Bench, app, runs: int) -> None:
    from services.verify import verify

    with app.app_context():
        seconds, cpu, report = timed(verify, runs, warm=False)
        db.session.rollback()
    assert report.ok, "\n".join(str(p) for p in report.problems[:20])
    bench.rows.append(Row(f"6. ledger verify, {report.entries:,} entries / {report.households:,} households "
                          f"(entries/s; per CPU-second of the verify process)",
                          f"{report.entries / seconds:,.0f} ({seconds:.1f} s); {report.entries / cpu:,.0f}/CPU-s",
                          goal="streams; report", met="OK" if report.ok else "FAILED"))


# ---------------------------------------------------------------- report

def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _count(app, table: str) -> int:
    with app.app_context():
        n = db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        db.session.rollback()
        return n


_SITES: dict[int, int] = {}


def _site_of(app, household_id: int) -> int:
    if not _SITES:
        with app.app_context():
            _SITES.update(db.session.execute(text("SELECT id, site_id FROM household")).all())
            db.session.rollback()
    return _SITES[household_id]


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average at start {load[0]:.1f}")


def render(bench: Bench, started: datetime, db_version: str, rss: dict) -> str:
    size = SCALES[bench.scale]
    lines = [
        f"### {bench.dialect} · {bench.scale} scale · {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- data: {size['sites']:,} sites, {size['households']:,} households, {size['entries']:,} generated "
        f"entries (bench/generate.py, seed {bench.seed}) plus what earlier runs added",
        f"- database: {db_version}",
        f"- machine: {machine()}",
        f"- runs: median of {bench.runs}; load runs {bench.seconds:g} s each, {bench.clients} concurrent "
        f"clients (wrk -t2, separate process)",
        "",
        "| measure | ours | baseline | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {r.measure} | {r.ours} | {r.baseline} | {r.ratio} | {r.goal} | {r.met} |" for r in bench.rows]
    lines += ["| peak RSS of the server (master + workers, Σ VmHWM) | "
              + " · ".join(f"{k} {v:.0f} MB" for k, v in rss.items()) + " | — | — | — | — |", ""]
    lines += ["Every load run, checked right after it:", ""] + [f"- {n}" for n in bench.notes] + [""]
    return "\n".join(lines)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", choices=sorted(SCALES), required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3, help="sync workers: 3 served most on 2 cores (round 4)")
    parser.add_argument("--spread-workers", type=int, default=0, help="0 = same as --workers")
    parser.add_argument("--threads", type=int, default=1, help="> 1: gthread workers with this many threads")
    parser.add_argument("--scan-cards", type=int, default=2000)
    parser.add_argument("--excel-rows", type=int, default=10_000)
    parser.add_argument("--verify-runs", type=int, default=1)
    parser.add_argument("--skip", default="", help="comma list of: scan,redeem,ranking,pdf,excel,verify")
    parser.add_argument("--out", help="append the section to this markdown file")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    started = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as workdir:
        bench = Bench(args.database_url, args.scale, args.seed, args.runs, args.seconds, args.clients,
                      args.workers, workdir, args.threads)
        app = make_app(args.database_url)
        ensure_kiosks(app, args.seed)
        with app.app_context():
            db_version = db.session.execute(text(
                "SELECT sqlite_version()" if bench.dialect == "sqlite" else "SHOW server_version")).scalar_one()
            db_version = f"{bench.dialect} {db_version}"
            db.session.rollback()
        rss = {}
        if "scan" not in skip:
            rss["scan"] = measure_scan(bench, app, args.scan_cards)
        if "redeem" not in skip:
            rss["hot"] = measure_redemptions(bench, app, "hot", args.workers)
            rss["spread"] = measure_redemptions(bench, app, "spread", args.spread_workers or args.workers)
        if "ranking" not in skip:
            measure_ranking(bench, app)
        if "pdf" not in skip:
            measure_card_pdf(bench, app)
        if "excel" not in skip:
            measure_excel(bench, args.excel_rows)
        if "verify" not in skip:
            measure_verify(bench, app, args.verify_runs)
        section = render(bench, started, db_version, rss)
    print(section)
    if args.out:
        with open(args.out, "a") as f:
            f.write(section + "\n")
    return section


if __name__ == "__main__":
    main()
