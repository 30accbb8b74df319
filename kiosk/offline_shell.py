"""The kiosk's service worker and the list of what it keeps for a reload without network
(docs/offline.md, "The kiosk side"): the page, its scripts and CSS, the pictograms and the fixed
spoken phrases' audio. The worker is a static file (static/js/kiosk/sw.js) served under /kiosk/ so
its scope covers the kiosk; its URL carries the shell's version, so a deploy that changes any of
these files installs a new worker with a new cache and the old one is deleted."""
import glob
import hashlib
import json
import os
from functools import lru_cache
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, url_for

from kiosk import bp
from services.supermarket import kiosk_speech
from services.supermarket.kiosk_phrases import PHRASES

#: static files of the kiosk page, relative to the static folder (globs)
SHELL_FILES = ("css/kiosk.css", "js/kiosk/*.js", "vendor/jsqr/jsQR.js", "img/pictograms/*.svg", "favicon.ico")
WORKER = "js/kiosk/sw.js"


def _static_files(static_folder: str) -> list[str]:
    found = []
    for pattern in SHELL_FILES:
        found += sorted(os.path.relpath(path, static_folder).replace(os.sep, "/")
                        for path in glob.glob(os.path.join(static_folder, pattern)))
    return [name for name in found if name != WORKER]


def speech_urls() -> list[str]:
    """The spoken phrases anyone may fetch that need no amount: the fixed audio the kiosk plays
    offline (in the query order static/js/kiosk/speech.js writes)."""
    urls = [f"/kiosk/speech/{key}" for key in kiosk_speech.FIXED_KEYS]
    urls += [f"/kiosk/speech/card_error?{urlencode({'reason': r})}" for r in kiosk_speech.CARD_REASONS
             if r != "other_site"]
    errors = kiosk_speech.ADJUSTED_ERRORS + tuple(kiosk_speech.OTHER_REDEEM_ERRORS)
    return urls + [f"/kiosk/speech/redeem_failed?{urlencode({'error': e})}" for e in errors]


@lru_cache(maxsize=4)
def _shell(static_folder: str, speech: bool) -> tuple[str, tuple[str, ...]]:
    """(version, static file names): the version hashes every file's bytes and the phrase catalog."""
    files = _static_files(static_folder)
    digest = hashlib.sha256(json.dumps(PHRASES, sort_keys=True).encode() + (b"1" if speech else b"0"))
    for name in files + [WORKER]:
        with open(os.path.join(static_folder, name), "rb") as fh:
            digest.update(name.encode() + b"\0" + fh.read())
    return digest.hexdigest()[:16], tuple(files)


def shell_version(speech: bool) -> str:
    return _shell(current_app.static_folder, speech)[0]


@bp.route("/offline-shell.json")
def offline_shell():
    """What the service worker caches at install (no personal data: the same for every kiosk)."""
    from services import speech as speech_service

    speech = speech_service.espeak_available()
    version, files = _shell(current_app.static_folder, speech)
    urls = [url_for("kiosk.kiosk_page")] + [url_for("static", filename=name) for name in files]
    response = jsonify({"version": version, "urls": urls, "speech": speech_urls() if speech else []})
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
def service_worker():
    """The worker script itself: never cached by HTTP, so an update is seen at the next page load."""
    with open(os.path.join(current_app.static_folder, WORKER), "rb") as fh:
        body = fh.read()
    return Response(body, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/kiosk/"})
