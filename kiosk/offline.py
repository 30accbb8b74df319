"""The kiosk's offline API (docs/offline.md): the refresh that sizes its allowances and gives it what it
needs to sell while cut off."""
from flask import g, jsonify

from extensions import db
from kiosk.api import api_route, body
from kiosk.summary import shelf_json
from services.supermarket import offline_refresh


@api_route("/offline/refresh", methods=["POST"])
def api_offline_refresh():
    data = body()
    payload = offline_refresh.refresh(g.device, data.get("counter"), data.get("queue"))
    payload["goods"] = shelf_json(payload["goods"])
    db.session.commit()
    return jsonify(payload)
