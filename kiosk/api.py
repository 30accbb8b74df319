"""The kiosk JSON API (docs/kiosk-api.md). CSRF-exempt; every call but pairing needs
`Authorization: Device <token>`. The client never sends a household id."""
import json
from contextlib import contextmanager
from functools import wraps
from typing import Optional

from flask import current_app, g, jsonify, request

from extensions import UNLIMITED_ENDPOINTS, csrf, db, limiter
from kiosk import bp
from kiosk.summary import household_json, recent_statement, shelf_json
from models import Site
from services import database
from services.errors import DomainError, NotFound, ValidationFailed
from services.households.cards import CardUnusable, card_statement
from services.supermarket import allowance_returns, offline_refresh, redemption
from services.supermarket import devices as kiosk_devices
from services.supermarket.goods import shelf_statement
from services.supermarket.kiosk_phrases import phrase
from services.supermarket.receipts import receipt_json


def api_route(rule: str, *, device=True, limit=None, transaction=None, **options):
    """A CSRF-exempt /kiosk/api route (`options`: Flask's, e.g. methods).

    device: True — the device credential is required (g.device), and a POST records the device's
    visit (mark_seen) before the view. False — the view checks it itself (the scan and the
    redemption, whose services read the device with their own statements) or needs none (pairing).
    limit: a Flask-Limiter rate for this route; None: exempt from every limit.
    transaction: one of services.database's kinds (READ, LOSABLE_WRITE …); None: by method (GET
    reads, POST writes)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if transaction is not None:
                database.expect(transaction)
            if device:
                g.device = kiosk_devices.device_from_header(request.headers.get("Authorization"))[0]
                if request.method == "POST":
                    kiosk_devices.mark_seen(g.device)
            return view(*args, **kwargs)

        csrf.exempt(wrapped)
        if limit:
            wrapped = limiter.limit(limit)(wrapped)
        else:  # no limit of its own and the app sets no default ones: skip resolving limits per request
            wrapped = limiter.exempt(wrapped)
            UNLIMITED_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
        bp.add_url_rule(f"/api{rule}", view.__name__, wrapped, **options)
        return wrapped

    return decorator


def body() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # [[[[…]]]] nested deeper than the parser goes
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed(phrase("request.not_json"))
    raw = request.get_data(cache=True)
    if not raw.isascii() or b"\\u" in raw:  # ASCII without \u escapes cannot hold a lone surrogate
        try:  # "\ud800" is valid JSON but no text: it cannot be stored or even looked up
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ValidationFailed(phrase("request.bad_text")) from None
    return data


@api_route("/pair", methods=["POST"], device=False, limit="20 per minute")
def api_pair():
    data = body()
    device, token = kiosk_devices.pair(data.get("code"), data.get("public_key"))
    db.session.commit()
    # counter: the offline counter sync has applied, where a re-paired kiosk's counting goes on (docs/offline.md)
    return jsonify({"token": token, "device": device.name, "site": device.site.name,
                    "counter": device.offline_counter}), 201


@api_route("/device")
def api_device():
    device = g.device
    config = current_app.config
    return jsonify({"device": device.name, "site": device.site.name,
                    "idle_seconds": config["KIOSK_IDLE_SECONDS"], "warn_seconds": config["KIOSK_WARN_SECONDS"],
                    "notices": public_notices(device.site_id) + honor_notices(device.site_id)})


def public_notices(site_id: int) -> list[str]:
    """Evaluation results on 公示 right now (names already masked by services/earning/notices.py)."""
    from services.earning.notices import open_notices

    lines = []
    for notice in open_notices(site_id):
        contact = phrase("notice.contact", contact=notice["contact"]) if notice["contact"] else ""
        lines.append(phrase("notice.public", title=notice["title"], text=notice["notice_text"], contact=contact))
        rows = [phrase("notice.row", name=row["name"], points=f"{row['points']:+d}",
                       awards=phrase("notice.awards", awards=row["awards"]) if row["awards"] else "")
                for row in notice["lines"]]
        separator = phrase("list_separator")
        lines.extend(phrase("notice.public_rows", title=notice["title"], rows=separator.join(rows[i:i + 8]))
                     for i in range(0, len(rows), 8))
    return lines


def honor_notices(site_id: int) -> list[str]:
    """The site's honor lists on 公示 now, then its published ones, as rotating lines for the attract
    screen (光荣榜)."""
    from services.honors.public import honor_lists_on_notice, published_honor_lists

    lines, separator = [], phrase("list_separator")
    for honor in honor_lists_on_notice(site_id):
        contact = phrase("notice.contact", contact=honor["contact"]) if honor["contact"] else ""
        for section in honor["sections"]:
            names = separator.join(entry["name"] for entry in section["entries"][:12])
            lines.append(phrase("notice.honor_public", title=honor["title"], text=honor["notice_text"],
                                section=section["name"], names=names, contact=contact))
    for honor in published_honor_lists(site_id):
        for section in honor["sections"]:
            names = separator.join(entry["name"] for entry in section["entries"][:12])
            lines.append(phrase("notice.honor", title=honor["title"], section=section["name"], names=names))
    return lines


@contextmanager
def credential_first(header: Optional[str]):
    """Around a request's checks made before its device is read: a refusal from a device without a
    valid credential is the 401 instead."""
    try:
        yield
    except DomainError:
        kiosk_devices.device_from_header(header)
        raise


def checked_body(header: Optional[str]) -> dict:
    """body(), under credential_first."""
    with credential_first(header):
        return body()


def scanned_card_read(header: Optional[str], data: dict) -> list:
    """The card, and what the kiosk holds offline for its household with the kiosk's applied offline
    counter (docs/offline.md "Online scan"): both sent with the device's query."""
    scanned = data.get("card")
    if not isinstance(scanned, str) or len(scanned) > 500:
        raise CardUnusable(phrase("card.unreadable"), reason="unreadable")
    if data.get("offline_counter") is not None:
        offline_refresh.parse_count(data["offline_counter"], "离线编号")
    card = card_statement(scanned)
    device_hash = kiosk_devices.credential_hash(header)
    return [card, allowance_returns.at_scan_statement(device_hash, card.params["token_hash"])]


# The scan, the kiosk's busiest request, in two round trips on PostgreSQL: the device, the card and
# the kiosk's offline allowance for the household; then the new session (which records the device's
# visit), the recent entries, the shelf and the COMMIT. Without an allowance it writes only its
# session row, which a crash may lose: the resident scans again. With one, the allowance goes back to
# the balance first, durably (docs/offline.md "Online scan").
@api_route("/scan", methods=["POST"], device=False, transaction=database.LOSABLE_WRITE)
def api_scan():
    header = request.headers.get("Authorization")
    return jsonify(scan_answer(header, checked_body(header)))


def scan_answer(header: Optional[str], data: dict) -> dict:
    """The scan's answer to the request body `data` (parsed JSON) from the device behind `header`;
    commits. Served by kiosk/hot_path.py as well as the view."""
    with credential_first(header):
        reads = scanned_card_read(header, data)
    device, (card, (applied, held)) = kiosk_devices.device_from_header(header, reads)
    household = card.household
    counter = data.get("offline_counter")
    if counter is not None:
        offline_refresh.check_counter(applied, counter)
    if household.site_id != device.site_id:
        site = db.session.get(Site, household.site_id).name
        raise CardUnusable(phrase("card.other_site", site=site), reason="other_site",
                           site_id=household.site_id)
    returned = 0
    if held:
        back = allowance_returns.return_online(device.id, household.id)
        if back is not None:
            returned, balance = back
            household = household._replace(balance=balance)
    with database.commit_follows():
        session, (recent, goods) = kiosk_devices.start_session(
            device, card, reads=[recent_statement(household.id), shelf_statement(device.site_id, household.id)])
    payload = {"session_id": session["id"], "expires_in": current_app.config["KIOSK_IDLE_SECONDS"],
               "household": household_json(household, recent),
               "goods": shelf_json(goods, household), "allowance_returned": returned}
    db.session.commit()
    return payload


@api_route("/goods")
def api_goods():
    household = None
    session_id = request.headers.get("X-Kiosk-Session")
    if session_id:
        household = kiosk_devices.get_session(g.device, session_id, touch=False).household
    goods = database.run(shelf_statement(g.device.site_id, household.id if household is not None else None))
    return jsonify({"goods": shelf_json(goods, household)})


# One function the API calls; the dialect decides how (services/supermarket/redemption.py redeem_for):
# on PostgreSQL the device, the session, the goods and every write under the locks are one call, then
# the ledger entry and the COMMIT go in one send. The credential is checked there (device=False here),
# but a bad request from a device without a valid credential still hears 401 first.
# Its reads take no lock (READ); the redemption records the device's visit with its first write.
@api_route("/redeem", methods=["POST"], device=False, transaction=database.READ)
def api_redeem():
    header = request.headers.get("Authorization")
    return jsonify(redeem_answer(header, checked_body(header)))


def redeem_answer(header: Optional[str], data: dict) -> dict:
    """The redemption's answer to the request body `data` (parsed JSON) from the device behind
    `header`; commits. Served by kiosk/hot_path.py as well as the view."""
    with credential_first(header):
        parsed = redemption.parse_request(data.get("session_id"), data.get("request_id"), data.get("cart"),
                                          data.get("expected_total"))
    with database.commit_follows():
        result = redemption.redeem_for(header, parsed)
    payload = receipt_json(result)
    database.commit_session()
    return {"receipt": payload}


@api_route("/receipt/<request_id>")
def api_receipt(request_id):
    found = redemption.find(redemption.parse_request_id(request_id))
    if found is None or found.device_id != g.device.id:
        raise NotFound(phrase("redeem.no_receipt"))
    return jsonify({"receipt": receipt_json(found)})


@api_route("/session/touch", methods=["POST"])
def api_session_touch():
    kiosk_devices.get_session(g.device, body().get("session_id"))
    db.session.commit()
    return jsonify({"expires_in": current_app.config["KIOSK_IDLE_SECONDS"]})


@api_route("/session/end", methods=["POST"])
def api_session_end():
    kiosk_devices.end_session(g.device, body().get("session_id"))
    db.session.commit()
    return jsonify({"ok": True})
