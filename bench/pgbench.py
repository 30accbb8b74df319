"""The machine's limit on PostgreSQL (docs/performance.md): pgbench on the same database, the same
clients and the same durability as the redemption runs, measured in the same harness run.

- hot: one `UPDATE bench_hot_row SET n = n + 1 WHERE id = 1` per transaction (every client waits
  for the same row lock, as every kiosk of the hot redemption run waits for one household);
- spread: pgbench's built-in simple-update script (`-N`: UPDATE one random account, SELECT it,
  INSERT a history row) at a scale with at least as many accounts as the spread run's households.

Each returns transactions/s and the p50 / p95 latency (ms) from pgbench's per-transaction log."""
import glob
import os
import re
import shutil
import statistics
import subprocess

#: pgbench's accounts per unit of scale
ACCOUNTS_PER_SCALE = 100_000
HOT_SCRIPT = "UPDATE bench_hot_row SET n = n + 1 WHERE id = 1;\n"


def available() -> bool:
    return shutil.which("pgbench") is not None


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def prepare(url: str, spread_rows: int) -> None:
    """The hot row's table and pgbench's tables (at a scale of at least `spread_rows` accounts);
    made once per database, kept for later runs."""
    import psycopg

    scale = max(1, -(-spread_rows // ACCOUNTS_PER_SCALE))
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_hot_row (id integer PRIMARY KEY, n bigint NOT NULL)")
        conn.execute("INSERT INTO bench_hot_row VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
        have = conn.execute("SELECT to_regclass('pgbench_accounts') IS NOT NULL").fetchone()[0]
        accounts = conn.execute("SELECT count(*) FROM pgbench_accounts").fetchone()[0] if have else 0
    if accounts < scale * ACCOUNTS_PER_SCALE:
        subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), _conninfo(url)], check=True,
                       capture_output=True, text=True)


def vacuum(url: str) -> None:
    """As the harness vacuums the app's hot rows before each run, so every run starts alike."""
    import psycopg

    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM bench_hot_row, pgbench_accounts, pgbench_history")


def run(url: str, kind: str, clients: int, seconds: float, workdir: str) -> dict:
    """One pgbench run, `kind` "hot" or "spread"; {"per_s", "p50_ms", "p95_ms", "transactions"}."""
    vacuum(url)
    prefix = os.path.join(workdir, f"pgbench-{kind}")
    for old in glob.glob(prefix + ".*"):
        os.remove(old)
    args = ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(max(1, round(seconds))),
            "-l", "--log-prefix", prefix]
    if kind == "hot":
        script = os.path.join(workdir, "hot-row.sql")
        with open(script, "w") as f:
            f.write(HOT_SCRIPT)
        args += ["-f", script]
    else:
        args += ["-N"]
    out = subprocess.run([*args, _conninfo(url)], capture_output=True, text=True, cwd=workdir,
                         timeout=seconds + 120)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if out.returncode != 0 or match is None:
        raise RuntimeError(f"pgbench failed: {out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    latencies = []  # per-transaction log: client_id transaction_no time(µs) script_no time_epoch time_us
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            latencies.extend(int(line.split()[2]) / 1000 for line in f if line.strip())
    latencies.sort()
    return {"per_s": float(match.group(1)), "transactions": len(latencies),
            "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "p95_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0.0}
