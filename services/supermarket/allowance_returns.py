"""Offline allowances coming back whole (docs/offline.md): at an online scan at the kiosk that holds
one (reason online), and by staff for a lost or retired kiosk (reason staff; disabling a kiosk does
it too, so no points stay out with a kiosk that can no longer sync)."""
from typing import Optional

from sqlalchemy import select, text

from extensions import db
from models import KioskAllowance
from services import database
from services.database import Statement
from services.staff import audit
from services.supermarket import allowances

#: the kiosk's applied offline counter and what it holds for the scanned card's household, sent
#: with the scan's device and card queries (no round trip of its own); no row for a bad credential
_AT_SCAN = text(
    "SELECT d.offline_counter, COALESCE((SELECT a.points FROM kiosk_allowance a JOIN card c "
    "ON c.household_id = a.household_id WHERE c.token_hash = :card_hash AND a.device_id = d.id), 0) "
    "FROM kiosk_device d WHERE d.token_hash = :device_hash AND d.status = 'active'")


def at_scan_statement(device_hash: str, card_hash: str) -> Statement:
    """The scan's read of (applied offline counter, points the kiosk holds for the card's household);
    (0, 0) when the credential finds no device (the device's own query refuses it first)."""
    return Statement(_AT_SCAN, {"device_hash": device_hash, "card_hash": card_hash},
                     read=lambda rows: tuple(rows[0]) if rows else (0, 0))


def return_online(device_id: int, household_id: int) -> Optional[tuple[int, int]]:
    """At an online scan: the kiosk's allowance for the household goes back to its balance (reason
    online), so the resident spends everything online. The scan's transaction becomes durable first
    (a returned allowance must not be lost in a crash), then the device row is locked and the
    allowance read again under it. Returns (points returned, balance after), None when nothing was
    left to return (a sync spent it meanwhile)."""
    database.make_durable()
    allowances.lock_device(device_id)
    written = allowances.give_back_all(device_id, household_id, "online")
    return None if written is None else (written.points, written.balance_after)


def return_all(device, actor) -> int:
    """Staff: every allowance of the kiosk goes back to its household (reason staff), for a kiosk that
    is lost, retired or disabled; audit-logged. Returns the points returned. Offline sales the kiosk
    has not synced are then no longer paid by an allowance (docs/offline.md "Limits")."""
    locked = allowances.lock_device(device.id)
    held = db.session.execute(select(KioskAllowance.household_id, KioskAllowance.points).where(
        KioskAllowance.device_id == locked.id, KioskAllowance.points > 0).order_by(KioskAllowance.household_id)).all()
    for household_id, points in held:
        allowances.give_back(locked.id, household_id, points, "staff", actor=actor)
    total = sum(points for _household, points in held)
    if held:
        audit.record(actor, "kiosk.allowances_return", "kiosk_device", locked.id, site_id=locked.site_id,
                     before={"households": len(held), "points": total, "queue_reported": locked.queue_reported,
                             "offline_counter": locked.offline_counter})
    return total
