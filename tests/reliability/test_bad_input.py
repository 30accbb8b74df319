"""Bad input over every admin form (docs/reliability.md), table-driven: every POST form found on the
pages, every field, every awkward value (bad_input_helpers.PAYLOADS); and raw or nested JSON bodies
for the admin JSON endpoints. Uploads, CSRF and PDFs have their own modules beside this one.

The contract for each request: never a 5xx; a refusal (4xx, or the page/redirect showing a
⚠ error) writes NOTHING (row counts of every table before/after); an accepted value is shown
escaped on the page that follows. Figures go to artifacts/reliability/bad-input.json."""
import os
import re

from sqlalchemy import select

from extensions import db
from tests.reliability.bad_input_helpers import (
    ARG_TABLES,
    CJK,
    PAYLOADS,
    XSS,
    diff,
    logged_in,
    post_forms,
    refused,
    row_counts,
    save_figures,
)

#: forms whose fuzzing would end the session under test
SKIP_ENDPOINTS = {"admin.logout", "admin.login", "admin.change_password"}


def _first_id(table: str) -> int:
    from sqlalchemy import text

    pick = "MAX" if table == "staff_user" else "MIN"  # never edit the admin who is logged in
    return db.session.execute(text(f'SELECT COALESCE({pick}(id), 1) FROM "{table}"')).scalar_one()


def _get_urls(app) -> list[str]:
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        values = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            values[name] = _first_id(ARG_TABLES[name]) if name in ARG_TABLES else (
                1 if converter == "IntegerConverter" else "x")
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def _discover_forms(app, client) -> dict:
    """{(endpoint, string args): (action, defaults)} for every POST form on every admin page."""
    adapter = app.url_map.bind("localhost")
    found = {}
    for url in _get_urls(app):
        resp = client.get(url)
        if resp.status_code != 200 or "text/html" not in resp.content_type:
            continue
        for action, fields in post_forms(resp.get_data(as_text=True), url):
            try:
                endpoint, args = adapter.match(action.split("?")[0], method="POST")
            except Exception:  # noqa: BLE001 - a GET-only action or another host
                continue
            if endpoint in SKIP_ENDPOINTS:
                continue
            key = (endpoint, tuple(sorted((k, v) for k, v in args.items() if isinstance(v, str))))
            found.setdefault(key, (action, fields))
    return found


FIELD_RE = re.compile(r"""(?:form|values|args|body|data)(?:\.get|\.getlist)?[(\[]\s*["'](\w+)["']""")
#: string URL arguments worth trying per endpoint (the rest get "x")
STRING_ARGS = {"admin.evaluations_action": [{"action": a} for a in
                                             ("notice", "objection", "resolve", "reverse", "cancel", "scoring")],
               "admin.approvals_decide": [{"kind": "rule"}, {"kind": "signin"}]}


FORM_CLASS_RE = re.compile(r"\b([A-Z]\w*Form)\b")


def _form_class_fields(source: str) -> dict:
    """{field name: "1"} of the FlaskForm classes (admin/<domain>/forms.py) a view's source names."""
    import sys

    from wtforms.fields.core import UnboundField

    modules = [m for name, m in sorted(sys.modules.items()) if name.startswith("admin.") and name.endswith(".forms")]
    fields = {}
    for class_name in FORM_CLASS_RE.findall(source):
        for module in modules:
            form_class = getattr(module, class_name, None)
            if form_class is not None:
                fields.update({name: "1" for name in dir(form_class)
                               if isinstance(getattr(form_class, name), UnboundField)})
    return fields


def _fallback_forms(app, known: set) -> dict:
    """POST routes with no form on any page (JS, or state-dependent): fields read from the view source
    (form.get("…") calls and the FlaskForm classes it names)."""
    import inspect

    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "POST" not in rule.methods:
            continue
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint in known:
            continue
        source = inspect.getsource(app.view_functions[rule.endpoint])
        fields = {name: "1" for name in FIELD_RE.findall(source)}
        fields.update(_form_class_fields(source))
        fields = fields or {"note": ""}
        for extra in STRING_ARGS.get(rule.endpoint, [{}]):
            values = {}
            for name in rule.arguments:
                converter = type(rule._converters[name]).__name__
                values[name] = extra.get(name) or (_first_id(ARG_TABLES[name]) if name in ARG_TABLES else (
                    1 if converter == "IntegerConverter" else "x"))
            url = rule.build(values, append_unknown=False)[1]
            found[(rule.endpoint, tuple(sorted(extra.items())))] = (url, dict(fields), "json" in source)
    return found



def test_every_admin_form_field_takes_bad_values_without_5xx_or_partial_writes(demo_app):
    client = logged_in(demo_app)
    forms = {k: (a, f, False) for k, (a, f) in _discover_forms(demo_app, client).items()}
    assert len(forms) >= 30, sorted(forms)
    forms.update(_fallback_forms(demo_app, {k[0] for k in forms}))
    payloads = PAYLOADS if os.environ.get("BAD_INPUT_FULL") else {
        k: PAYLOADS[k] for k in ("empty", "huge", "overflow", "negative", "junk", "xss+sql")}
    problems, tried, refused_count, after = [], 0, 0, None
    for (endpoint, _args), (action, defaults, as_json) in sorted(forms.items()):
        fields = [f for f in defaults if f != "csrf_token" and defaults[f] is not None]
        # one member row of a repeated sub-form is enough (members-0-name, not members-1..4)
        fields = [f for f in fields if not re.search(r"-[1-9]\d*-", f)]
        for n, field in enumerate(fields):
            for label, value in payloads.items():
                if label == "huge" and n:  # the 1 MB body is refused as a whole (413): once per form
                    continue
                data = {k: v for k, v in defaults.items() if v is not None}
                data[field] = value
                before = after if after is not None else row_counts()
                tried += 1
                try:
                    resp = client.post(action, json=data) if as_json else client.post(action, data=data)
                    after = row_counts()
                    was_refused, page = (refused(client, resp, "xss" in label) if resp.status_code < 500
                                         else (False, ""))
                except Exception as exc:  # noqa: BLE001 - TESTING propagates: an unhandled error is a 500
                    db.session.rollback()
                    after = None
                    problems.append(f"{endpoint} {field}={label}: {type(exc).__name__}: {str(exc)[:160]}")
                    continue
                if resp.status_code >= 500:
                    problems.append(f"{endpoint} {field}={label}: HTTP {resp.status_code}")
                    continue
                if was_refused:
                    refused_count += 1
                    if diff(before, after):
                        problems.append(f"{endpoint} {field}={label}: refused but wrote {diff(before, after)}")
                    if not CJK.search(page):
                        problems.append(f"{endpoint} {field}={label}: refusal without a Chinese message")
                if XSS in page:
                    problems.append(f"{endpoint} {field}={label}: payload rendered unescaped")
    save_figures(admin_forms={"forms": len(forms), "requests": tried, "refused": refused_count})
    assert not problems, f"{len(problems)} problems in {tried} requests:\n" + "\n".join(problems[:60])


def test_admin_json_endpoints_take_raw_and_nested_bodies(demo_app):
    from models import Activity, EvaluationRound

    client = logged_in(demo_app)
    urls = ["/admin/earning/scan",
            f"/admin/activities/{db.session.execute(select(Activity.id)).scalars().first()}/signin/scan",
            f"/admin/evaluations/{db.session.execute(select(EvaluationRound.id)).scalars().first()}/cell"]
    problems = []
    for url in urls:
        for raw in (b"", b"{", b"[" * 100_000 + b"]" * 100_000, b'{"household_id": "\\ud800"}',
                    b'{"household_id": 1e999}', b'{"token": {"a": [1]}}', b"\xff\xfe"):
            before = row_counts()
            try:
                resp = client.post(url, data=raw, content_type="application/json")
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                problems.append(f"{url} {raw[:20]!r}: {type(exc).__name__}")
                continue
            if resp.status_code >= 500 or diff(before, row_counts()):
                problems.append(f"{url} {raw[:20]!r}: {resp.status_code} {diff(before, row_counts())}")
    assert not problems, "\n".join(problems)
