"""The public speech endpoint renders only the fixed phrases for anyone; amounts and goods only for a
live kiosk session and only what it shows; the per-session audio cache is bounded (docs/decisions.md#speech)."""
import os
from urllib.parse import unquote

import pytest

from extensions import db
from services import speech
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device

pytestmark = pytest.mark.skipif(not speech.espeak_available(), reason="espeak-ng is not installed")


@pytest.fixture
def shop(app, make_site, make_household, tmp_path):
    app.config["KIOSK_AUDIO_DIR"] = str(tmp_path / "audio")
    site, other = make_site("幸福家园安置点"), make_site("和谐小区安置点")
    rice = add_goods(site, "大米 5kg", price=50, stock=5)
    foreign = add_goods(other, "外点肥皂", price=5, stock=5)
    home = make_household(site=site, head_name="李四", balance=120)
    card = card_for(home)
    _device, token = paired_device(site)
    db.session.commit()
    return {"rice": rice, "foreign": foreign, "card": card, "token": token, "dir": tmp_path / "audio"}


def _session(client, shop) -> str:
    answer = client.post("/kiosk/api/scan", json={"card": shop["card"]}, headers=auth(shop["token"]))
    assert answer.status_code == 200
    return answer.get_json()["session_id"]


def _files(folder) -> int:
    return sum(len(files) for _root, _dirs, files in os.walk(folder)) if os.path.exists(folder) else 0


def test_invented_numbers_are_refused_and_render_nothing(client, shop):
    for balance in range(5):
        answer = client.get(f"/kiosk/speech/welcome?balance={1000 + balance}")
        assert answer.status_code == 403 and "刷卡" in answer.get_data(as_text=True)
    answer = client.get(f"/kiosk/speech/added?goods={shop['rice'].id}&qty=3&session=made-up")
    assert answer.status_code == 403
    assert client.get("/kiosk/speech/idle_count?seconds=99999").status_code == 403
    assert _files(shop["dir"]) == 0


def test_a_live_session_hears_its_own_balance_goods_and_receipt(client, shop):
    session = _session(client, shop)
    welcome = client.get(f"/kiosk/speech/welcome?balance=120&session={session}")
    assert welcome.status_code == 200 and "private" in welcome.headers["Cache-Control"]
    assert "一百二十分" in unquote(welcome.headers["X-Phrase"])
    assert client.get(f"/kiosk/speech/welcome?balance=121&session={session}").status_code == 403
    rice = shop["rice"].id
    assert client.get(f"/kiosk/speech/added?goods={rice}&qty=2&session={session}").status_code == 200
    foreign = client.get(f"/kiosk/speech/added?goods={shop['foreign'].id}&qty=1&session={session}")
    assert foreign.status_code == 403
    assert client.get(f"/kiosk/speech/confirm?items={rice}:2&total=100&remaining=20&session={session}").status_code == 200
    assert client.get(f"/kiosk/speech/confirm?items={rice}:2&total=100&remaining=77&session={session}").status_code == 403
    success = f"/kiosk/speech/success?items={rice}:2&total=100&balance=20&session={session}"
    assert client.get(success).status_code == 403  # no such receipt yet
    paid = client.post("/kiosk/api/redeem", headers=auth(shop["token"]), json={
        "session_id": session, "request_id": new_request_id(), "expected_total": 100,
        "cart": [{"goods_id": rice, "qty": 2}]})
    assert paid.status_code == 200, paid.get_json()
    assert client.get(success).status_code == 200
    assert client.get(success.replace("balance=20", "balance=21")).status_code == 403


def test_fixed_phrases_stay_public(client, shop):
    for path in ("/kiosk/speech/attract", "/kiosk/speech/card_error?reason=lost",
                 "/kiosk/speech/redeem_failed?error=network", "/kiosk/speech/idle_count?seconds=10"):
        answer = client.get(path)
        assert answer.status_code == 200 and "public" in answer.headers["Cache-Control"], path


def test_the_session_cache_is_bounded_oldest_out(app, client, shop):
    app.config["KIOSK_AUDIO_CACHE_FILES"] = 3
    session = _session(client, shop)
    said = []
    for qty in range(1, 7):
        answer = client.get(f"/kiosk/speech/added?goods={shop['rice'].id}&qty={qty}&session={session}")
        assert answer.status_code == 200
        said.append(unquote(answer.headers["X-Phrase"]))
    folder = shop["dir"] / "session"
    assert len(os.listdir(folder)) == 3
    app.config["KIOSK_AUDIO_CACHE_BYTES"] = 1
    client.get(f"/kiosk/speech/added?goods={shop['rice'].id}&qty=7&session={session}")
    assert len(os.listdir(folder)) == 1  # the newest stays: it is the one being sent


def test_trim_cache_keeps_the_newest(tmp_path):
    for n in range(5):
        path = tmp_path / f"{n}.ogg"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + n, 1000 + n))
    assert speech.trim_cache(str(tmp_path), 10, 250) == 3
    assert sorted(os.listdir(tmp_path)) == ["3.ogg", "4.ogg"]
    assert speech.trim_cache(str(tmp_path), 1, 10**9) == 1 and os.listdir(tmp_path) == ["4.ogg"]
    assert speech.trim_cache(str(tmp_path), 1, 1) == 0  # the newest is never removed
