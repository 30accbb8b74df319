"""The kiosk's offline signing key (docs/offline.md): sent at pairing or once afterwards, checked to be a
P-256 point, stored as canonical JSON, replaced only by pairing again."""
import json

import pytest

from extensions import db
from models import KioskDevice
from services.supermarket import devices as kiosk_devices
from services.supermarket.offline_items import b64url
from tests.supermarket.kiosk_helpers import auth, paired_device
from tests.supermarket.offline_kiosk import FakeKiosk


@pytest.fixture
def site(any_app, make_site):
    site = make_site("幸福家园安置点")
    db.session.commit()
    return site


def _new_code(site):
    device, code = kiosk_devices.create_device(site.id, "一号机")
    db.session.commit()
    return device.id, code


def _stored(device_id):
    db.session.expire_all()
    return db.session.get(KioskDevice, device_id).public_key


def _bad_keys(kiosk):
    good = kiosk.jwk()
    y = kiosk.private_key.public_key().public_numbers().y
    off_curve = {**good, "y": b64url((y ^ 1).to_bytes(32, "big"))}  # (x, y) and (x, −y) alone are on it
    return [off_curve, {**good, "crv": "P-384"}, {**good, "kty": "RSA"}, {**good, "x": good["x"][:-2]},
            {**good, "x": good["x"] + "!"}, {**good, "d": good["x"]}, "not a key", {"kty": "EC"}]


def test_pairing_with_a_key_stores_it_canonical(any_app, site):
    device_id, code = _new_code(site)
    kiosk = FakeKiosk()
    res = kiosk.pair_over_api(any_app.test_client(), code)
    assert res.status_code == 201 and res.get_json()["counter"] == 0
    stored = _stored(device_id)
    jwk = kiosk.jwk()
    assert stored == json.dumps({"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}, separators=(",", ":"))


def test_a_bad_key_at_pairing_is_400_and_the_code_still_works(any_app, site):
    device_id, code = _new_code(site)
    kiosk, client = FakeKiosk(), any_app.test_client()
    for bad in _bad_keys(kiosk):
        res = client.post("/kiosk/api/pair", json={"code": code, "public_key": bad})
        assert res.status_code == 400 and "公钥" in res.get_json()["message"], bad
    db.session.expire_all()
    assert db.session.get(KioskDevice, device_id).status == "pending"
    assert kiosk.pair_over_api(client, code).status_code == 201


def test_a_device_paired_before_offline_mode_sends_its_key_once(any_app, site):
    device, token = paired_device(site)
    db.session.commit()
    client, kiosk = any_app.test_client(), FakeKiosk()
    assert client.post("/kiosk/api/offline/key", json={"public_key": _bad_keys(kiosk)[0]},
                       headers=auth(token)).status_code == 400
    assert _stored(device.id) is None
    assert client.post("/kiosk/api/offline/key", json={"public_key": kiosk.jwk()}, headers=auth(token)).status_code == 201
    first = _stored(device.id)
    res = client.post("/kiosk/api/offline/key", json={"public_key": FakeKiosk().jwk()}, headers=auth(token))
    assert res.status_code == 409 and res.get_json()["error"] == "key_exists" and "重新配对" in res.get_json()["message"]
    assert _stored(device.id) == first
    assert client.post("/kiosk/api/offline/key", json={"public_key": kiosk.jwk()}).status_code == 401


def test_pairing_again_replaces_or_clears_the_key(any_app, site):
    kiosk = FakeKiosk.paired(site)
    device_id = kiosk.device.id
    db.session.commit()
    assert _stored(device_id) is not None
    code = kiosk_devices.new_pairing_code(db.session.get(KioskDevice, device_id))
    db.session.commit()
    assert any_app.test_client().post("/kiosk/api/pair", json={"code": code}).status_code == 201
    assert _stored(device_id) is None
    newer = FakeKiosk()
    code = kiosk_devices.new_pairing_code(db.session.get(KioskDevice, device_id))
    db.session.commit()
    assert newer.pair_over_api(any_app.test_client(), code).status_code == 201
    assert json.loads(_stored(device_id))["x"] == newer.jwk()["x"]


def test_a_device_without_a_key_cannot_sync(any_app, site):
    _device, token = paired_device(site)
    db.session.commit()
    res = any_app.test_client().post("/kiosk/api/offline/sync", json={"items": [], "queue": 0}, headers=auth(token))
    assert res.status_code == 409 and res.get_json()["error"] == "no_key"
