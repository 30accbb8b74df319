"""Measure 2: redemptions/s through POST /kiosk/api/redeem under gunicorn (wrk, separate process),
hot and spread, against bench.bare_loop with the same concurrency and durability; the invariants
are checked after every run."""
import os
import secrets
import statistics
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import text

from bench import invariants, pgbench
from bench.generate import device_token, goods_ids_of
from bench.harness import ROOT, Bench, Row, Server, count_rows, met, vacuum_hot_rows
from extensions import db
from models.clock import utcnow

HOT_HOUSEHOLD = 1
HOT_TOPUP = 1_000_000
#: a spread household below SPREAD_FLOOR points gets SPREAD_TOPUP before a spread measurement
SPREAD_FLOOR, SPREAD_TOPUP = 20_000, 100_000


def prepare_sessions(bench: Bench, app, scenario: str) -> str:
    """Open kiosk sessions straight in the database (a scan per session would end the device's
    previous one); returns the "device_token session_id goods_id" file wrk and the bare loop read."""
    with app.app_context():
        if scenario == "hot":
            _top_up(HOT_HOUSEHOLD)
            homes = [HOT_HOUSEHOLD] * bench.clients
        else:
            homes = list(range(1, min(10_000, count_rows(app, "household")) + 1))
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


def end_open_sessions(app) -> None:
    """End the kiosk sessions prepare_sessions() opened. A kiosk has one open session at a time (each
    scan ends its previous one), but those are inserted directly, many per device: left open, the next
    run's first scan on each device would end dozens of them and be slower for it."""
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
    """Ours, the bare loop and (PostgreSQL) pgbench's limit, in turn within each of --runs runs."""
    sessions = prepare_sessions(bench, app, scenario)
    limit_runs = bench.dialect == "postgresql" and pgbench.available()
    if limit_runs:
        pgbench.prepare(bench.url, _spread_size(app))
    ours, bare, limit, peak = [], [], [], 0.0
    for _ in range(bench.runs):
        vacuum_hot_rows(bench)
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
        vacuum_hot_rows(bench)
        mark = _marks(app)
        result = run_bare(bench, sessions)
        _assert_invariants(bench, app, mark, f"{scenario} bare loop", result["ok"], {"refused": result["refused"]})
        bare.append(result)
        if limit_runs:
            limit.append(pgbench.run(bench.url, scenario, bench.clients, bench.seconds, bench.workdir))
            bench.notes.append(f"{scenario} pgbench: {limit[-1]['per_s']:,.0f}/s, p95 {limit[-1]['p95_ms']:.1f} ms")
    end_open_sessions(app)
    ours_rate = statistics.median(r["per_s"] for r in ours)
    bare_rate = statistics.median(r["per_s"] for r in bare)
    bare_ratio = ours_rate / bare_rate
    p95 = statistics.median(r.get("latency_p95_us", 0) for r in ours) / 1000
    what = "ONE household, ONE goods" if scenario == "hot" else f"{_spread_size(app)} households, their sites' goods"
    label = f"2. redemptions/s, {scenario}: {what}; {bench.clients} clients, {workers} {bench.worker_kind}"
    raw = dict(ours=[r["per_s"] for r in ours], bare=[r["per_s"] for r in bare],
               ours_p95_ms=[r.get("latency_p95_us", 0) / 1000 for r in ours],
               statuses=[r["statuses"] for r in ours], bare_ratio=bare_ratio)
    if limit:
        limit_rate = statistics.median(r["per_s"] for r in limit)
        limit_p95 = statistics.median(r["p95_ms"] for r in limit)
        ratio, p95_ratio = ours_rate / limit_rate, p95 / limit_p95
        what_limit = "one-row UPDATE" if scenario == "hot" else "simple-update -N"
        goal_met = ratio >= 0.5 and (scenario != "hot" or p95_ratio <= 3)
        raw.update(limit=[r["per_s"] for r in limit], limit_p95_ms=[r["p95_ms"] for r in limit],
                   limit_ratio=ratio, p95_ratio=p95_ratio)
        bench.rows.append(Row(label, f"{ours_rate:,.0f}/s (client p95 {p95:.1f} ms)",
                              f"pgbench {what_limit} {limit_rate:,.0f}/s (p95 {limit_p95:.1f} ms); "
                              f"bare loop {bare_rate:,.0f}/s",
                              f"{ratio:.2f}× limit (p95 {p95_ratio:.1f}×); {bare_ratio:.2f}× bare loop",
                              "≥ 0.5× limit" + (", p95 ≤ 3×" if scenario == "hot" else ""), met(goal_met), raw))
        return peak
    goal = 0.25 if bench.dialect == "sqlite" else (1.0 if scenario == "hot" else 0.5)
    bench.rows.append(Row(label, f"{ours_rate:,.0f}/s (client p95 {p95:.1f} ms)", f"bare loop {bare_rate:,.0f}/s",
                          f"{bare_ratio:.2f}× bare loop", f"≥ {goal}× bare loop", met(bare_ratio >= goal), raw))
    return peak


def _spread_size(app) -> int:
    return min(10_000, count_rows(app, "household"))


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
