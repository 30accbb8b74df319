"""Fixtures: migrate once into a template database, then give each test a fresh copy.

SQLite: the template file is copied per test. PostgreSQL: CREATE DATABASE ... TEMPLATE.
REQUIRE_PG=1 / REQUIRE_BROWSER=1 turn a missing PostgreSQL or Chromium into a failure."""
import contextlib
import functools
import itertools
import os
import shutil
import tempfile
import uuid

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from app import create_app
from config import TestConfig
from extensions import db

#: the demo-world fixtures (demo_template, demo_app) shared by the reliability and staff suites;
#: pytester runs the marker hook below on throwaway test files (tests/test_markers.py)
pytest_plugins = ["tests.reliability.bad_input_helpers", "pytester"]

REQUIRE_PG = os.environ.get("REQUIRE_PG") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
PG_SERVER_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("dev", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def test_settings(url: str, **overrides) -> dict:
    values = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    values.update(SQLALCHEMY_DATABASE_URI=url, **overrides)
    # every app its own seal folder: seal files live outside the database, and tests must not share them
    if not values.get("SEAL_FOLDER"):
        values["SEAL_FOLDER"] = tempfile.mkdtemp(prefix="jifen-seals-")
    return values


def _migrated(url: str) -> None:
    from admin.commands import migrate_to_head

    app = create_app(test_settings(url))
    with app.app_context():
        migrate_to_head()
        db.engine.dispose()


# ---------------------------------------------------------------- SQLite
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrated(f"sqlite:///{path}")
    return path


class FreshUserClient(FlaskClient):
    """The `app` fixture keeps an app context pushed, so every request shares one `g`, and
    Flask-Login would reuse the user cached in g._login_user instead of reading this client's
    session cookie (two clients, or logout, would see the wrong user). Forget it per request."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def _sqlite_app(template, tmp_path, **overrides):
    path = tmp_path / "app.db"
    shutil.copyfile(template, path)
    app = create_app(test_settings(f"sqlite:///{path}", **overrides))
    app.test_client_class = FreshUserClient
    return app


# ---------------------------------------------------------------- PostgreSQL
def _pg_unavailable(reason: str):
    if REQUIRE_PG:
        pytest.fail(f"PostgreSQL required (REQUIRE_PG=1) but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def _pg_admin():
    import psycopg

    url = PG_SERVER_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_template():
    try:
        conn = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "unavailable"
        _pg_unavailable(str(exc))
    name = f"jf_tpl_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    _migrated(PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}")
    yield conn, name
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


_pg_counter = itertools.count()


@pytest.fixture
def pg_app(pg_template):
    conn, template = pg_template
    name = f"{template}_{next(_pg_counter)}"
    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    app = create_app(test_settings(PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"))
    app.test_client_class = FreshUserClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- apps
@pytest.fixture
def app(sqlite_template, tmp_path):
    """Feature tests: a fresh SQLite file database per test."""
    app = _sqlite_app(sqlite_template, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, sqlite_template, tmp_path):
    """Database-behaviour tests: run on SQLite AND PostgreSQL."""
    if request.param == "sqlite":
        app = _sqlite_app(sqlite_template, tmp_path)
    else:
        app = request.getfixturevalue("pg_app")
    with app.app_context():
        yield app
        db.session.remove()
    if request.param == "sqlite":
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- factories
@functools.cache
def password_hash(password: str) -> str:
    """StaffUser.set_password's hash of `password`, made once per session (scrypt costs ~80 ms a call);
    a user given it logs in through the app's real check, StaffUser.check_password."""
    from models import StaffUser

    user = StaffUser()
    user.set_password(password)
    return user.password_hash


@pytest.fixture
def make_site():
    from models import Area, Site

    counter = itertools.count(1)

    def make(name=None, village=None):
        n = next(counter)
        if village is None:
            county = Area(level="county", name=f"测试县{n}")
            township = Area(level="township", name="城关镇", parent=county)
            village = Area(level="village", name="幸福社区", parent=township)
            db.session.add_all([county, township, village])
        site = Site(name=name or f"测试安置点{n}", code=f"T{n:03d}", area=village)
        db.session.add(site)
        db.session.flush()
        return site

    return make


@pytest.fixture
def make_household(make_site):
    from models import Household, Member

    def make(site=None, head_name="张喆", balance=0, **fields):
        from services import ledger

        home = Household(site=site or make_site(), head_name=head_name, head_initials="", **fields)
        home.members.append(Member(name=head_name, relation="户主"))
        db.session.add(home)
        db.session.flush()
        if balance:
            ledger.post(home, balance, "adjustment", None, None, "测试期初", f"test-opening:{home.id}")
        return home

    return make


@pytest.fixture
def make_user():
    from models import StaffScope, StaffUser

    counter = itertools.count(1)

    def make(*roles, username=None, password="password123", sites=(), areas=()):
        user = StaffUser(username=username or f"user{next(counter)}", display_name="测试员")
        user.roles = roles or ("admin",)
        user.password_hash = password_hash(password)
        user.scopes = [StaffScope(site_id=s.id) for s in sites] + [StaffScope(area_id=a.id) for a in areas]
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture
def login(client):
    def do_login(user, password="password123"):
        db.session.commit()
        return client.post("/admin/login", data={"username": user.username, "password": password})

    return do_login


# ---------------------------------------------------------------- browser
#: fixtures that start Chromium or serve the app to it: a test using one (directly or through another
#: fixture) must be marked `browser`, so that `-m "not browser"` leaves it out
BROWSER_FIXTURES = frozenset({"browser", "live_server"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Fails the collection, before `-m` deselects anything, when a test uses a browser fixture unmarked."""
    unmarked = [item.nodeid for item in items
                if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("browser") is None]
    if unmarked:
        raise pytest.UsageError("these tests use a browser fixture but are not marked @pytest.mark.browser "
                                "(module-level `pytestmark = pytest.mark.browser` will do):\n  "
                                + "\n  ".join(unmarked))


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists("/usr/bin/chromium"):
        if REQUIRE_BROWSER:
            pytest.fail("Chromium required (REQUIRE_BROWSER=1) but /usr/bin/chromium is missing")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    path = os.path.join(os.path.dirname(__file__), "..", "artifacts", "screenshots")
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)


@contextlib.contextmanager
def serving(app):
    """`app` served by werkzeug in a thread on a free loopback port; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_server(sqlite_template, tmp_path):
    """The app served by werkzeug in a thread on a free loopback port; yields (app, base_url)."""
    app = _sqlite_app(sqlite_template, tmp_path)
    with serving(app) as base:
        yield app, base


@pytest.fixture(params=["sqlite", "postgresql"])
def any_live_server(request, sqlite_template, tmp_path):
    """A live server (as `live_server`) on SQLite AND PostgreSQL; yields (app, base_url, database)."""
    app = _sqlite_app(sqlite_template, tmp_path) if request.param == "sqlite" else request.getfixturevalue("pg_app")
    with serving(app) as base:
        yield app, base, request.param


@pytest.fixture
def cjk_fonts_added(monkeypatch) -> list:
    """The `common` argument of every pdf_fonts.add_cjk_font call, in order (which font a PDF got)."""
    from services import pdf_fonts

    calls, add_cjk_font = [], pdf_fonts.add_cjk_font
    monkeypatch.setattr(pdf_fonts, "add_cjk_font",
                        lambda pdf, common=False: calls.append(common) or add_cjk_font(pdf, common=common))
    return calls
