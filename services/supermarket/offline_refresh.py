"""The kiosk's offline refresh (docs/offline.md "Refresh"): under the device row's lock, return the
kiosk's expired allowances, re-size its allowance for every household of its site, push every
allowance's expiry to now + the window, and hand the kiosk what it needs to sell offline.

Sizing, per active household with a usable card (docs/offline.md "Allowance"):
  owned     = balance + Σ allowances of every kiosk − base points   (what the household may spend)
  share     = min(owned, cap) // active kiosks of the site          (integer division: a remainder stays
                                                                     in the balance, never over-held)
  available = balance + this kiosk's allowance − base points        (what this kiosk can take now)
  target    = max(0, min(share, available))
A household without a usable card, no longer active or of another site gets 0. Only an allowance
that changes posts a ledger entry: a refresh that changes nothing writes none (it only extends the
expiry). Reads are set-based (one round trip for the site); a write is made per changed allowance."""
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, text

from extensions import db
from models import Household
from models.clock import utcnow
from models.household import kiosk_name
from services.database import Statement, as_datetime, run_together
from services.errors import DomainError, ValidationFailed
from services.staff.county_settings import county_of_site, county_setting
from services.supermarket import allowances
from services.supermarket.goods import shelf_statement

#: the highest counter or queue length a kiosk may send (its counter is a 32-bit column)
MAX_COUNT = 2**31 - 1


class SyncFirst(DomainError):
    """The kiosk sold offline beyond what the server applied: it must sync before it refreshes or
    scans online (its allowances would be re-sized under sales not yet paid)."""

    code = "sync_first"
    status = 409
    message = "这台终端还有离线兑换没有上传,请先同步,再继续"


def parse_count(value, label: str) -> int:
    """A counter or queue length as the kiosk sends it: a non-negative integer, else ValidationFailed."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValidationFailed(f"{label}必须是不小于 0 的整数")
    return value


def check_counter(applied: int, counter: int) -> None:
    """SyncFirst when the server has applied fewer offline sales than the kiosk made."""
    if applied < counter:
        raise SyncFirst()


def limits(site_id: int) -> tuple[int, int]:
    """(allowance cap in points, offline window in hours) of the site's county."""
    county = county_of_site(site_id)
    return county_setting(county, "offline_allowance_cap"), county_setting(county, "offline_window_hours")


# the site's active households, each with its newest usable card (a household between two cards —
# a reissue not yet handed over — is listed under the new one only, so no allowance is listed twice)
_HOMES = text(
    "SELECT h.id, h.head_name, h.balance, h.base_points, c.token_hash FROM household h "
    "LEFT JOIN card c ON c.household_id = h.id AND c.status = 'active' AND c.generation = "
    "(SELECT MAX(n.generation) FROM card n WHERE n.household_id = h.id AND n.status = 'active') "
    "WHERE h.site_id = :site AND h.status = 'active' ORDER BY h.id")
_MINE = text("SELECT household_id, points, expires_at FROM kiosk_allowance WHERE device_id = :device")
_OUT = text("SELECT a.household_id, SUM(a.points) FROM kiosk_allowance a JOIN household h ON h.id = a.household_id "
            "WHERE h.site_id = :site GROUP BY a.household_id")
_KIOSKS = text("SELECT COUNT(*) FROM kiosk_device WHERE site_id = :site AND status = 'active'")
_EXTEND = text("UPDATE kiosk_allowance SET issued_at = :now, expires_at = :expires WHERE device_id = :device"
               ).bindparams(bindparam("now", type_=db.DateTime()), bindparam("expires", type_=db.DateTime()))


def refresh(device, counter, queue) -> dict:
    """Re-size the kiosk's allowances and return the refresh payload of docs/offline.md, except that
    "goods" holds the shelf rows (shelf_statement's value; the view makes them the kiosk's JSON).
    `device`: a KioskDevice or the request's DeviceCredential. Raises ValidationFailed for a bad
    counter or queue (nothing written), SyncFirst when the kiosk must sync first."""
    counter, queue = parse_count(counter, "离线编号"), parse_count(queue, "待上传笔数")
    row = allowances.lock_device(device.id)
    check_counter(row.offline_counter, counter)
    cap, window = limits(row.site_id)
    now = utcnow()
    expires = now + timedelta(hours=window)
    homes, mine, out, kiosks, goods = run_together([
        Statement(_HOMES, {"site": row.site_id}),
        Statement(_MINE, {"device": row.id}, read=lambda rows: {h: (p, as_datetime(e)) for h, p, e in rows}),
        Statement(_OUT, {"site": row.site_id}, read=lambda rows: {h: int(p) for h, p in rows}),
        Statement(_KIOSKS, {"site": row.site_id}, read=lambda rows: max(1, rows[0][0])),
        shelf_statement(row.site_id)])
    listed = {home[0]: home for home in homes}

    def target(household_id: int, balance: int, base: int) -> int:
        home = listed.get(household_id)
        if home is None or home[4] is None:  # not of this site, not active, or no usable card
            return 0
        held_here = mine.get(household_id, (0, None))[0]
        share = max(0, min(balance + out.get(household_id, 0) - base, cap)) // kiosks
        return max(0, min(share, balance + held_here - base))

    changing = sorted(h for h in set(listed) | set(mine)
                      if _expired(mine.get(h), now) or target(h, *_money(listed.get(h))) != mine.get(h, (0,))[0])
    final = {h: points for h, (points, _) in mine.items()}
    if changing:
        final.update(_resize(row.id, changing, mine, target, now, expires))
    db.session.execute(_EXTEND, {"now": now, "expires": expires, "device": row.id})
    row.last_refresh_at = now
    row.queue_reported = queue
    db.session.flush()
    stamp = _utc_text(now)
    return {"server_time": stamp, "issued_at": stamp, "valid_until": _utc_text(expires), "window_hours": window,
            "counter": row.offline_counter,
            "households": [{"card_hash": card_hash, "name": kiosk_name(head_name), "allowance": final.get(hid, 0)}
                           for hid, head_name, _balance, _base, card_hash in homes if card_hash is not None],
            "goods": goods}


def _resize(device_id: int, changing: list[int], mine: dict, target, now: datetime, expires: datetime) -> dict:
    """Lock the changing households (in id order: two kiosks' refreshes never wait on each other in a
    circle), size each again on its locked balance, and move the difference. Returns the new points."""
    locked = db.session.execute(
        select(Household.id, Household.balance, Household.base_points).where(Household.id.in_(changing))
        .order_by(Household.id).with_for_update()).all()
    final = {}
    for household_id, balance, base in locked:
        points, expires_at = mine.get(household_id, (0, None))
        wanted = target(household_id, balance, base)
        if points and expires_at <= now:
            allowances.give_back(device_id, household_id, points, "expired")
            points = 0
        if wanted < points:
            allowances.give_back(device_id, household_id, points - wanted, "refresh")
        elif wanted > points:
            allowances.hold(device_id, household_id, wanted - points, now, expires)
        final[household_id] = wanted
    return final


def _expired(held, now: datetime) -> bool:
    return held is not None and held[0] > 0 and held[1] <= now


def _money(home) -> tuple[int, int]:
    """(balance, base points) of a listed household's row; (0, 0) for one not listed (its target is 0)."""
    return (home[2], home[3]) if home is not None else (0, 0)


def _utc_text(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as the kiosk's Date parses it: 2026-12-07T17:40:00.000Z."""
    return moment.isoformat(timespec="milliseconds") + "Z"
