"""kiosk/hot_path.py: the scan and the redemption answered in front of Flask give the same answers,
status, headers and JSON, as Flask's own views; what it cannot judge alike goes to Flask."""
import pytest
from flask import Flask
from werkzeug.test import Client

from extensions import db
from models import Household
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device, table_counts

#: what differs between two answers to the same kind of request: new ids and times, the kiosk, and
#: the balance after (one household buys at both kiosks)
_FRESH = {"session_id", "id", "receipt_no", "request_id", "created_at", "time", "ledger_entry_id", "device",
          "balance_after"}


@pytest.fixture
def shop(any_app, make_site, make_household):
    site = make_site("幸福家园安置点")
    other = make_site("和谐小区安置点")
    rice = add_goods(site, "大米 5kg", price=50, stock=30)
    home = make_household(site=site, head_name="张小明", balance=1000)
    poor = make_household(site=site, head_name="李四", balance=10)
    away = make_household(site=other, head_name="王五", balance=10)
    _device, token = paired_device(site)
    _device, second = paired_device(site, "二号机")  # a kiosk has one live session: one each
    db.session.commit()
    return {"rice": rice, "home": home, "card": card_for(home), "poor": card_for(poor), "away": card_for(away),
            "token": token, "second": second}


def _clients(app):
    """(through the hot path, through Flask only)"""
    return app.test_client(), Client(app.wsgi_app.flask_wsgi, app.response_class)


def _same(hot, flask):
    assert hot.status_code == flask.status_code
    assert dict(hot.headers) == dict(flask.headers)
    return _stripped(hot.get_json()) == _stripped(flask.get_json())


def _stripped(value):
    if isinstance(value, dict):
        return {key: _stripped(item) for key, item in value.items() if key not in _FRESH}
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    return value


def test_every_answer_is_flasks(any_app, shop):
    hot, flask = _clients(any_app)
    header = auth(shop["token"])

    def both(path, **request):
        return hot.post(path, **request), flask.post(path, **request)

    for card in (shop["card"], shop["poor"], shop["away"], "not a card"):
        assert _same(*both("/kiosk/api/scan", json={"card": card}, headers=header))
    assert _same(*both("/kiosk/api/scan", json={"card": shop["card"]}, headers=auth("nope")))
    headers = (header, auth(shop["second"]))

    def sessions(card):
        return [client.post("/kiosk/api/scan", json={"card": card}, headers=device).get_json()["session_id"]
                for client, device in zip((hot, flask), headers)]

    rice = shop["rice"].id
    for cart, expected, card in (([{"goods_id": rice, "qty": 2}], 100, shop["card"]),
                                 ([{"goods_id": rice, "qty": 1}], 50, shop["poor"]),  # too few points
                                 ([{"goods_id": rice, "qty": 1}], 40, shop["card"]),  # price changed
                                 ([{"goods_id": 999999, "qty": 1}], None, shop["card"]),
                                 ([{"goods_id": rice, "qty": 99}], None, shop["card"]),  # out of stock
                                 ([], None, shop["card"])):
        answers = [client.post("/kiosk/api/redeem", headers=device, json={
            "session_id": session_id, "request_id": new_request_id(), "cart": cart, "expected_total": expected})
            for client, device, session_id in zip((hot, flask), headers, sessions(card))]
        assert _same(*answers), answers[0].get_json()
    session_id = sessions(shop["card"])[0]
    request_id = new_request_id()  # a replay: the first receipt, whoever answers
    first = hot.post("/kiosk/api/redeem", headers=header, json={
        "session_id": session_id, "request_id": request_id, "cart": [{"goods_id": rice, "qty": 1}]})
    replayed = flask.post("/kiosk/api/redeem", headers=header, json={
        "session_id": session_id, "request_id": request_id, "cart": [{"goods_id": rice, "qty": 1}]})
    assert first.status_code == 200 and first.get_json() == replayed.get_json()
    assert db.session.get(Household, shop["home"].id).balance == 1000 - 2 * 100 - 50


def test_what_it_cannot_judge_alike_goes_to_flask(any_app, shop, monkeypatch):
    """Bodies Flask's parser reads differently, or words differently when it refuses them, are Flask's
    to answer: the answer then comes from the view, with its words."""
    dispatched = []
    original = Flask.full_dispatch_request
    monkeypatch.setattr(Flask, "full_dispatch_request", lambda self: dispatched.append(1) or original(self))
    hot, _flask = _clients(any_app)
    header = auth(shop["token"])
    session_id = hot.post("/kiosk/api/scan", json={"card": shop["card"]}, headers=header).get_json()["session_id"]
    assert not dispatched  # answered in front of Flask
    before = table_counts()
    big = 10 ** 30
    for body, content_type, error in (
            ('{"card": "x"', "application/json", "invalid"),  # not JSON
            ('{"card": "\\ud800"}', "application/json", "invalid"),  # no text
            ('{"session_id": "s", "request_id": "%s", "cart": [{"goods_id": 1, "qty": %d}]}'
             % (new_request_id(), big), "application/json", "invalid"),  # exact in Python, a float in orjson
            ('{"session_id": "s", "request_id": "%s", "cart": [{"goods_id": 1, "qty": 1.0}]}'
             % new_request_id(), "application/json", "invalid"),
            ('{"card": "x"}', "text/plain", "invalid")):
        dispatched.clear()
        path = "/kiosk/api/redeem" if "cart" in body else "/kiosk/api/scan"
        answer = hot.post(path, data=body, content_type=content_type, headers=header)
        assert dispatched and answer.status_code == 400 and answer.get_json()["error"] == error, body
    message = hot.post("/kiosk/api/redeem", headers=header, data='{"session_id": "%s", "request_id": "%s", '
                       '"cart": [{"goods_id": 1, "qty": %d}]}' % (session_id, new_request_id(), big),
                       content_type="application/json").get_json()["message"]
    assert "99" in message  # the quantity's limit, as Flask's exact integer is judged
    assert table_counts() == before


def test_an_unexpected_error_is_a_500_in_json_and_nothing_is_written(any_app, shop, monkeypatch):
    from services.supermarket import redemption

    any_app.config["PROPAGATE_EXCEPTIONS"] = False
    hot, flask = _clients(any_app)
    header = auth(shop["token"])
    session_id = hot.post("/kiosk/api/scan", json={"card": shop["card"]}, headers=header).get_json()["session_id"]
    before = table_counts()

    def broken(*_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(redemption, "redeem_for", broken)
    body = {"session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": shop["rice"].id, "qty": 1}]}
    answers = [client.post("/kiosk/api/redeem", headers=header, json=body) for client in (hot, flask)]
    assert answers[0].status_code == 500 and answers[0].get_json()["error"] == "http_500"
    assert _same(*answers)
    assert table_counts() == before


def test_behind_https_a_plain_request_is_redirected_as_before(sqlite_template, tmp_path, make_site,
                                                             make_household):
    from tests.conftest import _sqlite_app

    app = _sqlite_app(sqlite_template, tmp_path, HTTPS=True)
    with app.app_context():
        site = make_site("幸福家园安置点")
        card = card_for(make_household(site=site, head_name="张小明", balance=10))
        _device, token = paired_device(site)
        db.session.commit()
        hot = app.test_client()
        plain = hot.post("/kiosk/api/scan", json={"card": card}, headers=auth(token))
        assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
        secure = hot.post("/kiosk/api/scan", json={"card": card}, headers=auth(token), base_url="https://localhost")
        assert secure.status_code == 200 and "max-age" in secure.headers["Strict-Transport-Security"]
        assert secure.get_json()["household"]["balance"] == 10
        db.session.remove()
        db.engine.dispose()
