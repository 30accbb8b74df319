"""Crawl EVERY registered route and prove the refusals (docs/decisions.md#scope: role AND site scope in one place).

Generic over app.url_map, so routes other modules add later are covered automatically:

* every /admin route: anonymous -> redirect to the login page (or 401);
* every /admin route is declared: `roles_required(...)`, or listed in admin.scope's
  LOGIN_ONLY_ENDPOINTS / PUBLIC_ENDPOINTS;
* every URL argument is declared site-scoped (admin.scope.scoped_arg, or derived from a model with
  site_id/household_id by admin.scope.resolver_for) or not (unscoped_arg);
* a user holding only OTHER roles -> 403;
* a user with the right roles but another site, given ids of site A's objects -> 403/404;
* the same user on its own site is let in (GET only, never 403 or 5xx): the example ids are real.

Routes outside /admin must match PUBLIC_PREFIXES (kiosk API, resident card page, static files).
To cover a new id argument, add an example to EXAMPLES; without one the test falls back to
pointing the argument's resolver at site A (which still proves the route is guarded centrally).
"""
import io

import pytest
from openpyxl import load_workbook

from admin.scope import LOGIN_ONLY_ENDPOINTS, PUBLIC_ENDPOINTS, SCOPED_ARGS, UNSCOPED_ARGS, resolver_for
from extensions import db
from models.staff import ROLES
from services.households import card_actions
from tests.conftest import password_hash

#: non-/admin paths that are public on purpose (each has its own authentication story)
PUBLIC_PREFIXES = ("/static/", "/kiosk", "/c/", "/r/", "/public", "/health")
PUBLIC_EXACT = {"/", "/favicon.ico"}
METHODS = ("GET", "POST")


@pytest.fixture
def world(app, make_site, make_household, make_user):
    """Site A holds the objects; the wrong-site users work on site B."""
    site_a, site_b = make_site("甲安置点"), make_site("乙安置点")
    home = make_household(site_a, head_name="张䶮")
    admin = make_user("admin", username="crawl-admin")
    card = card_actions.issue_for_print(admin, [home.id])[0].card
    db.session.commit()
    return {"site_a": site_a, "site_b": site_b, "home": home, "card": card, "admin": admin}


#: example values per URL argument name (objects on site A)
EXAMPLES = {
    "household_id": lambda w: w["home"].id,
    "card_id": lambda w: w["card"].id,
    "site_id": lambda w: w["site_a"].id,
    "staff_id": lambda w: w["admin"].id,
}
#: fallbacks per converter for arguments without an example
BY_CONVERTER = {"IntegerConverter": 1, "UnicodeConverter": "x", "PathConverter": "x", "UUIDConverter":
                "00000000-0000-0000-0000-000000000000", "FloatConverter": 1.0}


def admin_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")), key=lambda r: r.rule)


def build(rule, world) -> str:
    values = {}
    for name in rule.arguments:
        if name in EXAMPLES:
            values[name] = EXAMPLES[name](world)
        else:
            values[name] = BY_CONVERTER.get(type(rule._converters[name]).__name__, 1)
    return rule.build(values, append_unknown=False)[1]


def client_for(app, user):
    client = app.test_client()
    resp = client.post("/admin/login", data={"username": user.username, "password": "password123"})
    assert resp.status_code == 302, f"could not log in {user.username}"
    return client


def test_every_admin_route_is_declared(app):
    problems = []
    for rule in admin_rules(app):
        view = app.view_functions[rule.endpoint]
        declared = hasattr(view, "required_roles") or rule.endpoint in LOGIN_ONLY_ENDPOINTS | PUBLIC_ENDPOINTS
        if not declared:
            problems.append(f"{rule.rule} ({rule.endpoint}): no roles_required and not allow-listed in admin.scope")
        for name in rule.arguments:
            if resolver_for(name) is None and name not in UNSCOPED_ARGS:
                problems.append(f"{rule.rule}: URL argument '{name}' is neither scoped_arg nor unscoped_arg "
                                "(and no model with site_id/household_id matches its name)")
    assert not problems, "\n".join(problems)


def test_routes_outside_admin_are_allow_listed(app):
    stray = [r.rule for r in app.url_map.iter_rules()
             if not r.rule.startswith("/admin") and r.rule not in PUBLIC_EXACT
             and not r.rule.startswith(PUBLIC_PREFIXES)]
    assert not stray, f"public routes must be allow-listed in {__file__}: {stray}"


def test_anonymous_is_sent_to_login(app, world):
    client = app.test_client()
    problems = []
    for rule in admin_rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = build(rule, world)
        for method in METHODS:
            if method not in rule.methods:
                continue
            resp = client.open(url, method=method)
            to_login = resp.status_code == 302 and "/admin/login" in resp.location
            if not (to_login or resp.status_code == 401):
                problems.append(f"{method} {url}: anonymous got {resp.status_code}")
    assert not problems, "\n".join(problems)


def test_wrong_role_is_refused(app, world, make_user):
    problems, checked = [], 0
    clients = {}
    for rule in admin_rules(app):
        required = getattr(app.view_functions[rule.endpoint], "required_roles", None)
        if required is None:
            continue
        others = tuple(sorted(set(ROLES) - set(required) - {"admin"}))
        if not others:  # every non-admin role may use it
            continue
        if others not in clients:
            user = make_user(*others, sites=[world["site_a"]])
            clients[others] = client_for(app, user)
        url = build(rule, world)
        for method in METHODS:
            if method in rule.methods:
                checked += 1
                resp = clients[others].open(url, method=method)
                if resp.status_code != 403:
                    problems.append(f"{method} {url}: roles {others} got {resp.status_code}, want 403")
    assert checked, "no role-restricted routes found"
    assert not problems, "\n".join(problems)


def test_wrong_site_is_refused_and_right_site_let_in(app, world, make_user, monkeypatch):
    problems, checked = [], 0
    clients = {}

    def client(roles, site):
        if (roles, site.id) not in clients:
            clients[(roles, site.id)] = client_for(app, make_user(*roles, sites=[site]))
        return clients[(roles, site.id)]

    for rule in admin_rules(app):  # derive the automatic resolvers before pointing them at site A
        for name in rule.arguments:
            resolver_for(name)
    for name in set(SCOPED_ARGS) - set(EXAMPLES):  # no example object: point the resolver at site A
        monkeypatch.setitem(SCOPED_ARGS, name, lambda _value, site=world["site_a"].id: site)
    for rule in admin_rules(app):
        if not set(rule.arguments) & set(SCOPED_ARGS):
            continue
        required = getattr(app.view_functions[rule.endpoint], "required_roles", ("cadre",))
        roles = tuple(sorted(set(required) - {"admin"}))
        if not roles:  # admin-only: county-wide by definition
            continue
        url = build(rule, world)
        for method in METHODS:
            if method not in rule.methods:
                continue
            checked += 1
            resp = client(roles, world["site_b"]).open(url, method=method)
            if resp.status_code not in (403, 404):
                problems.append(f"{method} {url}: site-B user {roles} got {resp.status_code}, want 403/404")
        if "GET" in rule.methods and set(rule.arguments) <= set(EXAMPLES) | set(UNSCOPED_ARGS):
            resp = client(roles, world["site_a"]).get(url)
            if resp.status_code in (401, 403) or resp.status_code >= 500:
                problems.append(f"GET {url}: site-A user {roles} got {resp.status_code}, want access")
    assert checked, "no site-scoped routes found"
    assert not problems, "\n".join(problems)


def test_list_pages_only_show_the_users_sites(app, world, make_household, make_user):
    make_household(world["site_b"], head_name="李㛃美")
    client = client_for(app, make_user("cadre", sites=[world["site_a"]]))
    page = client.get("/admin/households").get_data(as_text=True)
    assert "张䶮" in page and "李㛃美" not in page
    assert client.get(f"/admin/households?site_id={world['site_b'].id}").status_code == 403
    export = client.get("/admin/households/export.xlsx")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["张䶮"]


def test_every_admin_post_requires_csrf(sqlite_template, tmp_path):
    """With CSRF on, every /admin POST (form or JSON) without a token is refused, even for an admin."""
    from tests.conftest import _sqlite_app

    app = _sqlite_app(sqlite_template, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from models import StaffUser

        admin = StaffUser(username="csrf-admin", display_name="x")
        admin.roles = ["admin"]
        admin.password_hash = password_hash("password123")
        db.session.add(admin)
        db.session.commit()
        client = app.test_client()
        html = client.get("/admin/login").get_data(as_text=True)
        token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert client.post("/admin/login", data={"username": "csrf-admin", "password": "password123",
                                                 "csrf_token": token}).status_code == 302
        problems, checked = [], 0
        for rule in admin_rules(app):
            if "POST" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            url = rule.build({name: 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "x"
                              for name in rule.arguments}, append_unknown=False)[1]
            for kwargs in ({"data": {}}, {"json": {}}):
                checked += 1
                resp = client.post(url, **kwargs)
                if resp.status_code != 400:
                    problems.append(f"POST {url} {list(kwargs)[0]} without CSRF token: {resp.status_code}")
        db.session.remove()
        db.engine.dispose()
    assert checked and not problems, "\n".join(problems)
