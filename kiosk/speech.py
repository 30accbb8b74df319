"""GET /kiosk/speech/<key>?params: the spoken phrase as audio, made offline by espeak-ng.

No device credential (an <audio> element cannot send the Authorization header), so what is rendered
is limited instead (docs/decisions.md#speech): the fixed phrases for anyone (a small finite set, cached
for good); phrases with amounts or goods only with `session=` a live kiosk session, and only what that
session shows (its site's goods, its household's balance, its own receipts). Those go to a separate
cache bounded by KIOSK_AUDIO_CACHE_FILES / KIOSK_AUDIO_CACHE_BYTES, oldest evicted first.
Files are cached on disk by the hash of their text; answers carry an ETag and Cache-Control."""
import hashlib
import os
import subprocess
from urllib.parse import quote

from flask import Response, current_app, request, send_file

from extensions import limiter
from kiosk import bp
from services import speech
from services.supermarket import kiosk_speech


def audio_dir() -> str:
    return current_app.config.get("KIOSK_AUDIO_DIR") or os.path.join(current_app.instance_path, "kiosk-audio")


def generate_fixed() -> tuple[int, bool]:
    """Render every fixed phrase into the cache (setup, `flask kiosk-audio`): (count, espeak found)."""
    if not speech.espeak_available():
        return 0, False
    texts = kiosk_speech.fixed_texts()
    for text in texts:
        speech.synthesize(text, audio_dir())
    return len(texts), True


@bp.route("/speech/<key>")
@limiter.limit("240 per minute")
def speech_audio(key: str):
    params = request.args.to_dict()
    session_id = params.pop("session", None)
    text = kiosk_speech.phrase_text(key, params)
    public = kiosk_speech.is_public(key, params)
    if not public:
        kiosk_speech.check_session_phrase(key, params, session_id)
    headers = {"X-Phrase": quote(text), "Access-Control-Expose-Headers": "X-Phrase"}
    folder = audio_dir() if public else os.path.join(audio_dir(), "session")
    try:
        path = speech.synthesize(text, folder)
        if path is not None and not public:
            os.utime(path)  # least recently used goes first, never the file about to be sent
            speech.trim_cache(folder, current_app.config["KIOSK_AUDIO_CACHE_FILES"],
                              current_app.config["KIOSK_AUDIO_CACHE_BYTES"])
    except (OSError, ValueError, subprocess.SubprocessError):  # never a 500 for a sentence: stay silent
        current_app.logger.exception("kiosk speech failed for %r", key)
        path = None
    if path is None:  # espeak-ng missing: the kiosk stays silent (see /admin/health)
        return Response(status=204, headers={**headers, "Cache-Control": "no-store"})
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    max_age = 60 if kiosk_speech.depends_on_goods(key) else 86400
    mimetype = "audio/ogg" if path.endswith(".ogg") else "audio/wav"
    response = send_file(path, mimetype=mimetype, etag=etag, conditional=True, max_age=max_age)
    response.headers.update(headers)
    response.cache_control.public = public
    response.cache_control.private = not public
    return response
