"""Spoken Chinese: amounts as Mandarin says them, and offline audio with espeak-ng.

espeak-ng's `cmn` voice in Debian 1.51 spells pinyin with tone digits in English;
`cmn-latn-pinyin` reads Chinese correctly (docs/decisions.md#speech)."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from typing import Optional

import cn2an

VOICE = "cmn-latn-pinyin"
_UNITS_AFTER_TWO = "百千万亿"


def amount_words(amount: int) -> str:
    """120 -> 一百二十, 2 -> 两, 200 -> 两百, 20000 -> 两万, 12 -> 十二, 22 -> 二十二."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an integer")
    words = cn2an.an2cn(amount, "low")
    if words == "二":
        return "两"
    # 二 directly before 百/千/万/亿 becomes 两, unless it ends a tens number (十二万, 二十二万)
    return re.sub(rf"(?<!十)二(?=[{_UNITS_AFTER_TWO}])", "两", words)


def points_words(amount: int) -> str:
    """The amount followed by 分, as read out at the kiosk."""
    return amount_words(amount) + "分"


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _number_words(digits: str) -> str:
    """An amount in words; a long digit run (a phone or id number, cn2an stops at 16 digits) digit by digit."""
    if len(digits) > 12:
        return "".join("零一二三四五六七八九"[int(d)] for d in digits)
    return amount_words(int(digits))


def _speakable(text: str) -> str:
    """Digits become words and Latin letters are dropped (they would be read in English)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)  # NUL and control characters
    text = re.sub(r"\d+", lambda m: _number_words(m.group()), text)
    return re.sub(r"[A-Za-z]+", "", text).strip()


def phonemes(text: str) -> str:
    """espeak-ng's phoneme output, used by tests to prove no tone-digit spelling."""
    result = subprocess.run(["espeak-ng", "-v", VOICE, "-q", "-x", _speakable(text)],
                            capture_output=True, text=True, timeout=30, check=True)
    return result.stdout


def synthesize(text: str, cache_dir: str, speed: int = 150) -> Optional[str]:
    """Render `text` to a small mono OGG file in `cache_dir`, cached by the hash of text and voice.

    Returns the file path, or None when espeak-ng is not installed (callers stay silent)."""
    if not espeak_available():
        return None
    spoken = _speakable(text)
    if not spoken:
        return None
    digest = hashlib.sha256(f"{VOICE}|{speed}|{spoken}".encode()).hexdigest()[:32]
    os.makedirs(cache_dir, exist_ok=True)
    target = os.path.join(cache_dir, f"{digest}.ogg")
    if os.path.exists(target):
        return target
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "speech.wav")
        # the text on stdin: a text starting with "-" must not be read as an option
        subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(speed), "-w", wav, "--stdin"], input=spoken.encode(),
                       check=True, capture_output=True, timeout=60)
        if shutil.which("sox"):
            partial = os.path.join(tmp, "speech.ogg")
            subprocess.run(["sox", wav, "-r", "16000", "-c", "1", partial, "gain", "-n", "-1"],
                           check=True, capture_output=True, timeout=60)
            os.replace(partial, target)
        else:  # still playable, only larger
            target = target[:-4] + ".wav"
            shutil.copyfile(wav, target)
    return target


def trim_cache(cache_dir: str, max_files: int, max_bytes: int) -> int:
    """Delete the oldest files of `cache_dir` (by modification time) until at most `max_files` files
    and `max_bytes` bytes remain, the newest always kept (it is about to be sent); returns how many went.
    A cache of per-session phrases stays bounded."""
    try:
        entries = [entry for entry in os.scandir(cache_dir) if entry.is_file()]
    except FileNotFoundError:
        return 0
    files = sorted(((e.stat().st_mtime, e.stat().st_size, e.path) for e in entries), reverse=True)
    kept_files = kept_bytes = removed = 0
    for _mtime, size, path in files:  # newest first: keep while under both limits
        if not kept_files or (kept_files < max_files and kept_bytes + size <= max_bytes):
            kept_files, kept_bytes = kept_files + 1, kept_bytes + size
            continue
        try:
            os.remove(path)
            removed += 1
        except FileNotFoundError:  # another worker trimmed it first
            pass
    return removed


def duration_seconds(path: str) -> float:
    """Length of an audio file (sox's soxi), for tests and the broadcast page."""
    result = subprocess.run(["soxi", "-D", path], capture_output=True, text=True, check=True, timeout=30)
    return float(result.stdout.strip())
