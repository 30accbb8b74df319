"""App factory, configuration and SQLite settings."""
from sqlalchemy import text

from app import create_app
from extensions import db


def test_sqlite_runs_wal_with_full_sync_and_foreign_keys(app):
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_secrets_are_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("LEDGER_KEY", raising=False)
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": None, "LEDGER_KEY": None}
    first = create_app(settings, instance_path=str(tmp_path / "instance"))
    second = create_app(settings, instance_path=str(tmp_path / "instance"))
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["LEDGER_KEY"] != first.config["SECRET_KEY"]
    assert (tmp_path / "instance" / "ledger_key").stat().st_mode & 0o077 == 0


def test_login_and_logout(client, make_user, login):
    user = make_user("cadre")
    response = login(user)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout")
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_in_chinese(client, make_user, login):
    user = make_user("cadre")
    response = login(user, password="nope")
    assert response.status_code == 200 and "用户名或密码不对" in response.get_data(as_text=True)


def test_verify_page_is_for_auditors(client, make_user, login, make_household):
    make_household(balance=5)
    login(make_user("cadre", username="c1"))
    assert client.get("/admin/ledger/verify").status_code == 403
    client.post("/admin/logout")
    login(make_user("auditor", username="a1"))
    page = client.get("/admin/ledger/verify").get_data(as_text=True)
    assert "开始校验" in page  # the run itself: tests/ledger/test_verify_page.py


def test_pages_are_chinese_only(client):
    """No language switch: ?lang=en is ignored and sets no cookie."""
    response = client.get("/admin/login?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "工作人员登录" in page
    assert "Staff login" not in page and "English" not in page
    assert "lang" not in response.headers.get("Set-Cookie", "")


def test_security_headers(client):
    response = client.get("/admin/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in response.headers["Permissions-Policy"]


def test_session_cookie_is_httponly_and_samesite(client, make_user, login):
    response = login(make_user("cadre"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_json_responses_are_flasks_json_in_utf8(app):
    """jsonify goes through orjson (extensions.FastJSONProvider): the same values as Flask's own
    encoder (HTTP dates, Decimal as text, dataclasses, keys in the order built), text as UTF-8."""
    import dataclasses
    import json
    from datetime import date, datetime
    from decimal import Decimal

    from flask import jsonify
    from flask.json.provider import DefaultJSONProvider

    @dataclasses.dataclass
    class Line:
        name: str
        qty: int

    value = {"name": "张*𠮷", "when": datetime(2026, 11, 23, 8, 30), "day": date(2026, 11, 23),
             "money": Decimal("12.50"), "line": Line("大米", 2), "z": 1, "a": [None, True, 1.5]}
    with app.test_request_context():
        body = jsonify(value).get_data()
        flasks = DefaultJSONProvider(app)
        flasks.sort_keys = False
        assert json.loads(body) == json.loads(flasks.dumps(value))
        assert "张*𠮷".encode() in body and b"\\u" not in body
        assert list(json.loads(body)) == list(value)  # not sorted
        assert jsonify(a=1).mimetype == "application/json"
        app.debug = True
        try:
            assert jsonify(value).get_data(as_text=True).startswith('{\n  "name"')  # debug: indented, by Flask
        finally:
            app.debug = False
