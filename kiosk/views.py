"""The kiosk page itself (server-rendered shell; data comes from the JSON API) and goods photos."""
import re

from flask import Response, current_app, render_template, url_for
from markupsafe import Markup, escape
from sqlalchemy import select

from extensions import db
from kiosk import bp
from kiosk.offline_shell import shell_version
from models import Goods
from services import speech
from services.supermarket.kiosk_phrases import PHRASES, phrase

_PARAM = re.compile(r"\{(\w+)\}")


def phrase_html(key: str, **markup: str) -> Markup:
    """`key`'s text with its parameters replaced by the given (trusted) markup; the text is escaped."""
    parts = _PARAM.split(PHRASES[key])
    return Markup("").join(Markup(markup[part]) if i % 2 else escape(part) for i, part in enumerate(parts))


@bp.context_processor
def _phrases():
    """Templates of the kiosk blueprint say every word through the catalog: say(key, **params)."""
    return {"say": phrase, "say_html": phrase_html}


@bp.route("/")
def kiosk_page():
    config = current_app.config
    speaks = speech.espeak_available()
    return render_template("kiosk/kiosk.html", idle_seconds=config["KIOSK_IDLE_SECONDS"],
                           warn_seconds=config["KIOSK_WARN_SECONDS"], speech=speaks, phrases=PHRASES,
                           worker_url=url_for("kiosk.service_worker", v=shell_version(speaks)))


@bp.route("/photo/<int:goods_id>")
def goods_photo(goods_id: int):
    """Goods photos are not personal data; served without a credential so <img> can load them."""
    photo = db.session.execute(select(Goods.photo).where(Goods.id == goods_id)).scalar_one_or_none()
    if not photo:
        return Response(status=404)
    response = Response(photo, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
