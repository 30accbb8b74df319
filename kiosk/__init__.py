"""The touchscreen kiosk at the points supermarket, and the resident's own card page."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")


@bp.record_once
def _register_resident_page(state) -> None:
    """/c/<token> is the URL inside the card QR, outside the /kiosk prefix."""
    from kiosk.resident import card_page

    state.app.add_url_rule("/c/<token>", "resident_card", card_page)


from kiosk import api, offline, offline_shell, offline_sync, speech, views  # noqa: E402,F401  (routes register on import)
