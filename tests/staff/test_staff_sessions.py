"""Staff sessions end: after STAFF_SESSION_HOURS, after STAFF_IDLE_MINUTES without a request, and
everywhere else when the password changes (docs/decisions.md#staff-sessions)."""
import time

import pytest

from extensions import db
from models import StaffUser


@pytest.fixture
def clock(monkeypatch):
    """time.time() as admin/auth.py sees it, moved forward by the test."""
    now = [time.time()]
    monkeypatch.setattr("admin.auth.time.time", lambda: now[0])
    return now


def _logged_in(client) -> bool:
    return client.get("/admin/households").status_code == 200


def _bounced(client, message) -> None:
    answer = client.get("/admin/households")
    assert answer.status_code == 302 and "/admin/login" in answer.location
    assert message in client.get(answer.location).get_data(as_text=True)


def test_idle_session_ends(app, client, make_user, login, clock):
    login(make_user("cadre"))
    assert _logged_in(client)
    clock[0] += 29 * 60
    assert _logged_in(client)  # a request resets the idle clock
    clock[0] += 29 * 60
    assert _logged_in(client)
    clock[0] += 31 * 60
    _bounced(client, "长时间没有操作")
    clock[0] += 1
    assert not _logged_in(client)  # and stays ended


def test_session_lifetime_ends_even_when_busy(app, client, make_user, login, clock):
    login(make_user("cadre"))
    start = clock[0]
    for _ in range(12 * 4 + 2):
        clock[0] += 15 * 60
        if not _logged_in(client):
            break
    _bounced(client, "超过时限")
    assert 12 * 3600 <= clock[0] - start <= 12 * 3600 + 15 * 60  # logged in until 12 hours had passed


def test_timeouts_are_configurable(app, client, make_user, login, clock):
    app.config["STAFF_IDLE_MINUTES"] = 5
    login(make_user("cadre"))
    clock[0] += 6 * 60
    _bounced(client, "长时间没有操作")


def test_password_change_ends_the_other_sessions_only(app, make_user, login):
    user = make_user("cadre")
    db.session.commit()
    desk, phone = app.test_client(), app.test_client()
    for client in (desk, phone):
        assert client.post("/admin/login", data={"username": user.username, "password": "password123"}).status_code == 302
        assert _logged_in(client)
    answer = desk.post("/admin/password", data={"current": "password123", "new": "brandnew123", "confirm": "brandnew123"})
    assert answer.status_code == 302
    assert _logged_in(desk)  # the session that changed it goes on
    _bounced(phone, "密码已修改")
    assert phone.post("/admin/login", data={"username": user.username, "password": "brandnew123"}).status_code == 302
    assert _logged_in(phone)


def test_admin_password_reset_ends_the_users_sessions(app, make_user):
    user = make_user("cadre")
    db.session.commit()
    client = app.test_client()
    client.post("/admin/login", data={"username": user.username, "password": "password123"})
    assert _logged_in(client)
    stored = db.session.get(StaffUser, user.id)
    stored.set_password("resetbyadmin1")
    db.session.commit()
    _bounced(client, "密码已修改")


def test_a_session_without_the_version_is_refused(app, make_user):
    user = make_user("cadre")
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:  # an old-style cookie: the id alone
        session["_user_id"], session["_fresh"] = str(user.id), True
        session["_staff_login_at"] = session["_staff_seen_at"] = int(time.time())
    assert not _logged_in(client)
