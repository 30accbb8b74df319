"""/admin/health: can this machine speak, print Chinese and reach its database? (admin only;
system-wide, no site data, so no site scope applies)."""
import os
import shutil
import subprocess

from flask import current_app, render_template
from sqlalchemy import text

from admin import bp
from admin.auth import roles_required
from extensions import db
from services import speech
from services.supermarket import kiosk_speech

INSTALL_HINT = "sudo apt-get install -y espeak-ng sox libsox-fmt-all fonts-noto-cjk fonts-wqy-microhei"
FONTS = ("Noto Sans CJK SC", "WenQuanYi Micro Hei")


def _run(*args: str) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def speech_check() -> dict:
    found = speech.espeak_available()
    voices = _run("espeak-ng", "--voices=cmn") if found else ""
    return {"espeak": found, "version": _run("espeak-ng", "--version").split(" Data")[0].strip() if found else "",
            "voice": speech.VOICE in voices, "sox": shutil.which("sox") is not None}


def audio_cache() -> dict:
    from kiosk.speech import audio_dir

    folder = audio_dir()
    files = os.listdir(folder) if os.path.isdir(folder) else []
    return {"dir": folder, "files": len(files), "fixed": len(kiosk_speech.fixed_texts())}


def font_check() -> dict:
    listing = _run("fc-list", ":", "family")
    return {name: name in listing for name in FONTS}


def database_check() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        heads = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return {"ok": True, "dialect": db.engine.dialect.name, "revisions": sorted(heads), "error": ""}
    except Exception as error:  # noqa: BLE001 - shown to the admin, not raised
        db.session.rollback()
        return {"ok": False, "dialect": db.engine.dialect.name, "revisions": [], "error": str(error)[:300]}


@bp.route("/health")
@roles_required("admin")
def health():
    return render_template("admin/health.html", speech=speech_check(), cache=audio_cache(), fonts=font_check(),
                           database=database_check(), install_hint=INSTALL_HINT,
                           kiosk_idle=current_app.config["KIOSK_IDLE_SECONDS"])
