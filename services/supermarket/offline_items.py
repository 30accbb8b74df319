"""Offline items and the kiosk's signing key (docs/offline.md "The protocol"): the public key as a
JWK checked to be a P-256 point, an item's shape, the exact text it signs, and its signature.

Nothing here touches the database but register_key(); services/supermarket/offline_sync.py applies items."""
import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import text

from extensions import db
from services.database import expire_written
from services.errors import DomainError, ValidationFailed
from services.supermarket.goods import MAX_PRICE
from services.supermarket.kiosk_phrases import phrase
from services.supermarket.redemption import MAX_LINES, MAX_QTY

MESSAGE_PREFIX = "jifen-offline-v1"
#: the largest total one item may claim: every line at its largest
MAX_TOTAL = MAX_LINES * MAX_QTY * MAX_PRICE
_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Date.prototype.toISOString(): UTC with milliseconds (up to microseconds accepted)
_CLIENT_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z")
#: the refresh's issued_at, copied verbatim: an ISO 8601 time, never a "|"
_ISSUED_AT = re.compile(r"[0-9A-Za-z:.+\-]{1,40}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class KeyAlreadySet(DomainError):
    code = "key_exists"
    status = 409
    message = phrase("offline.key_exists")


def _b64url_decode(value, size: int) -> Optional[bytes]:
    """`size` bytes from base64url (padding optional), or None."""
    if not isinstance(value, str) or len(value) > 2 * size or not _B64URL.fullmatch(value):
        return None
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_public_key(jwk) -> str:
    """The kiosk's public key, a JWK {"kty": "EC", "crv": "P-256", "x", "y"} (WebCrypto's export; other
    members such as ext and key_ops are ignored), as canonical JSON (sorted keys, unpadded base64url).
    ValidationFailed unless x, y are 32 bytes each and a point on the curve."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
        raise ValidationFailed(phrase("offline.bad_key"))
    x, y = _b64url_decode(jwk.get("x"), 32), _b64url_decode(jwk.get("y"), 32)
    if x is None or y is None:
        raise ValidationFailed(phrase("offline.bad_key"))
    try:
        ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()).public_key()
    except ValueError:  # not on the curve
        raise ValidationFailed(phrase("offline.bad_key")) from None
    return json.dumps({"crv": "P-256", "kty": "EC", "x": b64url(x), "y": b64url(y)}, sort_keys=True,
                      separators=(",", ":"))


def load_key(stored: str) -> ec.EllipticCurvePublicKey:
    """A key stored by parse_public_key."""
    jwk = json.loads(stored)
    numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(_b64url_decode(jwk["x"], 32), "big"),
                                            int.from_bytes(_b64url_decode(jwk["y"], 32), "big"), ec.SECP256R1())
    return numbers.public_key()


_SET_KEY = text("UPDATE kiosk_device SET public_key = :key WHERE id = :id AND public_key IS NULL")


def register_key(device_id: int, jwk) -> str:
    """Store the key of a device paired before offline mode. KeyAlreadySet (409) when it has one: a key is
    replaced only by pairing again. One conditional UPDATE: two racing calls store one key."""
    key = parse_public_key(jwk)
    if db.session.execute(_SET_KEY, {"key": key, "id": device_id}).rowcount != 1:
        raise KeyAlreadySet()
    from models import KioskDevice

    expire_written(KioskDevice, device_id, ["public_key"])
    return key


@dataclass(frozen=True)
class OfflineItem:
    """One item of a kiosk's queue, checked for shape (parse_item)."""

    uid: str
    counter: int
    card_hash: str
    lines: tuple  #: (goods_id, qty, price), in the order sent (and signed)
    total: int
    client_time: str
    issued_at: str
    signature: str
    raw: dict  #: the item as received

    def message(self) -> str:
        """The text the kiosk signed (docs/offline.md)."""
        lines = ",".join(f"{g}:{q}:{p}" for g, q, p in self.lines)
        return "|".join((MESSAGE_PREFIX, self.uid, str(self.counter), self.card_hash, str(self.total),
                         self.client_time, self.issued_at, lines))

    def client_moment(self) -> datetime:
        """client_time as naive UTC (any skew: the signature and the counter are what count)."""
        return parse_client_time(self.client_time)


class BadItem(ValueError):
    """An item whose shape is wrong; its uid and counter when they could be read."""

    def __init__(self, uid, counter):
        super().__init__("bad item")
        self.uid, self.counter = uid, counter


def _int_in(value, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def parse_item(raw) -> OfflineItem:
    """Check an item's shape; BadItem when anything is off (the sum of the lines must be the total,
    a goods appears once)."""
    if not isinstance(raw, dict):
        raise BadItem(None, None)
    uid, counter = raw.get("uid"), raw.get("counter")
    bad = BadItem(uid if isinstance(uid, str) and len(uid) <= 64 else None,
                  counter if _int_in(counter, 1, 2**31 - 1) else None)
    card_hash, total, lines = raw.get("card_hash"), raw.get("total"), raw.get("lines")
    client_time, issued_at, signature = raw.get("client_time"), raw.get("issued_at"), raw.get("signature")
    if (bad.uid is None or not _UID.fullmatch(uid) or bad.counter is None
            or not isinstance(card_hash, str) or not _HEX64.fullmatch(card_hash)
            or not _int_in(total, 1, MAX_TOTAL) or not isinstance(client_time, str)
            or not isinstance(issued_at, str) or not _ISSUED_AT.fullmatch(issued_at)
            or _b64url_decode(signature, 64) is None
            or not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES):
        raise bad
    try:
        parse_client_time(client_time)
    except ValueError:
        raise bad from None
    parsed = []
    for line in lines:
        if not isinstance(line, dict):
            raise bad
        goods_id, qty, price = line.get("goods_id"), line.get("qty"), line.get("price")
        if not (_int_in(goods_id, 1, 2**31 - 1) and _int_in(qty, 1, MAX_QTY) and _int_in(price, 1, MAX_PRICE)):
            raise bad
        parsed.append((goods_id, qty, price))
    if len({g for g, _q, _p in parsed}) != len(parsed) or sum(q * p for _g, q, p in parsed) != total:
        raise bad
    return OfflineItem(str(uuid.UUID(uid)), counter, card_hash, tuple(parsed), total, client_time, issued_at,
                       signature, raw)


def parse_client_time(value: str) -> datetime:
    match = _CLIENT_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("client_time")
    *parts, fraction = match.groups()
    moment = datetime(*map(int, parts), int((fraction or "0").ljust(6, "0")), tzinfo=timezone.utc)
    return moment.replace(tzinfo=None)


def signed_by(key: ec.EllipticCurvePublicKey, item: OfflineItem) -> bool:
    """Whether `key` signed the item: ECDSA P-256 / SHA-256, the signature raw r‖s as WebCrypto gives it."""
    raw = _b64url_decode(item.signature, 64)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(signature, item.message().encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
