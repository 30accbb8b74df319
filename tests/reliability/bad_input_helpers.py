"""Shared pieces of the bad-input, fuzzing and IDOR suites (not a test module).

* `demo_template` / `demo_app`: one demo world (services.demo.county, 40 households) built per session
  into a file, copied per test — every admin form then has real objects behind it (tests/conftest.py
  loads this module as a plugin, so any test may ask for these fixtures);
* `row_counts()`: rows of EVERY table in one query (the "writes nothing" proof);
* `PostForms`: the <form method=post> found on pages, with their fields and default values;
* `refused()`: whether an answer refused the request, and the text shown; `save_figures()`."""
import json
import os
import re
import shutil
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from sqlalchemy import text

from app import create_app
from extensions import db

#: one string of every awkward kind, for fields that take free text
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PAYLOADS = {
    "empty": "",
    "blank": "   ",
    "huge": "长" * (1024 * 1024 // 3),  # ~1 MB of UTF-8
    "negative": "-1",
    "zero": "0",
    "overflow": str(2**63),
    "big negative": str(-(2**63) - 1),
    "float": "1.5",
    "exponent": "1e309",
    "non-numeric": "十二",
    "unicode": "\u202e\u200f𠮷😀\u0000NUL\ufeff",
    "xss": XSS,
    "sql": "1' OR '1'='1'; DROP TABLE household;--",
    "date-like": "2026-02-30",
}
#: the quick run (CI): the same kinds, combined
PAYLOADS["junk"] = "十二\u202e𠮷😀\u0000\ufeff"
PAYLOADS["xss+sql"] = XSS + "1' OR '1'='1'; DROP TABLE household;--"
#: a refusal must say why in Chinese
CJK = re.compile(r"[\u4e00-\u9fff]")
#: URL argument -> table whose first row is the example
ARG_TABLES = {
    "household_id": "household", "card_id": "card", "site_id": "site", "staff_id": "staff_user",
    "activity_id": "activity", "signin_id": "activity_signin", "round_id": "evaluation_round",
    "goods_id": "goods", "list_id": "honor_list", "entry_id": "honor_entry", "objection_id": "honor_objection",
    "device_id": "kiosk_device", "redemption_id": "redemption", "rule_id": "rule", "event_id": "rule_event",
    "cadre_id": "support_cadre", "case_id": "support_monitoring_case", "problem_id": "support_problem",
    "row_id": "support_responsibility", "item_id": "rule_event", "visit_id": "support_visit",
    "owed_line_id": "kiosk_owed_line",
}
FIGURES_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "artifacts", "reliability", "bad-input.json")


def row_counts() -> dict:
    tables = [t.name for t in db.metadata.sorted_tables]
    sql = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM \"{name}\"" for name in tables)
    counts = dict(db.session.execute(text(sql)).all())
    db.session.rollback()
    return counts


def diff(before: dict, after: dict) -> dict:
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}


class PostForms(HTMLParser):
    """Collects {action: {field: default}} for the POST forms of a page (file inputs as None); a field
    outside its form (form="id") counts for the form of that id."""

    def __init__(self, page_url: str = ""):
        super().__init__()
        self.page_url = page_url
        self.forms: list[tuple[str, dict]] = []
        self._form = None
        self._by_id = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            if (a.get("method") or "get").lower() == "post" and action.startswith("/admin"):
                self._form = (action, {})
                self.forms.append(self._form)
                if a.get("id"):
                    self._by_id[a["id"]] = self._form
            else:
                self._form = None
            return
        owner = self._by_id.get(a.get("form")) or self._form
        if owner is None or not a.get("name"):
            return
        fields = owner[1]
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                fields.setdefault(name, None)
            elif kind in ("checkbox", "radio"):
                if "checked" in a or name not in fields:
                    fields[name] = a.get("value", "on") if ("checked" in a or kind == "radio") else ""
            elif kind not in ("submit", "button", "image", "reset"):
                fields[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select:
            if "selected" in a or not fields.get(self._select):
                fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""
        elif tag == "button" and a.get("value") is not None:
            fields.setdefault(name, a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[1][self._textarea] += data


def post_forms(html: str, page_url: str = "") -> list[tuple[str, dict]]:
    parser = PostForms(page_url)
    parser.feed(html)
    return parser.forms


@pytest.fixture(scope="session")
def demo_template(sqlite_template, tmp_path_factory):
    from tests.conftest import test_settings

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app(test_settings(f"sqlite:///{path}"))
    with app.app_context():
        from services.demo.county import build_demo

        build_demo(households=40)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def demo_app(demo_template, tmp_path):
    """A fresh copy of the demo world, app context pushed (like the `app` fixture)."""
    from tests.conftest import FreshUserClient, test_settings

    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    app = create_app(test_settings(f"sqlite:///{path}"))
    app.test_client_class = FreshUserClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def logged_in(app, username="admin", password="admin12345"):
    client = app.test_client()
    resp = client.post("/admin/login", data={"username": username, "password": password})
    assert resp.status_code == 302, f"could not log in {username}"
    return client


def refused(client, resp, render: bool) -> tuple[bool, str]:
    """(refused?, the text shown to the user) for a form answer. After a redirect the flashed
    messages are read from the session (cheap); the page itself is rendered when `render`."""
    if resp.status_code >= 400:
        return True, resp.get_data(as_text=True)
    if resp.status_code in (301, 302, 303):
        if render:
            text = client.get(resp.location).get_data(as_text=True)
            return "flash-error" in text, text
        with client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        errors = [message for category, message in flashes if category == "error"]
        return bool(errors), " ".join(errors) or " ".join(m for _c, m in flashes)
    text = resp.get_data(as_text=True) if "text/html" in resp.content_type else ""
    return ("flash-error" in text or "field-error" in text), text


def save_figures(**figures) -> None:
    """Merges `figures` into artifacts/reliability/bad-input.json (each suite writes its own keys)."""
    os.makedirs(os.path.dirname(FIGURES_PATH), exist_ok=True)
    old = {}
    if os.path.exists(FIGURES_PATH):
        with open(FIGURES_PATH) as fh:
            old = json.load(fh)
    old.update(figures)
    with open(FIGURES_PATH, "w") as fh:
        json.dump(old, fh, ensure_ascii=False, indent=1)
