"""Kiosk devices: pairing with a one-time code, the device credential, kiosk sessions.

The credential and the pairing code are random; only their SHA-256 is stored. A kiosk
session id is what the kiosk holds after a scan: never a household id (docs/decisions.md#kiosk-auth, docs/decisions.md#kiosk-session)."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from flask import current_app
from sqlalchemy import DateTime, bindparam, select, text, update

from extensions import db
from models import KioskDevice, KioskSession, Site
from models.clock import utcnow
from services.database import Statement, as_datetime, expire_written, run_last, run_together
from services.errors import DomainError, NotFound, ValidationFailed
from services.supermarket import allowance_returns
from services.supermarket.kiosk_phrases import phrase

PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_TTL = timedelta(hours=24)


class DeviceUnauthorized(DomainError):
    code = "device_unauthorized"
    status = 401
    message = phrase("device.unauthorized")


class SessionExpired(DomainError):
    code = "session_expired"
    status = 410
    message = phrase("refusal.session_expired")


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalize_code(code) -> str:
    if not isinstance(code, str) or len(code) > 32:
        return ""
    return "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())


def new_pairing_code(device: KioskDevice) -> str:
    """A fresh one-time code (XXXX-XXXX) valid for 24 hours; the old credential stays until used."""
    raw = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))
    device.pairing_code_hash = _sha(raw)
    device.pairing_expires_at = utcnow() + PAIRING_TTL
    db.session.flush()
    return f"{raw[:4]}-{raw[4:]}"


def create_device(site_id: int, name: str, actor=None) -> tuple[KioskDevice, str]:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValidationFailed("请填写终端名称(64 个字以内)")
    device = KioskDevice(site_id=site_id, name=name, status="pending", created_by=getattr(actor, "id", actor))
    db.session.add(device)
    db.session.flush()
    return device, new_pairing_code(device)


def pair(code: str, public_key=None) -> tuple[KioskDevice, str]:
    """Trade a pairing code for the device credential; the code works once. `public_key`: the kiosk's
    offline signing key as a JWK (docs/offline.md), or None; pairing again replaces the key, or clears
    it (a new kiosk's key replaces the old one only this way)."""
    from services.supermarket.offline_items import parse_public_key  # it imports redemption, which imports us

    key = parse_public_key(public_key) if public_key is not None else None
    normalized = normalize_code(code)
    if len(normalized) != 8:
        raise ValidationFailed(phrase("pair.bad_code"))
    device = db.session.execute(
        select(KioskDevice).where(KioskDevice.pairing_code_hash == _sha(normalized))
    ).scalar_one_or_none()
    if device is None or device.status == "disabled" or device.pairing_expires_at < utcnow():
        raise ValidationFailed(phrase("pair.expired"))
    token = secrets.token_urlsafe(32)
    device.token_hash = _sha(token)
    device.pairing_code_hash = None
    device.pairing_expires_at = None
    device.status = "active"
    device.paired_at = utcnow()
    device.public_key = key
    db.session.flush()
    return device, token


def disable(device: KioskDevice, actor=None) -> int:
    """The kiosk stops working; its offline allowances go back to their households (a disabled kiosk
    can no longer sync, so points must not stay out with it). Returns the points returned."""
    returned = allowance_returns.return_all(device, actor)
    device.status = "disabled"
    device.token_hash = None
    device.pairing_code_hash = None
    db.session.execute(update(KioskSession).where(KioskSession.device_id == device.id,
                                                  KioskSession.ended_at.is_(None)).values(ended_at=utcnow()))
    db.session.flush()
    return returned


#: how stale kiosk_device.last_seen_at may get: an UPDATE of the device row on every request would
#: make every request of a kiosk wait for its previous one
LAST_SEEN_STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class DeviceCredential:
    """The active device behind a request's credential. Read as a plain row, not an ORM object:
    every kiosk request reads it, and the ORM's per-query work was a tenth of a redemption's CPU."""

    id: int
    site_id: int
    name: str
    last_seen_at: Optional[datetime]

    @property
    def site(self) -> Site:
        return db.session.get(Site, self.site_id)


def mark_seen(device) -> None:
    """Record the device's request time (a KioskDevice or a DeviceCredential), at most once per LAST_SEEN_STEP."""
    seen = seen_statements(device)
    if seen:
        run_together(seen)


def seen_statements(device) -> list[Statement]:
    """mark_seen() as statements to send with others: [] while last_seen_at is recent enough."""
    now = utcnow()
    if device.last_seen_at is not None and now - device.last_seen_at < LAST_SEEN_STEP:
        return []
    expire_written(KioskDevice, device.id, ["last_seen_at"])
    return [Statement(_MARK_SEEN, {"id": device.id, "now": now})]


_MARK_SEEN = text("UPDATE kiosk_device SET last_seen_at = :now WHERE id = :id").bindparams(
    bindparam("now", type_=DateTime()))
_DEVICE_QUERY = text("SELECT id, site_id, name, last_seen_at FROM kiosk_device "
                     "WHERE token_hash = :token_hash AND status = 'active'")


def device_from_header(header: Optional[str], reads: Sequence[Statement] = ()) -> tuple[DeviceCredential, list]:
    """The active device behind `Authorization: Device <token>`, else DeviceUnauthorized (401); and
    the values of `reads`, statements sent in the same round trip (the scan reads its card that way),
    whose errors come after the device's."""
    device, *values = run_together([Statement(_DEVICE_QUERY, {"token_hash": credential_hash(header)},
                                              read=_credential), *reads])
    return device, values


def credential_hash(header: Optional[str]) -> str:
    """The stored hash of the credential in `Authorization: Device <token>`; DeviceUnauthorized (401)
    without one. Whether a device has it, the caller's query finds out."""
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Device" or not token.strip():
        raise DeviceUnauthorized(phrase("device.no_credential"))
    return _sha(token.strip())


def _credential(rows) -> DeviceCredential:
    if not rows:
        raise DeviceUnauthorized()
    device_id, site_id, name, last_seen_at = rows[0]
    return DeviceCredential(device_id, site_id, name, as_datetime(last_seen_at))


def idle_window() -> timedelta:
    """Server-side session lifetime after the last use: the idle timeout plus slack."""
    return timedelta(seconds=current_app.config["KIOSK_IDLE_SECONDS"] * 2)


def start_session(device, card, reads: Sequence[Statement] = ()) -> tuple[dict, list]:
    """A new kiosk session for `card` (a Card or the scan's CardRow); the device's previous one ends
    (one household at a time) and the device counts as seen (mark_seen). Returns the new session's
    columns (a caller that needs the KioskSession loads it by its "id"), and the values of `reads`,
    statements sent in the same round trip as the session's (the scan reads the household's recent
    entries and the shelf that way). Its statements end the caller's writes (run_last: inside
    commit_follows() they carry the COMMIT)."""
    db.session.flush()
    now = utcnow()
    columns = dict(id=secrets.token_urlsafe(24), device_id=device.id, household_id=card.household_id,
                   card_id=card.id, created_at=now, expires_at=now + idle_window())
    batch = [*seen_statements(device), Statement(_END_OPEN_SESSIONS, {"device": device.id, "now": now}),
             Statement(_INSERT_SESSION, columns)]
    results = run_last([*batch, *reads])
    for cached in list(db.session.identity_map.values()):  # sessions of this device in memory ended too
        if isinstance(cached, KioskSession) and "device_id" in cached.__dict__ and cached.device_id == device.id:
            db.session.expire(cached, ["ended_at"])
    return columns, results[len(batch):]


_END_OPEN_SESSIONS = text("UPDATE kiosk_session SET ended_at = :now WHERE device_id = :device AND ended_at IS NULL"
                          ).bindparams(bindparam("now", type_=DateTime()))
_SESSION_COLUMNS = ("id", "device_id", "household_id", "card_id", "created_at", "expires_at")
_INSERT_SESSION = text(f"INSERT INTO kiosk_session ({', '.join(_SESSION_COLUMNS)}) "
                       f"VALUES ({', '.join(':' + name for name in _SESSION_COLUMNS)})").bindparams(
    bindparam("created_at", type_=DateTime()), bindparam("expires_at", type_=DateTime()))


_SESSIONS = KioskSession.__table__
#: the kiosk session, neither ended nor expired (binds: open_session_id, now; not named like columns,
#: which UPDATE … SET reserves); whose device it is, the caller checks
LIVE_SESSION_SQL = ("kiosk_session.id = :open_session_id "
                    "AND kiosk_session.ended_at IS NULL AND kiosk_session.expires_at >= :now")
#: the device's kiosk session, neither ended nor expired (binds: those of LIVE_SESSION_SQL, open_device_id)
OPEN_SESSION_SQL = f"{LIVE_SESSION_SQL} AND kiosk_session.device_id = :open_device_id"
OPEN_SESSION = text(OPEN_SESSION_SQL).bindparams(bindparam("now", type_=DateTime()))
_TOUCH = (update(_SESSIONS).where(OPEN_SESSION).values(expires_at=bindparam("expires", type_=DateTime()))
          .returning(_SESSIONS.c.household_id, _SESSIONS.c.card_id))
_CHECK = select(_SESSIONS.c.household_id, _SESSIONS.c.card_id).where(OPEN_SESSION)


def open_session_params(device, session_id) -> dict:
    """The binds of OPEN_SESSION (`device`: a KioskDevice or the request's DeviceCredential);
    SessionExpired for an id no session can have."""
    if not possible_session_id(session_id):
        raise SessionExpired()
    return {"open_session_id": session_id, "open_device_id": device.id, "now": utcnow()}


def live_session_params(session_id) -> dict:
    """The binds of LIVE_SESSION_SQL; an id no session can have finds none."""
    return {"open_session_id": session_id if possible_session_id(session_id) else "", "now": utcnow()}


def possible_session_id(session_id) -> bool:
    """Whether `session_id` could be a session's id at all (else no query need look for it)."""
    return isinstance(session_id, str) and 0 < len(session_id) <= 48 and session_id.isascii()


def session_holder(device, session_id, touch: bool = True) -> tuple[int, int]:
    """(household_id, card_id) of the device's open session, or SessionExpired; one statement that
    also pushes the expiry forward when `touch`."""
    params = open_session_params(device, session_id)
    params["expires"] = params["now"] + idle_window()
    row = db.session.execute(_TOUCH if touch else _CHECK, params).first()
    if row is None:
        raise SessionExpired()
    if touch:
        expire_written(KioskSession, session_id, ["expires_at"])
    return row.household_id, row.card_id


def get_session(device, session_id, touch: bool = True) -> KioskSession:
    """The device's open session, or SessionExpired; pushes the expiry forward when `touch`."""
    db.session.flush()
    session_holder(device, session_id, touch)
    return db.session.get(KioskSession, session_id)


def end_session(device, session_id) -> None:
    ok = isinstance(session_id, str) and session_id.isascii() and len(session_id) <= 48
    session = db.session.get(KioskSession, session_id) if ok else None
    if session is not None and session.device_id == device.id and session.ended_at is None:
        session.ended_at = utcnow()
        db.session.flush()


def require_device(device_id: int) -> KioskDevice:
    device = db.session.get(KioskDevice, device_id)
    if device is None:
        raise NotFound("没有这台终端")
    return device
