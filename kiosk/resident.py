"""/c/<token>: the resident's own read-only page behind the card QR (masked, nothing else reachable)."""
from flask import render_template

from extensions import limiter
from kiosk.summary import recent_entries
from models.household import mask_name
from services.households.cards import CardUnusable, resolve_token
from services.supermarket.kiosk_phrases import phrase


@limiter.limit("60 per minute")
def card_page(token: str):
    try:
        card = resolve_token(token)
    except CardUnusable as error:
        return render_template("kiosk/resident.html", error=error.message, say=phrase), 404
    household = card.household
    response = render_template("kiosk/resident.html", error=None, say=phrase, name=mask_name(household.head_name),
                               site=household.site.name, balance=household.balance,
                               base_points=household.base_points, entries=recent_entries(household.id, 30))
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                           "X-Robots-Tag": "noindex"}
