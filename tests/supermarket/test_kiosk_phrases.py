"""One phrase catalog for the kiosk: the page, the JS, the speech and the API's refusal messages all
read services/supermarket/kiosk_phrases.py, so what the screen shows and what the voice says for a
phrase key are the same entry."""
import glob
import json
import os
import re
from urllib.parse import unquote

import pytest

from extensions import db
from services.speech import amount_words
from services.supermarket import devices as kiosk_devices
from services.supermarket import kiosk_phrases, kiosk_speech
from services.supermarket.kiosk_phrases import PHRASES, phrase, spoken
from tests.supermarket.kiosk_helpers import add_goods, card_for

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
JS_FILES = sorted(glob.glob(os.path.join(ROOT, "static", "js", "kiosk", "*.js")))
CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")


def _code(path: str) -> str:
    """The file without its comments (comments may name the Chinese they are about)."""
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"(?m)(^|[\s;{}(),])//.*$", r"\1", source)


def _js() -> str:
    return "\n".join(_code(path) for path in JS_FILES)


def test_the_kiosk_js_has_no_words_of_its_own():
    assert len(JS_FILES) >= 5
    for path in JS_FILES:
        found = CJK.findall(_code(path))
        assert not found, f"{os.path.basename(path)} writes Chinese itself: {''.join(found)[:40]}"


def test_every_js_module_stays_small():
    for path in JS_FILES:
        with open(path, encoding="utf-8") as fh:
            assert sum(1 for _ in fh) < 400, path


def test_every_key_the_js_uses_is_in_the_catalog():
    code = _js()
    shown = set(re.findall(r"""phrase\(\s*["']([\w.]+)["']""", code))
    shown |= set(re.findall(r"""["']((?:ui|block|card|pair|redeem|refusal)\.\w+)["']""", code))
    said = set(re.findall(r"""speak\(\s*["'](\w+)["']""", code))
    assert shown and said
    assert shown - set(PHRASES) == set(), "keys the JS shows that the catalog lacks"
    assert said - kiosk_speech.all_keys() == set(), "keys the JS says that the speech does not know"
    # what the JS says is a catalog entry too (card_error/redeem_failed pick card.*/refusal.* entries)
    assert said - set(PHRASES) <= {"card_error", "redeem_failed"}


def test_every_speech_key_and_code_has_its_catalog_entry():
    for key in kiosk_speech.FIXED_KEYS:
        assert kiosk_speech.phrase_text(key) == spoken(key) == phrase(key)
    for reason in kiosk_speech.CARD_REASONS:
        assert f"card.{reason}" in PHRASES
    for code in kiosk_speech.BLOCK_REASONS:
        assert f"block.{code}" in PHRASES
    for error in kiosk_speech.ADJUSTED_ERRORS:
        assert f"refusal.{error}" in PHRASES
        if kiosk_phrases.params_of(f"refusal.{error}"):
            assert f"refusal.{error}_any" in PHRASES
    for key in kiosk_speech.PARAM_KEYS:
        assert key in PHRASES or key in ("card_error", "redeem_failed")


def test_shown_and_spoken_differ_only_in_how_numbers_are_read():
    """Every entry: the spoken text is the shown text with integer parameters in words."""
    for key in PHRASES:
        names = kiosk_phrases.params_of(key)
        numbers = {name: 2 + i for i, name in enumerate(sorted(names))}
        words = {name: amount_words(value) for name, value in numbers.items()}
        assert spoken(key, **numbers) == phrase(key, **words)
        if not names:
            assert spoken(key) == phrase(key) == PHRASES[key]


def test_the_page_carries_the_catalog_and_only_catalog_words(client):
    page = client.get("/kiosk/").get_data(as_text=True)
    embedded = re.search(r'<script type="application/json" id="kiosk-phrases">(.*?)</script>', page, re.S)
    assert json.loads(embedded.group(1)) == PHRASES
    assert '<script type="module"' in page and "kiosk/main.js" in page
    template = open(os.path.join(ROOT, "kiosk", "templates", "kiosk", "kiosk.html"), encoding="utf-8").read()
    assert not CJK.findall(re.sub(r"\{#.*?#\}", "", template, flags=re.S))
    visible = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    for label in ("ui.scan_title", "ui.checkout", "ui.large", "ui.idle_title", "ui.pair_title"):
        assert PHRASES[label] in visible


@pytest.fixture
def shop(app, make_site, make_household, tmp_path):
    app.config["KIOSK_AUDIO_DIR"] = str(tmp_path / "audio")
    site = make_site("幸福家园安置点")
    rice = add_goods(site, "大米 5kg", price=50, stock=1, unit="袋")
    home = make_household(site=site, head_name="张小𠮷", balance=500)
    card = card_for(home)
    _device, code = kiosk_devices.create_device(site.id, "一号机")
    db.session.commit()
    return {"card": card, "code": code, "rice": rice, "home": home, "site": site}


def _pair(client, shop) -> dict:
    token = client.post("/kiosk/api/pair", json={"code": shop["code"]}).get_json()["token"]
    return {"Authorization": f"Device {token}"}


def _said(client, url) -> str:
    response = client.get(url)
    assert response.status_code in (200, 204), (url, response.status_code)
    return unquote(response.headers["X-Phrase"])


def test_a_card_refusal_is_shown_and_said_from_one_entry(client, shop, make_site, make_household, monkeypatch):
    headers = _pair(client, shop)
    monkeypatch.setitem(PHRASES, "card.unreadable", "测试:认不出这张卡")
    refused = client.post("/kiosk/api/scan", json={"card": "NOT-A-CARD"}, headers=headers).get_json()
    assert refused["reason"] == "unreadable" and refused["message"] == "测试:认不出这张卡"
    assert _said(client, "/kiosk/speech/card_error?reason=unreadable") == "测试:认不出这张卡"

    stranger = make_household(site=make_site("新村安置点"), head_name="李四", balance=5)
    token = card_for(stranger)
    db.session.commit()
    other = client.post("/kiosk/api/scan", json={"card": token}, headers=headers).get_json()
    assert other["message"] == phrase("card.other_site", site="新村安置点")
    said = _said(client, f"/kiosk/speech/card_error?reason=other_site&site={other['site_id']}")
    assert said == spoken("card.other_site", site="新村安置点") == other["message"]


def test_a_redeem_refusal_is_shown_and_said_from_one_entry(client, shop, monkeypatch):
    headers = _pair(client, shop)
    session = client.post("/kiosk/api/scan", json={"card": shop["card"]}, headers=headers).get_json()["session_id"]
    monkeypatch.setitem(PHRASES, "refusal.out_of_stock", "测试:{goods}没货了")
    rice = shop["rice"].id
    refused = client.post("/kiosk/api/redeem", headers=headers, json={
        "session_id": session, "request_id": "8d3a4c1e-1d7b-4a59-9d7e-3f0a1e2b3c4d",
        "cart": [{"goods_id": rice, "qty": 2}], "expected_total": 100}).get_json()
    assert refused["error"] == "out_of_stock" and refused["goods_id"] == rice
    assert refused["message"] == "测试:大米 5kg没货了"
    said = _said(client, f"/kiosk/speech/redeem_failed?error=out_of_stock&goods={rice}&session={session}")
    assert said == spoken("redeem_adjusted", refusal="测试:大米五公斤没货了")


def test_fixed_audio_covers_every_fixed_sentence():
    texts = kiosk_speech.fixed_texts()
    assert spoken("card.lost") in texts and spoken("redeem.network") in texts
    assert spoken("redeem_adjusted", refusal=spoken("refusal.out_of_stock_any")) in texts
    assert all("{" not in text for text in texts)
