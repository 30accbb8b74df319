"""Staff accounts and the login surface: CSRF, rate limit, safe next, disabled users, cookies,
staff management (admin only, audited) and the auditor's audit-log viewer."""
from urllib.parse import urlsplit

import pytest

from extensions import db
from models import AuditLog, StaffUser
from services.staff import audit
from tests.conftest import _sqlite_app


def csrf_token(client, url="/admin/login") -> str:
    html = client.get(url).get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


@pytest.fixture
def strict_app(sqlite_template, tmp_path):
    """CSRF and rate limits ON (TestConfig turns them off)."""
    app = _sqlite_app(sqlite_template, tmp_path, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True,
                      LOGIN_RATE_LIMIT="5 per minute")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_csrf_required_on_login_and_staff_forms(strict_app, make_site, make_user):
    site = make_site()
    make_user("cadre", username="cadre1", sites=[site])
    db.session.commit()
    client = strict_app.test_client()
    assert client.post("/admin/login", data={"username": "cadre1", "password": "password123"}).status_code == 400
    token = csrf_token(client)
    resp = client.post("/admin/login", data={"username": "cadre1", "password": "password123", "csrf_token": token})
    assert resp.status_code == 302
    form = {"site_id": site.id, "head_name": "无令牌"}
    assert client.post("/admin/households/new", data=form).status_code == 400
    form["csrf_token"] = csrf_token(client, "/admin/households/new")
    assert client.post("/admin/households/new", data=form).status_code == 302
    assert client.post("/admin/logout").status_code == 400  # logout is a POST with CSRF too


def test_login_is_rate_limited(strict_app, make_user):
    make_user("cadre", username="victim")
    db.session.commit()
    client = strict_app.test_client()
    token = csrf_token(client)
    codes = [client.post("/admin/login", data={"username": "victim", "password": "wrong", "csrf_token": token}
                         ).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_kiosk_pairing_keeps_its_limit_and_unlimited_kiosk_calls_skip_the_limiter(strict_app, monkeypatch):
    from flask_limiter import Limiter

    from extensions import UNLIMITED_ENDPOINTS

    assert {"kiosk.api_scan", "kiosk.api_redeem"} <= UNLIMITED_ENDPOINTS and "kiosk.api_pair" not in UNLIMITED_ENDPOINTS
    checked = []
    resolve = Limiter._check_request_limit
    monkeypatch.setattr(Limiter, "_check_request_limit",
                        lambda self, *args, **kwargs: checked.append(1) or resolve(self, *args, **kwargs))
    client = strict_app.test_client()
    codes = [client.post("/kiosk/api/pair", json={"code": "AAAA-AAAA"}).status_code for _ in range(21)]
    assert codes[:20] == [400] * 20 and codes[20] == 429  # "20 per minute"
    assert len(checked) == 21
    assert all(client.post("/kiosk/api/scan", json={"card": "x"}).status_code == 401 for _ in range(30))
    assert len(checked) == 21  # the scan has no limit: the limiter had nothing to resolve


@pytest.mark.parametrize("target, expected", [
    ("/admin/households", "/admin/households"),
    ("//evil.example/steal", "/admin/"),
    ("https://evil.example/", "/admin/"),
    ("javascript:alert(1)", "/admin/"),
    ("/\\evil.example", None),  # werkzeug percent-encodes it to the harmless path /%5Cevil.example
])
def test_login_next_is_safe(app, client, make_user, target, expected):
    make_user("cadre", username="nexter")
    db.session.commit()
    resp = client.post("/admin/login", query_string={"next": target},
                       data={"username": "nexter", "password": "password123"})
    assert resp.status_code == 302
    parts = urlsplit(resp.location)
    assert parts.netloc in ("", "localhost") and not resp.location.startswith("//") and "\\" not in resp.location
    if expected:
        assert parts.path == expected


def test_disabled_user_cannot_log_in_and_is_logged_out(app, client, make_user, login):
    user = make_user("cadre", username="gone")
    user.active = False
    html = login(user).get_data(as_text=True)
    assert "这个账号已停用" in html
    assert client.get("/admin/").status_code == 302
    user.active = True
    assert login(user).status_code == 302
    assert client.get("/admin/households").status_code == 200
    user.active = False
    db.session.commit()
    resp = client.get("/admin/households")
    assert resp.status_code == 302 and "/admin/login" in resp.location


def test_session_cookie_flags(app, client, make_user, login):
    resp = login(make_user("cadre"))
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_admin_creates_and_edits_staff_with_scope(app, client, make_site, make_user, make_household, login):
    site = make_site()
    admin = make_user("admin")
    login(admin)
    resp = client.post("/admin/staff/new", data={
        "username": "newcadre", "display_name": "新干部", "roles": ["cadre", "committee"],
        "sites": [str(site.id)], "active": "y", "password": "longpassword1"})
    assert resp.status_code == 302
    user = db.session.execute(db.select(StaffUser).where(StaffUser.username == "newcadre")).scalar_one()
    assert user.roles == {"cadre", "committee"} and [s.site_id for s in user.scopes] == [site.id]
    assert user.check_password("longpassword1")
    # no scope for a non-admin role is refused; duplicate usernames are refused
    html = client.post(f"/admin/staff/{user.id}/edit", data={
        "username": "newcadre", "display_name": "新干部", "roles": ["cadre"]}).get_data(as_text=True)
    assert "请为该用户选择管理范围" in html
    html = client.post("/admin/staff/new", data={"username": "newcadre", "display_name": "x", "roles": ["auditor"],
                                                 "password": "longpassword1", "areas": [str(site.area_id)]}
                       ).get_data(as_text=True)
    assert "已被使用" in html
    # an unknown own household is refused
    html = client.post(f"/admin/staff/{user.id}/edit", data={
        "username": "newcadre", "display_name": "新干部", "roles": ["cadre"], "sites": [str(site.id)],
        "household_id": "999"}).get_data(as_text=True)
    assert "没有户号为 999 的住户" in html
    # disable + reset password + own household (recusal)
    home = make_household(site)
    resp = client.post(f"/admin/staff/{user.id}/edit", data={
        "username": "newcadre", "display_name": "新干部", "roles": ["cadre"], "sites": [str(site.id)],
        "password": "anotherpass2", "household_id": str(home.id)})
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(StaffUser, user.id)
    assert not user.active and user.check_password("anotherpass2") and user.household_id == home.id
    logs = db.session.execute(db.select(AuditLog).where(AuditLog.object_type == "staff_user",
                                                        AuditLog.action.in_(["staff.create", "staff.update"]))
                              ).scalars().all()
    assert [l.action for l in logs] == ["staff.create", "staff.update"]
    assert '"password_reset": true' in logs[1].after and "password_hash" not in logs[1].after


def test_admin_cannot_lock_themselves_out(app, client, make_user, login):
    admin = make_user("admin", username="boss")
    login(admin)
    html = client.post(f"/admin/staff/{admin.id}/edit", data={"username": "boss", "display_name": "x",
                                                              "roles": ["admin"]}).get_data(as_text=True)
    assert "不能停用自己" in html
    db.session.expire_all()
    assert db.session.get(StaffUser, admin.id).active


def test_staff_pages_are_admin_only(app, client, make_user, login):
    login(make_user("cadre", "auditor"))
    assert client.get("/admin/staff").status_code == 403
    assert client.post("/admin/staff/new", data={}).status_code == 403


def test_password_change(app, client, make_user, login):
    user = make_user("cadre")
    login(user)
    resp = client.post("/admin/password", data={"current": "password123", "new": "brandnew123", "confirm": "brandnew123"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).check_password("brandnew123")


def row(action: str) -> str:
    """An action as shown in a log table row (the filter's datalist lists every action too)."""
    return f'<td class="mono small">{action}</td>'


def test_auditor_views_and_filters_the_audit_log(app, client, make_site, make_user, login):
    site, other = make_site(), make_site()
    cadre = make_user("cadre", username="cadre-a", sites=[site])
    audit.record(cadre, "household.update", "household", 7, before={"phone": "1"}, after={"phone": "2"}, site_id=site.id)
    audit.record(cadre, "card.lost", "card", 3, after={"status": "lost"}, site_id=other.id)
    login(make_user("auditor", sites=[site, other]))
    html = client.get("/admin/audit").get_data(as_text=True)
    assert row("household.update") in html and row("card.lost") in html and "phone: 2" in html
    html = client.get("/admin/audit", query_string={"action": "card"}).get_data(as_text=True)
    assert row("card.lost") in html and row("household.update") not in html
    html = client.get("/admin/audit", query_string={"actor": cadre.id, "object_type": "household",
                                                    "date_from": "2000-01-01", "date_to": "2999-12-31"}
                      ).get_data(as_text=True)
    assert row("household.update") in html and row("card.lost") not in html
    assert client.get("/admin/audit", query_string={"date_from": "2026-02-30"}).status_code == 200


def test_site_scoped_auditor_sees_only_its_sites(app, client, make_site, make_user, login):
    site, other = make_site(), make_site()
    audit.record(None, "household.update", "household", 1, site_id=site.id)
    audit.record(None, "card.lost", "card", 2, site_id=other.id)
    login(make_user("auditor", sites=[site]))
    html = client.get("/admin/audit").get_data(as_text=True)
    assert row("household.update") in html and row("card.lost") not in html


def test_audit_log_is_not_for_other_roles(app, client, make_user, login):
    login(make_user("cadre", "committee", "shopkeeper"))
    assert client.get("/admin/audit").status_code == 403
