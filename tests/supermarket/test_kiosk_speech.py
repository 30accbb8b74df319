"""The kiosk speaks: phrase texts, the /kiosk/speech endpoint (cache, ETag, validation, silence
without espeak-ng), `flask kiosk-audio`, and the admin health page."""
import os
from urllib.parse import unquote

import pytest

from extensions import db
from services import speech
from services.supermarket import kiosk_phrases, kiosk_speech
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, paired_device


@pytest.fixture
def goods(app, make_site, tmp_path):
    app.config["KIOSK_AUDIO_DIR"] = str(tmp_path / "kiosk-audio")
    site = make_site("幸福家园安置点")
    items = {"rice": add_goods(site, "大米 10kg", price=50, unit="袋"),
             "soap": add_goods(site, "肥皂", price=5, unit="块", category="日用品"),
             "eggs": add_goods(site, "鸡蛋(30枚)", price=20, unit="盒")}
    db.session.commit()
    return items


def test_welcome_says_the_balance_in_words_and_never_a_name():
    assert kiosk_speech.phrase_text("welcome", {"balance": "120"}).startswith("您好,您家现在有一百二十分")
    assert "两百" in kiosk_speech.phrase_text("welcome", {"balance": "200"})
    with pytest.raises(Exception) as error:
        kiosk_speech.phrase_text("welcome", {"balance": "120", "name": "张三"})
    assert "name" in str(error.value)


def test_goods_phrases_read_name_and_price(goods):
    rice, soap = goods["rice"], goods["soap"]
    added = kiosk_speech.phrase_text("added", {"goods": str(rice.id), "qty": "1"})
    assert added == "大米十公斤,每袋五十分。已选一袋"
    removed = kiosk_speech.phrase_text("removed", {"goods": str(soap.id), "qty": "1"})
    assert removed == "去掉一块肥皂,每块五分。还选着一块"
    assert "已经不选了" in kiosk_speech.phrase_text("removed", {"goods": str(soap.id), "qty": "0"})
    assert kiosk_speech.phrase_text("cannot_add", {"goods": str(soap.id), "reason": "points"}) == "肥皂不能再加了,积分不够"
    assert kiosk_speech.phrase_text("cannot_add", {"goods": str(soap.id), "reason": "points_more"}) == \
        "肥皂不能再加了,积分不够再加一块"
    assert kiosk_speech.spoken_name("鸡蛋(30枚)") == "鸡蛋,三十枚"


def test_confirm_and_success_read_the_whole_receipt(goods):
    items = f"{goods['rice'].id}:1,{goods['soap'].id}:2"
    confirm = kiosk_speech.phrase_text("confirm", {"items": items, "total": "60", "remaining": "90"})
    assert confirm == "您选了:大米十公斤一袋,肥皂两块。一共六十分,兑换后还剩九十分。没问题的话,请点确认兑换"
    success = kiosk_speech.phrase_text("success", {"items": items, "total": "60", "balance": "90"})
    assert success == "兑换成功。大米十公斤一袋,肥皂两块。这次用了六十分,您家还剩九十分。请拿好商品和小票"


def test_errors_say_what_to_do():
    assert "补办新卡" in kiosk_speech.phrase_text("card_error", {"reason": "lost"})
    # the kiosk trims the cart itself after these refusals: the voice says so and asks to confirm again
    assert kiosk_speech.phrase_text("redeem_failed", {"error": "insufficient_points"}) == (
        "积分不够。购物车已经按最新情况调整,请再确认一次")
    assert "库存不足" in kiosk_speech.phrase_text("redeem_failed", {"error": "out_of_stock"})
    # an unknown code still says something useful, never the code itself
    assert kiosk_speech.phrase_text("card_error", {"reason": "<script>"}) == kiosk_phrases.spoken("card.other")
    assert kiosk_speech.phrase_text("redeem_failed", {"error": "<script>"}) == kiosk_phrases.spoken("redeem.other")


@pytest.mark.parametrize("key, params", [
    ("welcome", {"balance": "-5"}), ("welcome", {"balance": "12a"}), ("welcome", {}),
    ("welcome", {"balance": "99999999"}), ("confirm", {"items": "1;2", "total": "1", "remaining": "1"}),
    ("added", {"goods": "1", "qty": "0"}),
])
def test_bad_params_are_refused(app, key, params):
    from services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        kiosk_speech.phrase_text(key, params)


def test_endpoint_serves_cached_audio_with_etag(client, goods, tmp_path):
    response = client.get("/kiosk/speech/card_error?reason=lost")
    assert response.status_code == 200 and response.mimetype == "audio/ogg"
    assert "补办新卡" in unquote(response.headers["X-Phrase"])
    assert "public" in response.headers["Cache-Control"] and "max-age=86400" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert len(os.listdir(tmp_path / "kiosk-audio")) == 1
    again = client.get("/kiosk/speech/card_error?reason=lost", headers={"If-None-Match": etag})
    assert again.status_code == 304
    client.get("/kiosk/speech/card_error?reason=lost")
    assert len(os.listdir(tmp_path / "kiosk-audio")) == 1  # cached by text hash
    client.get("/kiosk/speech/card_error?reason=nonsense1")  # unknown reasons all say card.other: one file
    client.get("/kiosk/speech/card_error?reason=nonsense2")
    assert len(os.listdir(tmp_path / "kiosk-audio")) == 2
    spoken = speech.synthesize(unquote(response.headers["X-Phrase"]), str(tmp_path / "kiosk-audio"))
    assert 0.5 < speech.duration_seconds(spoken) < 10


def test_endpoint_refuses_unknown_keys_and_params(client, goods):
    assert client.get("/kiosk/speech/say?text=hello").status_code == 404
    assert client.get("/kiosk/speech/welcome?balance=1&text=x").status_code == 400
    assert client.get("/kiosk/speech/added?goods=999999&qty=1").status_code == 404
    assert client.get(f"/kiosk/speech/added?goods={goods['rice'].id}&qty=1").status_code == 403  # no session


def test_without_espeak_the_kiosk_is_silent(client, goods, monkeypatch):
    monkeypatch.setattr(speech, "espeak_available", lambda: False)
    response = client.get("/kiosk/speech/attract")
    assert response.status_code == 204 and response.headers["Cache-Control"] == "no-store"
    assert 'data-speech="0"' in client.get("/kiosk/").get_data(as_text=True)


def test_kiosk_audio_command_pregenerates_fixed_phrases(app, runner, tmp_path):
    app.config["KIOSK_AUDIO_DIR"] = str(tmp_path / "fixed")
    result = runner.invoke(args=["kiosk-audio"])
    assert result.exit_code == 0, result.output
    assert len(os.listdir(tmp_path / "fixed")) == len(set(kiosk_speech.fixed_texts()))


def test_health_page_for_admin(client, login, make_user, monkeypatch):
    login(make_user("admin"))
    page = client.get("/admin/health").get_data(as_text=True)
    assert "✔ 已安装" in page and "cmn-latn-pinyin" in page and "Noto Sans CJK SC" in page
    assert "/admin/ledger/verify" in page and "连接正常" in page
    monkeypatch.setattr(speech, "espeak_available", lambda: False)
    page = client.get("/admin/health").get_data(as_text=True)
    assert "不会发声" in page and "apt-get install -y espeak-ng" in page


def test_health_page_is_admin_only(client, login, make_user):
    login(make_user("shopkeeper"))
    assert client.get("/admin/health").status_code in (302, 403)


def test_odd_goods_names_never_break_the_endpoint(client, goods, monkeypatch, make_household):
    goods["soap"].name = "-肥皂<b>"
    home = make_household(site=goods["soap"].site, balance=10)
    card, (_device, token) = card_for(home), paired_device(goods["soap"].site)
    db.session.commit()
    session = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token)).get_json()["session_id"]
    response = client.get(f"/kiosk/speech/added?goods={goods['soap'].id}&qty=1&session={session}")
    assert response.status_code == 200 and unquote(response.headers["X-Phrase"]).startswith("肥皂b,")

    def broken(*_args, **_kwargs):
        raise OSError("espeak crashed")

    monkeypatch.setattr(speech, "synthesize", broken)
    assert client.get("/kiosk/speech/goodbye").status_code == 204
