"""Kiosk devices: pairing with a one-time code, the device credential, kiosk sessions.

The credential and the pairing code are random; only their SHA-256 is stored. A kiosk
session id is what the kiosk holds after a scan: never a household id (DECISIONS #16, #17)."""
import hashlib
import secrets
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select, update

from extensions import db
from models import KioskDevice, KioskSession
from models.clock import utcnow
from services.errors import DomainError, NotFound, ValidationFailed

PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_TTL = timedelta(hours=24)


class DeviceUnauthorized(DomainError):
    code = "device_unauthorized"
    status = 401
    message = "这台终端还没有配对或已被停用,请联系管理员"


class SessionExpired(DomainError):
    code = "session_expired"
    status = 410
    message = "操作超时,请重新扫描积分卡"


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


def pair(code: str) -> tuple[KioskDevice, str]:
    """Trade a pairing code for the device credential; the code works once."""
    normalized = normalize_code(code)
    if len(normalized) != 8:
        raise ValidationFailed("配对码是 8 位字母和数字,请核对后重新输入")
    device = db.session.execute(
        select(KioskDevice).where(KioskDevice.pairing_code_hash == _sha(normalized))
    ).scalar_one_or_none()
    if device is None or device.status == "disabled" or device.pairing_expires_at < utcnow():
        raise ValidationFailed("配对码无效或已过期,请让管理员重新生成")
    token = secrets.token_urlsafe(32)
    device.token_hash = _sha(token)
    device.pairing_code_hash = None
    device.pairing_expires_at = None
    device.status = "active"
    device.paired_at = utcnow()
    db.session.flush()
    return device, token


def disable(device: KioskDevice) -> None:
    device.status = "disabled"
    device.token_hash = None
    device.pairing_code_hash = None
    db.session.execute(update(KioskSession).where(KioskSession.device_id == device.id,
                                                  KioskSession.ended_at.is_(None)).values(ended_at=utcnow()))
    db.session.flush()


def device_from_header(header: Optional[str]) -> KioskDevice:
    """The active device behind `Authorization: Device <token>`, else 401."""
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Device" or not token.strip():
        raise DeviceUnauthorized("缺少终端凭证:这台终端还没有配对")
    device = db.session.execute(
        select(KioskDevice).where(KioskDevice.token_hash == _sha(token.strip()))
    ).scalar_one_or_none()
    if device is None or device.status != "active":
        raise DeviceUnauthorized()
    return device


def idle_window() -> timedelta:
    """Server-side session lifetime after the last use: the idle timeout plus slack."""
    return timedelta(seconds=current_app.config["KIOSK_IDLE_SECONDS"] * 2)


def open_session(device: KioskDevice, card) -> KioskSession:
    now = utcnow()
    db.session.execute(update(KioskSession).where(KioskSession.device_id == device.id,
                                                  KioskSession.ended_at.is_(None)).values(ended_at=now))
    session = KioskSession(id=secrets.token_urlsafe(24), device_id=device.id, household_id=card.household_id,
                           card_id=card.id, created_at=now, expires_at=now + idle_window())
    db.session.add(session)
    db.session.flush()
    return session


def get_session(device: KioskDevice, session_id, touch: bool = True) -> KioskSession:
    """The device's open session, or SessionExpired; pushes the expiry forward when `touch`."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 48 or not session_id.isascii():
        raise SessionExpired()
    session = db.session.get(KioskSession, session_id)
    now = utcnow()
    if session is None or session.device_id != device.id or session.ended_at or session.expires_at < now:
        raise SessionExpired()
    if touch:
        session.expires_at = now + idle_window()
    return session


def end_session(device: KioskDevice, session_id) -> None:
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
