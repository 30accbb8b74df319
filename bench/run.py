"""Every measure and its baseline in ONE run (docs/performance.md); the results as JSON.

    python -m bench.run --database-url sqlite:////tmp/bench/county.db --scale county --out bench/results
    python -m bench.run --database-url postgresql+psycopg://postgres@127.0.0.1/bench_province --scale province \
        --out bench/results

Prints a markdown table; `--out DIR` also writes bench/results/<date>-<scale>.json (a new file per run,
never appended to docs/), `--out FILE.json` writes that file.

The database must come from bench.generate (same seed). Measures: 1 kiosk scan vs a bare indexed
SELECT in the same gunicorn server (server-side times from the access log); 2 redemptions/s through
POST /kiosk/api/redeem under gunicorn with wrk (16 connections, separate process), hot and spread,
vs bench.bare_loop with the same concurrency and durability, invariants checked after every run;
3 ranking; 4 card PDF; 5 Excel import; 6 verify; peak RSS of the server. Median of --runs runs.
Measure 2 is bench/redemptions.py; what the measures share (settings, the server) bench/harness.py."""
import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import date, datetime, timezone

from sqlalchemy import text

from bench.generate import SCALES, card_token, device_token, ensure_kiosks, make_app
from bench.harness import Bench, Row, Server, count_rows, git_commit, met, vacuum_hot_rows
from bench.redemptions import end_open_sessions, measure_redemptions
from extensions import db

# ---------------------------------------------------------------- 1. scan

def measure_scan(bench: Bench, app, cards: int) -> float:
    """Interleaved real scans and bare GETs, server-side µs from the gunicorn access log; --runs
    passes, each on a fresh server, and the pass with the median ratio is reported."""
    import random

    passes, peak = [], 0.0
    end_open_sessions(app)  # earlier redemption runs' sessions, if any
    for n in range(bench.runs):
        vacuum_hot_rows(bench)
        scan, bare, failures, rss = _scan_pass(bench, app, cards, random.Random(bench.seed + n), n)
        passes.append((scan[0] / bare[0], scan, bare, failures))
        peak = max(peak, rss)
    ratio, scan, bare, _ = sorted(passes, key=lambda one: one[0])[len(passes) // 2]
    failures = sum(one[3] for one in passes)
    every = ", ".join(f"{one[0]:.2f}" for one in passes)
    bench.rows.append(Row("1. kiosk scan → household JSON, server-side p50 / p95 (ms)",
                          f"{scan[0]:.2f} / {scan[1]:.2f}", f"{bare[0]:.2f} / {bare[1]:.2f}",
                          f"{ratio:.2f}× (p95 {scan[1] / bare[1]:.2f}×; passes {every})", "≤ 1.5×",
                          met(ratio <= 1.5),
                          {"scan_p50_ms": scan[0], "scan_p95_ms": scan[1], "bare_p50_ms": bare[0],
                           "bare_p95_ms": bare[1], "ratio": ratio, "pass_ratios": [one[0] for one in passes],
                           "cards": cards, "failures": failures}))
    assert failures == 0, f"{failures} scan/bare requests failed"
    return peak


def _scan_pass(bench: Bench, app, cards: int, rng, number: int):
    """One server, `cards` scans of random cards each followed by a bare GET; (scan p50/p95, bare
    p50/p95, failed requests, peak RSS)."""
    import http.client

    households = count_rows(app, "household")
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

    for _attempt in range(3):
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
    from services.honors.rankings import ranking

    start = date(2025, 12, 1)
    end = date(2026, 2, 28)
    with app.app_context():
        whole, whole_cpu, rows = timed(lambda: ranking(start, end), bench.runs)
        one_site, site_cpu, _ = timed(lambda: ranking(start, end, site_id=1), bench.runs)
        db.session.rollback()
    # The goal is the honor list's ranking, which ranks one site (services/honors/lists.py, honor_candidates.py);
    # nothing in the app ranks every household at once: that figure is for reference only.
    bench.rows.append(Row(f"3. ranking by points earned {start}…{end}, one site, as an honor list ranks (ms)",
                          f"{one_site * 1000:.0f} (Python CPU {site_cpu * 1000:.0f})", goal="≤ 300",
                          met=met(one_site <= 0.3), raw={"ms": one_site * 1000, "cpu_ms": site_cpu * 1000}))
    bench.rows.append(Row(f"3. for reference: every household of the database at once, {len(rows):,} (ms)",
                          f"{whole * 1000:.0f} (Python CPU {whole_cpu * 1000:.0f})",
                          goal="none (no page or list ranks them all)",
                          raw={"ms": whole * 1000, "cpu_ms": whole_cpu * 1000, "households": len(rows)}))


def measure_card_pdf(bench: Bench, app, cards: int = 100) -> None:
    from models import Card, Household
    from services.households.card_pdf import PrintedCard, render_sheet

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
                          f"{rate:,.0f} ({len(items) / cpu:,.0f} per CPU-s)", goal="≥ 50", met=met(rate >= 50),
                          raw={"cards_per_s": rate, "cards_per_cpu_s": len(items) / cpu, "cards": len(items),
                               "pdf_bytes": len(pdf)}))


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
                          "≤ 10 s", met(ours <= 10),
                          {"seconds": ours, "cpu_seconds": cpu, "baseline_seconds": base, "ratio": ours / base,
                           "rows": rows}))


def measure_verify(bench: Bench, app, runs: int) -> None:
    from services.ledger.verify import verify

    with app.app_context():
        seconds, cpu, report = timed(verify, runs, warm=False)
        db.session.rollback()
    assert report.ok, "\n".join(str(p) for p in report.problems[:20])
    bench.rows.append(Row(f"6. ledger verify, {report.entries:,} entries / {report.households:,} households "
                          f"(entries/s; per CPU-second of the verify process)",
                          f"{report.entries / seconds:,.0f} ({seconds:.1f} s); {report.entries / cpu:,.0f}/CPU-s",
                          goal="streams; report", met="OK" if report.ok else "FAILED",
                          raw={"entries": report.entries, "households": report.households, "seconds": seconds,
                               "cpu_seconds": cpu, "entries_per_s": report.entries / seconds,
                               "entries_per_cpu_s": report.entries / cpu}))


# ---------------------------------------------------------------- report

_SITES: dict[int, int] = {}


def _site_of(app, household_id: int) -> int:
    if not _SITES:
        with app.app_context():
            _SITES.update(db.session.execute(text("SELECT id, site_id FROM household")).all())
            db.session.rollback()
    return _SITES[household_id]


def machine_info() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "load_average_at_start": round(os.getloadavg()[0], 2)}


def machine(info: dict) -> str:
    return (f"{info['cores']} cores ({info['cpu']}), {info['system']}, Python {info['python']}, "
            f"load average at start {info['load_average_at_start']:.1f}")


def measure_key(row: Row) -> str:
    """A stable key per table row for tools that read the JSON (the label carries the figures' context)."""
    label = row.measure
    for prefix, key in (("1.", "scan"), ("2. redemptions/s, hot", "redeem_hot"),
                        ("2. redemptions/s, spread", "redeem_spread"), ("3. for reference", "ranking_all"),
                        ("3.", "ranking_site"), ("4.", "card_pdf"), ("5.", "excel_import"), ("6.", "verify")):
        if label.startswith(prefix):
            return key
    return label


def result_json(bench: Bench, started: datetime, db_version: str, rss: dict, info: dict) -> dict:
    """The run as written to bench/results/: the same figures as render(), machine-readable."""
    size = SCALES[bench.scale]
    return {
        "started_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **git_commit(),
        "database": {"dialect": bench.dialect, "version": db_version},
        "data": {"scale": bench.scale, "seed": bench.seed, **size},
        "machine": info,
        "settings": {"runs": bench.runs, "load_seconds": bench.seconds, "clients": bench.clients,
                     "workers": bench.workers, "threads": bench.threads, "worker_kind": bench.worker_kind},
        "measures": [{"key": measure_key(r), "measure": r.measure, "ours": r.ours, "baseline": r.baseline,
                      "ratio": r.ratio, "goal": r.goal, "met": r.met, "values": r.raw} for r in bench.rows],
        "peak_rss_mb": {k: round(v) for k, v in rss.items()},
        "load_runs": list(bench.notes),
    }


def write_result(result: dict, out: str) -> str:
    """`out` a .json file: that file; else a folder: <folder>/<date>-<scale>.json, -2, -3 … when taken."""
    if out.endswith(".json"):
        path = out
    else:
        os.makedirs(out, exist_ok=True)
        stem = os.path.join(out, f"{result['started_utc'][:10]}-{result['data']['scale']}")
        path, n = f"{stem}.json", 1
        while os.path.exists(path):
            n += 1
            path = f"{stem}-{n}.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=2, default=str)
        f.write("\n")
    return path


def render(bench: Bench, started: datetime, db_version: str, rss: dict, info: dict) -> str:
    size = SCALES[bench.scale]
    lines = [
        f"### {bench.dialect} · {bench.scale} scale · {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- data: {size['sites']:,} sites, {size['households']:,} households, {size['entries']:,} generated "
        f"entries (bench/generate.py, seed {bench.seed}) plus what earlier runs added",
        f"- database: {db_version}",
        f"- machine: {machine(info)}",
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
    parser.add_argument("--workers", type=int, default=4, help="4 gthread workers × 1 thread: the served setting "
                                                               "(docs/performance.md)")
    parser.add_argument("--spread-workers", type=int, default=0, help="0 = same as --workers")
    parser.add_argument("--threads", type=int, default=1, help="≥ 1: gthread workers with this many threads; 0: sync")
    parser.add_argument("--scan-cards", type=int, default=2000)
    parser.add_argument("--excel-rows", type=int, default=10_000)
    parser.add_argument("--verify-runs", type=int, default=1)
    parser.add_argument("--skip", default="", help="comma list of: scan,redeem,ranking,pdf,excel,verify")
    parser.add_argument("--out", help="write the results as JSON: a folder (bench/results → <date>-<scale>.json) "
                                      "or a .json file")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    started = datetime.now(timezone.utc)
    info = machine_info()
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
        section = render(bench, started, db_version, rss, info)
        result = result_json(bench, started, db_version, rss, info)
    print(section)
    if args.out:
        print(f"results written: {write_result(result, args.out)}")
    return section


if __name__ == "__main__":
    main()
