"""Bad input (issue 8), table-driven: every admin POST form found on the pages, every field,
every awkward value (tests/bad_input_helpers.PAYLOADS), plus uploads, card tokens, CSRF, PDFs.

The contract for each request: never a 5xx; a refusal (4xx, or the page/redirect showing a
⚠ error) writes NOTHING (row counts of every table before/after); an accepted value is shown
escaped on the page that follows. Figures go to artifacts/reliability/bad-input.json."""
import io
import json
import os
import re
import zipfile

import pytest
from sqlalchemy import select

from extensions import db
from tests.reliability.bad_input_helpers import PAYLOADS, XSS, diff, logged_in, post_forms, row_counts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: forms whose fuzzing would end the session under test
SKIP_ENDPOINTS = {"admin.logout", "admin.login", "admin.change_password"}
#: URL argument -> table whose first row is the example
ARG_TABLES = {
    "household_id": "household", "card_id": "card", "site_id": "site", "staff_id": "staff_user",
    "activity_id": "activity", "signin_id": "activity_signin", "round_id": "evaluation_round",
    "goods_id": "goods", "list_id": "honor_list", "entry_id": "honor_entry", "objection_id": "honor_objection",
    "device_id": "kiosk_device", "redemption_id": "redemption", "rule_id": "rule", "event_id": "rule_event",
    "cadre_id": "support_cadre", "case_id": "support_monitoring_case", "problem_id": "support_problem",
    "row_id": "support_responsibility", "item_id": "rule_event", "visit_id": "support_visit",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
FIGURES: dict = {}


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


def _fallback_forms(app, known: set) -> dict:
    """POST routes with no form on any page (JS, or state-dependent): fields read from the view source."""
    import inspect

    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "POST" not in rule.methods:
            continue
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint in known:
            continue
        source = inspect.getsource(app.view_functions[rule.endpoint])
        fields = {name: "1" for name in FIELD_RE.findall(source)} or {"note": ""}
        for extra in STRING_ARGS.get(rule.endpoint, [{}]):
            values = {}
            for name in rule.arguments:
                converter = type(rule._converters[name]).__name__
                values[name] = extra.get(name) or (_first_id(ARG_TABLES[name]) if name in ARG_TABLES else (
                    1 if converter == "IntegerConverter" else "x"))
            url = rule.build(values, append_unknown=False)[1]
            found[(rule.endpoint, tuple(sorted(extra.items())))] = (url, dict(fields), "json" in source)
    return found


def _refused(client, resp, render: bool) -> tuple[bool, str]:
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
                    refused, page = _refused(client, resp, "xss" in label) if resp.status_code < 500 else (False, "")
                except Exception as exc:  # noqa: BLE001 - TESTING propagates: an unhandled error is a 500
                    db.session.rollback()
                    after = None
                    problems.append(f"{endpoint} {field}={label}: {type(exc).__name__}: {str(exc)[:160]}")
                    continue
                if resp.status_code >= 500:
                    problems.append(f"{endpoint} {field}={label}: HTTP {resp.status_code}")
                    continue
                if refused:
                    refused_count += 1
                    if diff(before, after):
                        problems.append(f"{endpoint} {field}={label}: refused but wrote {diff(before, after)}")
                    if not CJK.search(page):
                        problems.append(f"{endpoint} {field}={label}: refusal without a Chinese message")
                if XSS in page:
                    problems.append(f"{endpoint} {field}={label}: payload rendered unescaped")
    FIGURES["admin_forms"] = {"forms": len(forms), "requests": tried, "refused": refused_count}
    _save_figures()
    assert not problems, f"{len(problems)} problems in {tried} requests:\n" + "\n".join(problems[:60])


def _save_figures():
    path = os.path.join(ROOT, "artifacts", "reliability")
    os.makedirs(path, exist_ok=True)
    target = os.path.join(path, "bad-input.json")
    old = json.load(open(target)) if os.path.exists(target) else {}
    old.update(FIGURES)
    with open(target, "w") as fh:
        json.dump(old, fh, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------- uploads
def _png(size=(4, 4), mode="RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _bad_images() -> dict:
    jpeg = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(jpeg, "JPEG")
    return {
        "empty": b"",
        "text named .jpg": b"hello, not an image",
        "exe": b"MZ\x90\x00" + b"\x00" * 200,
        "png header only": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "truncated jpeg": jpeg.getvalue()[:40],
        "svg with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "decompression bomb": _png((20000, 20000), "1"),  # small file, 400 M pixels
        "oversized": b"\xff\xd8\xff\xe0" + b"\x00" * (17 * 1024 * 1024),  # above MAX_CONTENT_LENGTH
    }


def _post_upload(client, url, data, problems, label):
    before = row_counts()
    try:
        resp = client.post(url, data=data, content_type="multipart/form-data")
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        problems.append(f"{url} {label}: {type(exc).__name__}: {str(exc)[:120]}")
        return None
    after = row_counts()
    if resp.status_code >= 500:
        problems.append(f"{url} {label}: HTTP {resp.status_code}")
        return resp
    refused, text = _refused(client, resp, False)
    if not refused:
        problems.append(f"{url} {label}: accepted ({resp.status_code})")
    elif diff(before, after):
        problems.append(f"{url} {label}: refused but wrote {diff(before, after)}")
    elif not CJK.search(text):
        problems.append(f"{url} {label}: refusal without a Chinese message")
    return resp


def test_bad_images_for_goods_photos_visit_photos_and_evidence(demo_app):
    from models import Goods, Household

    client = logged_in(demo_app)
    goods = db.session.execute(select(Goods)).scalars().first()
    home = db.session.execute(select(Household).where(Household.status == "active")).scalars().first()
    problems, tried = [], 0
    for label, blob in _bad_images().items():
        tried += 3
        _post_upload(client, f"/admin/goods/{goods.id}/edit", {
            "site_id": str(goods.site_id), "name": goods.name, "category": goods.category, "price": str(goods.price),
            "unit": goods.unit, "low_stock": "5", "active": "1", "photo": (io.BytesIO(blob), "photo.jpg")},
            problems, f"goods photo {label}")
        _post_upload(client, "/admin/support/visits/new", {
            "household_id": str(home.id), "visit_date": "2026-01-05", "visitors": "王干部", "met": "1",
            "met_person": "户主", "photos": (io.BytesIO(blob), "visit.jpg")}, problems, f"visit photo {label}")
        _post_upload(client, "/admin/rules/record", {
            "site_id": str(home.site_id), "rule_id": "1", "household_id": str(home.id), "quantity": "1",
            "note": "证明", "evidence": (io.BytesIO(blob), "evidence.jpg")}, problems, f"evidence {label}")
    FIGURES["uploads_images"] = tried
    _save_figures()
    assert not problems, "\n".join(problems)


def _xlsx(rows, sheet="Sheet") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_malformed_and_oversized_excel_imports_write_nothing(demo_app):
    client = logged_in(demo_app)
    template = client.get("/admin/households/import/template.xlsx")
    assert template.status_code == 200
    cases = {
        "empty": b"",
        "not a zip": b"PK\x03\x04 this is not really a zip",
        "csv renamed": "户主姓名,身份证号\n张三,1\n".encode(),
        "zip without workbook": _zip({"hello.txt": b"x"}),
        "xml bomb-ish": _zip({"[Content_Types].xml": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a '"
                              + b"A" * 1000 + b"'>]><x>&a;&a;&a;</x>"}),
        "wrong headers": _xlsx([["名字", "电话"], ["张三", "1"]]),
        "xss and formulas": _xlsx([[XSS, "=HYPERLINK(\"http://evil\")", "=1+1", "\u202e𠮷", "-2"]] * 3),
        "oversized": b"PK\x03\x04" + b"\x00" * (17 * 1024 * 1024),
    }
    problems = []
    for label, blob in cases.items():
        before = row_counts()
        try:
            resp = client.post("/admin/households/import", data={"file": (io.BytesIO(blob), "households.xlsx")},
                               content_type="multipart/form-data")
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            problems.append(f"{label}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        text = resp.get_data(as_text=True)
        if resp.status_code >= 500:
            problems.append(f"{label}: HTTP {resp.status_code}")
        elif diff(before, row_counts()):
            problems.append(f"{label}: wrote {diff(before, row_counts())}")
        elif XSS in text:
            problems.append(f"{label}: payload rendered unescaped")
        elif not CJK.search(text):
            problems.append(f"{label}: no Chinese message")
    FIGURES["uploads_excel"] = len(cases)
    _save_figures()
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- CSRF
def test_foreign_and_stale_csrf_tokens_are_refused(sqlite_template, tmp_path):
    """A token from another session (or another app secret) does not work for an admin POST."""
    from tests.conftest import _sqlite_app

    app = _sqlite_app(sqlite_template, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from models import StaffUser

        for name in ("csrf-a", "csrf-b"):
            user = StaffUser(username=name, display_name="x")
            user.roles = ["admin"]
            user.set_password("password123")
            db.session.add(user)
        db.session.commit()
        db.session.remove()
    # requests run outside any pushed app context: Flask-WTF caches the token in `g`

    def session_with_token(username):
        client = app.test_client()
        page = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert client.post("/admin/login", data={"username": username, "password": "password123",
                                                 "csrf_token": token}).status_code == 302
        page = client.get("/admin/kiosks").get_data(as_text=True)
        return client, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def counts():
        with app.app_context():
            return row_counts()

    alice, alice_token = session_with_token("csrf-a")
    bob, _bob_token = session_with_token("csrf-b")
    before = counts()
    forged = alice_token[:-4] + ("AAAA" if not alice_token.endswith("AAAA") else "BBBB")
    for token in (alice_token, forged, "", "x" * 5000, XSS, "\u202e𠮷"):
        resp = bob.post("/admin/kiosks/new", data={"name": "一号机", "csrf_token": token})
        assert resp.status_code == 400 and CJK.search(resp.get_data(as_text=True)), token[:20]
    assert diff(before, counts()) == {}
    # the owner's own token still works (the refusals were about the token, not the form)
    ok = alice.post("/admin/kiosks/new", data={"name": "一号机", "csrf_token": alice_token})
    assert ok.status_code != 400  # past the CSRF check (403 here: no site exists yet)
    with app.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------- PDFs and posters
PDF_PAYLOAD = '<b>&amp;"赵</b>'


def _pdf_text(data: bytes, tmp_path) -> str:
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_html_in_names_is_literal_in_pdfs_and_posters_and_escaped_on_pages(demo_app, tmp_path):
    from models import HonorEntry, HonorList, Household

    client = logged_in(demo_app)
    honor = db.session.execute(select(HonorList)).scalars().first()
    entry = db.session.execute(select(HonorEntry)).scalars().first()
    honor.title = PDF_PAYLOAD
    entry.display_name, entry.citation = PDF_PAYLOAD, XSS
    home = db.session.execute(select(Household).where(Household.status == "active")).scalars().first()
    home.head_name = PDF_PAYLOAD
    db.session.commit()
    collapse = lambda s: re.sub(r"\s+", "", s)  # noqa: E731 - pdftotext breaks long lines
    poster = client.get(f"/admin/honors/{honor.id}/poster/A4")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    text = collapse(_pdf_text(poster.data, tmp_path))
    assert collapse(PDF_PAYLOAD) in text and "&lt;" not in text and collapse(XSS) in text
    png = client.get(f"/admin/honors/{honor.id}/poster/png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    card = client.post("/admin/cards/print", data={"household_ids": str(home.id), "layout": "single"})
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    assert "&lt;" not in _pdf_text(card.data, tmp_path)
    for url in (f"/admin/honors/{honor.id}", f"/admin/households/{home.id}", "/admin/households"):
        page = client.get(url).get_data(as_text=True)
        assert PDF_PAYLOAD not in page and XSS not in page, url
        assert "&lt;b&gt;" in page or "&lt;script&gt;" in page, url


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
