"""/c/<token>: the resident's own read-only page behind the card QR (masked, nothing else reachable)."""
from flask import render_template

from extensions import db, limiter
from kiosk.summary import recent_statement
from models import Household
from models.household import mask_name
from services import database
from services.households import base_points
from services.households.cards import CardUnusable, card_statement
from services.supermarket import allowances
from services.supermarket.kiosk_phrases import phrase


@limiter.limit("60 per minute")
def card_page(token: str):
    try:
        card = database.run(card_statement(token))
    except CardUnusable as error:
        return render_template("kiosk/resident.html", error=error.message, say=phrase), 404
    household = db.session.get(Household, card.household_id)
    held = allowances.held_out(household.id)  # still the household's: what it can spend counts it
    response = render_template("kiosk/resident.html", error=None, say=phrase, name=mask_name(household.head_name),
                               site=household.site.name,
                               balance=base_points.spendable(household.balance + held, household.base_points),
                               held_out=held,
                               base_points=household.base_points, entries=database.run(recent_statement(household.id, 30)))
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                           "X-Robots-Tag": "noindex"}
