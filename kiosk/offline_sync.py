"""The kiosk API's offline calls (docs/offline.md): the signing key of a kiosk paired before offline
mode, and the sync of its queued sales. Refresh (the allowances) lives apart."""
from flask import g, jsonify

from extensions import db
from kiosk.api import api_route, body
from models import KioskDevice
from services.supermarket import offline_sync
from services.supermarket.offline_items import register_key


@api_route("/offline/key", methods=["POST"])
def api_offline_key():
    register_key(g.device.id, body().get("public_key"))
    db.session.commit()
    return jsonify({"ok": True}), 201


# One transaction per batch (services/supermarket/offline_sync.py): the answer is sent only after the
# COMMIT, so a kiosk that heard "applied" may drop the item from its queue.
@api_route("/offline/sync", methods=["POST"])
def api_offline_sync():
    data = body()
    results = offline_sync.sync(g.device, data.get("items"), data.get("queue"))
    counter = db.session.get_one(KioskDevice, g.device.id).offline_counter  # sync holds it locked
    db.session.commit()
    return jsonify({"results": results, "counter": counter})
