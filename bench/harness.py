"""What the benchmark's measures share: the run's settings (Bench), a table row (Row), the gunicorn
server under test, and small database helpers."""
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from sqlalchemy import text

from extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    threads: int = 0  # ≥ 1: gunicorn's gthread workers with this many threads (keep-alive), 0: sync workers
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def worker_args(self) -> list[str]:
        return ["-k", "gthread", "--threads", str(self.threads)] if self.threads >= 1 else []

    @property
    def worker_kind(self) -> str:
        return f"gthread workers × {self.threads} threads" if self.threads >= 1 else "sync workers"

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


def git_commit() -> dict:
    """The commit a run measured, and whether the worktree had changes on top of it (for bench/results/)."""
    def git(*args):
        out = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=ROOT)
        return out.stdout.strip() if out.returncode == 0 else None

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def count_rows(app, table: str) -> int:
    with app.app_context():
        n = db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        db.session.rollback()
        return n


def vacuum_hot_rows(bench: Bench) -> None:
    """PostgreSQL: clear the dead row versions a run leaves on the hot household and goods rows
    (thousands of UPDATEs each), so every run, ours or the bare loop's, starts alike."""
    if bench.dialect != "postgresql":
        return
    import psycopg

    with psycopg.connect(bench.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM household, goods, kiosk_session")
