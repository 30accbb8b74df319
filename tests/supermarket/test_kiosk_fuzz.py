"""Kiosk JSON API under bad input (docs/reliability.md): table-driven values for every field, raw bodies,
card tokens (forged, lost, reissued, moved out, other site), unpaired/disabled devices, and
hypothesis-generated JSON bodies against every endpoint of docs/kiosk-openapi.json.

Contract: never a 5xx; every 4xx is `{"error", "message"}` with a Chinese message and writes
nothing (row counts of EVERY table before/after)."""
import json
import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensions import db
from tests.reliability.bad_input_helpers import XSS, diff, row_counts
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CJK = re.compile(r"[\u4e00-\u9fff]")
#: JSON values for any field
VALUES = [None, "", " ", "长" * (1024 * 1024 // 3), -1, 0, 2**63, -(2**63) - 1, 10**400, 1.5, float("1e308"), "1",
          "十二", True, [], {}, [None], {"a": 1}, "\ud800", "\udfff\ud800", "\u202e\u200f𠮷😀\u0000", XSS,
          "1' OR '1'='1'; DROP TABLE household;--", "../../etc/passwd"]
COUNTS = {"requests": 0}


@pytest.fixture
def shop(app, make_site, make_household):
    site, other = make_site("幸福家园安置点"), make_site("和谐小区安置点")
    rice = add_goods(site, "大米 5kg", price=50, stock=3)
    foreign_goods = add_goods(other, "面粉", price=5, stock=3)
    home = make_household(site=site, head_name="张小𠮷", balance=120)
    device, token = paired_device(site)
    card = card_for(home)
    db.session.commit()
    return {"site": site, "other": other, "rice": rice, "foreign_goods": foreign_goods, "home": home,
            "card": card, "token": token, "device": device}


def check(client, method, path, *, json_body=None, data=None, headers=None, ok=(200, 201)):
    """One call: no 5xx; a 4xx is a Chinese JSON error and wrote nothing. Returns the response."""
    before = row_counts()
    kwargs = {"headers": headers or {}}
    if data is not None:
        kwargs["data"] = data
        kwargs["headers"] = {"Content-Type": "application/json", **kwargs["headers"]}
    elif json_body is not None:
        # json.dumps keeps lone surrogates as \\ud800 escapes: valid JSON, awkward Python str
        kwargs["data"] = json.dumps(json_body)
        kwargs["headers"] = {"Content-Type": "application/json", **kwargs["headers"]}
    COUNTS["requests"] += 1
    resp = client.open(path, method=method, **kwargs)
    assert resp.status_code < 500, (path, json_body, data, resp.status_code)
    if resp.status_code >= 400:
        body = resp.get_json()
        assert body and body.get("error") and CJK.search(body.get("message", "")), (path, resp.status_code, body)
        assert diff(before, row_counts()) == {}, (path, json_body, diff(before, row_counts()))
    else:
        assert resp.status_code in ok, (path, json_body, resp.status_code)
    return resp


def scan(client, shop):
    return client.post("/kiosk/api/scan", json={"card": shop["card"]}, headers=auth(shop["token"])).get_json()


def test_every_kiosk_field_takes_every_bad_value(client, shop):
    headers = auth(shop["token"])
    session_id = scan(client, shop)["session_id"]
    good = {"session_id": session_id, "request_id": new_request_id(), "expected_total": 50,
            "cart": [{"goods_id": shop["rice"].id, "qty": 1}]}
    for value in VALUES:
        check(client, "POST", "/kiosk/api/pair", json_body={"code": value})
        check(client, "POST", "/kiosk/api/scan", json_body={"card": value}, headers=headers)
        for field in ("session_id", "request_id", "expected_total", "cart"):
            body = {**good, "request_id": new_request_id(), field: value}
            resp = check(client, "POST", "/kiosk/api/redeem", json_body=body, headers=headers)
            if resp.status_code == 200:  # only an omitted expected_total (None) may pass
                assert field == "expected_total" and value is None
                db.session.rollback()
        for key in ("goods_id", "qty"):
            line = {"goods_id": shop["rice"].id, "qty": 1, key: value}
            check(client, "POST", "/kiosk/api/redeem", json_body={**good, "request_id": new_request_id(),
                                                                   "cart": [line]}, headers=headers)
        for path in ("/kiosk/api/session/touch", "/kiosk/api/session/end"):
            check(client, "POST", path, json_body={"session_id": value}, headers=headers)
        if isinstance(value, str) and value and len(value) < 1000 and "\ud800" not in value and "\udfff" not in value:
            check(client, "GET", "/kiosk/api/receipt/" + value.replace("/", "%2F").replace("\u0000", "%00"),
                  headers=headers)
        if isinstance(value, str) and len(value) < 1000 and value.isprintable():
            check(client, "GET", "/kiosk/api/goods", headers={**headers, "X-Kiosk-Session": value})
    # the cart: goods of another site, unknown goods, too many lines, duplicates beyond the limit
    for cart in ([{"goods_id": shop["foreign_goods"].id, "qty": 1}], [{"goods_id": 2**31 - 1, "qty": 1}],
                 [{"goods_id": shop["rice"].id, "qty": 1}] * 31, [{"goods_id": shop["rice"].id, "qty": 60}] * 2,
                 [{"goods_id": shop["rice"].id, "qty": 1, "extra": XSS}]):
        check(client, "POST", "/kiosk/api/redeem", json_body={**good, "request_id": new_request_id(),
                                                               "expected_total": None, "cart": cart}, headers=headers)


@pytest.mark.parametrize("raw", [b"", b"{", b"null", b"[]", b'"x"', b"\xff\xfe\x00", b'{"card": "\\ud800"}',
                                 b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                                 b'{"card": 1e999999}', b'{"card": "x", "card": "y"}', b"NaN", b"\x00" * 1000])
def test_raw_bodies_are_refused_cleanly(client, shop, raw):
    headers = auth(shop["token"])
    for path in ("/kiosk/api/pair", "/kiosk/api/scan", "/kiosk/api/redeem", "/kiosk/api/session/touch",
                 "/kiosk/api/session/end"):
        check(client, "POST", path, data=raw, headers=headers)


def test_forged_lost_reissued_moved_and_foreign_cards(client, shop, make_household):
    from services.households import cards

    headers = auth(shop["token"])
    forged = "A" * len(shop["card"])
    reasons = {}
    for label, token in (("forged", forged), ("garbage", "https://evil.example/c/<script>"),
                         ("short", "AB"), ("url of forged", f"http://127.0.0.1:5000/c/{forged}")):
        reasons[label] = check(client, "POST", "/kiosk/api/scan", json_body={"card": token},
                               headers=headers).get_json()["reason"]
    # reissued: the old card stops working at once
    old = shop["card"]
    card, new = cards.issue_card(shop["home"])
    db.session.commit()
    assert check(client, "POST", "/kiosk/api/scan", json_body={"card": old}, headers=headers).status_code == 403
    assert check(client, "POST", "/kiosk/api/scan", json_body={"card": new}, headers=headers).status_code == 200
    # lost
    card.status = "lost"
    db.session.commit()
    lost = check(client, "POST", "/kiosk/api/scan", json_body={"card": new}, headers=headers).get_json()
    # a card of another site
    foreign_home = make_household(site=shop["other"], head_name="李四", balance=50)
    foreign = card_for(foreign_home)
    db.session.commit()
    other = check(client, "POST", "/kiosk/api/scan", json_body={"card": foreign}, headers=headers).get_json()
    assert {reasons["forged"], lost["reason"], other["reason"]} == {"unknown", "lost", "other_site"}
    # the resident page behind the QR: no data for any of them, never a 5xx
    for token in (forged, old, new, "<script>", "%00", "\u202e𠮷"):
        resp = client.get(f"/c/{token}")
        assert resp.status_code in (403, 404, 410) and XSS not in resp.get_data(as_text=True)


def test_a_session_from_a_reissued_card_cannot_redeem(client, shop):
    from services.households import cards

    headers = auth(shop["token"])
    session_id = scan(client, shop)["session_id"]
    cards.issue_card(shop["home"])  # the card in the session is now revoked
    db.session.commit()
    body = {"session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": shop["rice"].id,
                                                                                 "qty": 1}]}
    assert check(client, "POST", "/kiosk/api/redeem", json_body=body, headers=headers).status_code == 403


def test_unpaired_and_disabled_devices_are_refused(client, shop):
    from services.supermarket import devices as kiosk_devices

    pending, _code = kiosk_devices.create_device(shop["site"].id, "未配对")
    db.session.commit()
    for header in ({}, {"Authorization": "Device "}, {"Authorization": "Device " + "x" * 10000},
                   {"Authorization": "Device \u202e𠮷"}, {"Authorization": "device " + shop["token"]},
                   {"Authorization": "Bearer " + shop["token"]}):
        for method, path in (("GET", "/kiosk/api/device"), ("POST", "/kiosk/api/scan"),
                             ("POST", "/kiosk/api/redeem"), ("GET", "/kiosk/api/goods")):
            resp = check(client, method, path, json_body={"card": shop["card"]} if method == "POST" else None,
                         headers=header)
            assert resp.status_code == 401
    kiosk_devices.disable(shop["device"])
    db.session.commit()
    assert check(client, "POST", "/kiosk/api/scan", json_body={"card": shop["card"]},
                 headers=auth(shop["token"])).status_code == 401


# ---------------------------------------------------------------- hypothesis
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                max_size=4), max_leaves=12)


def _spec():
    with open(os.path.join(ROOT, "docs", "kiosk-openapi.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _body_strategy(schema: dict):
    """Bodies shaped like the documented request (right keys, any JSON values) or anything at all."""
    keys = list(schema.get("properties", {}))
    shaped = st.fixed_dictionaries({}, optional={k: JSON for k in keys})
    cart = st.lists(st.fixed_dictionaries({}, optional={"goods_id": JSON | st.integers(), "qty": JSON | st.integers()}),
                    max_size=3)
    if "cart" in keys:
        shaped = st.fixed_dictionaries({"cart": cart}, optional={k: JSON for k in keys if k != "cart"})
    return shaped | JSON


def test_openapi_document_covers_every_api_route(app):
    spec = _spec()
    documented = {("/kiosk/api" + p.replace("{request_id}", "<request_id>"), m.upper())
                  for p, ops in spec["paths"].items() for m in ops}
    routes = {(r.rule, m) for r in app.url_map.iter_rules() if r.rule.startswith("/kiosk/api")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


@settings(max_examples=int(os.environ.get("KIOSK_FUZZ_EXAMPLES", "60")))
@given(data=st.data())
def test_fuzzed_bodies_never_5xx_and_refusals_write_nothing(client, shop, data):
    spec = _spec()
    headers = auth(shop["token"])
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            url = "/kiosk/api" + path
            if "{request_id}" in path:
                url = url.replace("{request_id}", data.draw(st.text(alphabet=st.characters(
                    blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=40)))
                check(client, "GET", url, headers=headers)
                continue
            if method == "get":
                check(client, "GET", url, headers=headers)
                continue
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            body = data.draw(_body_strategy(schema))
            resp = check(client, "POST", url, json_body=body, headers=headers)
            if resp.status_code < 300:
                db.session.rollback()


def test_zz_record_figures():
    path = os.path.join(ROOT, "artifacts", "reliability")
    os.makedirs(path, exist_ok=True)
    target = os.path.join(path, "bad-input.json")
    old = json.load(open(target)) if os.path.exists(target) else {}
    old["kiosk_api_requests"] = COUNTS["requests"]
    with open(target, "w") as fh:
        json.dump(old, fh, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("raw", [
    '{"card": "\\ud800"}'.encode(),  # an escape
    b'{"card": "\xed\xa0\x80"}',  # the surrogate's UTF-8 bytes (json decodes them with surrogatepass)
    '{"card": "x"}'.encode("utf-16-le").replace(b"x\x00", b"\x00\xd8"),  # a UTF-16 body with a lone unit
])
def test_lone_surrogates_in_any_encoding_are_refused_before_anything_is_read(client, shop, raw):
    assert "\ud800" in json.loads(raw)["card"]  # the body does decode to a lone surrogate
    res = client.post("/kiosk/api/scan", data=raw, headers={**auth(shop["token"]), "Content-Type": "application/json"})
    assert res.status_code == 400 and "无法识别的字符" in res.get_json()["message"]
