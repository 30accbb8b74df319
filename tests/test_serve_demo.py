"""The start command serves the demo with gunicorn (as production does), prints the same URLs,
and answers /favicon.ico."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_serve_demo_runs_gunicorn_and_prints_the_urls(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "SECRET_KEY": "s" * 64,
           "LEDGER_KEY": "l" * 64, "FLASK_APP": "app", "PYTHONUNBUFFERED": "1"}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(flask + ["init-db"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    subprocess.run(flask + ["demo-data", "--households", "40"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    port = _free_port()
    server = subprocess.Popen(flask + ["serve-demo", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, status = time.time() + 60, None
        while time.time() < deadline and status is None:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=2).status
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        assert status == 200
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login", timeout=5).status == 200
    finally:
        os.killpg(server.pid, 15)
        output = server.communicate(timeout=30)[0]
    assert f"管理后台 admin:  http://127.0.0.1:{port}/admin/" in output
    assert f"超市终端 kiosk:  http://127.0.0.1:{port}/kiosk/" in output
    assert "development server" not in output and "Debugger" not in output
    assert f"Listening at: http://127.0.0.1:{port}" in output and "gthread" in output, output[-2000:]
    assert "Traceback" not in output, output


@pytest.fixture
def captured(monkeypatch):
    from gunicorn.app.base import BaseApplication

    seen = {}
    monkeypatch.setattr(BaseApplication, "run", lambda self: seen.update(
        {k: self.cfg.settings[k].get() for k in ("bind", "workers", "worker_class", "threads")}, app=self.load()))
    return seen


def test_serve_demo_uses_the_production_worker_settings(runner, app, captured, monkeypatch):
    import admin.commands

    monkeypatch.setattr(admin.commands, "_prepare_in_background", lambda app: None)
    result = runner.invoke(args=["serve-demo", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert captured["bind"] == ["127.0.0.1:5055"]
    assert (captured["workers"], captured["threads"]) == (4, 1)
    assert "gthread" in str(captured["worker_class"]).lower()
    assert captured["app"] is app
