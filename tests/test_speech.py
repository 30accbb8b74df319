"""Spoken amounts and offline audio."""
import shutil

import pytest

from services.speech import amount_words, duration_seconds, phonemes, points_words, synthesize

CASES = {0: "零", 2: "两", 10: "十", 12: "十二", 15: "十五", 20: "二十", 22: "二十二", 100: "一百",
         105: "一百零五", 110: "一百一十", 120: "一百二十", 200: "两百", 220: "两百二十", 1000: "一千",
         1002: "一千零二", 1005: "一千零五", 2000: "两千", 2200: "两千两百", 10010: "一万零一十",
         20000: "两万", 120000: "十二万", 220000: "二十二万"}


@pytest.mark.parametrize("amount,words", sorted(CASES.items()))
def test_amount_words(amount, words):
    assert amount_words(amount) == words


def test_points_words():
    assert points_words(120) == "一百二十分"


def test_amount_words_refuses_non_integers():
    with pytest.raises(TypeError):
        amount_words(1.5)


def _require_espeak():
    import os

    if shutil.which("espeak-ng") is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("espeak-ng must be installed in CI")
        pytest.skip("espeak-ng not installed")


def test_synthesized_audio_is_cached_and_plausibly_long(tmp_path):
    _require_espeak()
    text = "您好,您家现在有120分"
    path = synthesize(text, str(tmp_path))
    assert path and path.endswith(".ogg")
    assert synthesize(text, str(tmp_path)) == path  # cached by text hash
    seconds = duration_seconds(path)
    assert 1.5 < seconds < 8, seconds  # ~11 syllables at 150 wpm


def test_pinyin_voice_reads_chinese_not_tone_digits():
    _require_espeak()
    output = phonemes("您好,您家现在有120分")
    assert "(en)" not in output  # the broken `cmn` voice switches to English for "nin2 hao3"
    assert output.strip()
