"""A fake kiosk for the offline tests, built to docs/offline.md as the browser client is: a P-256 key
pair as WebCrypto makes it (the public half exported as a JWK with ext and key_ops), items signed over
the documented text with the raw r‖s signature in base64url (the demo kiosk's signer,
services/demo/offline_signing.py, not the server's checker), a counter without gaps."""
import uuid
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric import ec

from services.demo import offline_signing
from services.households.cards import token_from_scan, token_hash
from services.supermarket import devices as kiosk_devices

#: what the refresh said; the kiosk copies it verbatim into every item
ISSUED_AT = "2026-12-07T08:00:00.000Z"


def iso_z(moment: datetime) -> str:
    """As JavaScript's Date.prototype.toISOString() writes it: UTC, milliseconds, Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def card_hash(card_token: str) -> str:
    """What the kiosk keeps of a scanned card (docs/offline.md)."""
    return token_hash(token_from_scan(card_token))


class FakeKiosk:
    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.counter = 0
        self.token = None
        self.device = None

    def jwk(self) -> dict:
        """crypto.subtle.exportKey("jwk", publicKey) of an ECDSA P-256 key."""
        return {**offline_signing.public_jwk(self.private_key), "ext": True, "key_ops": ["verify"]}

    @classmethod
    def paired(cls, site, name="离线一号机"):
        """A kiosk paired through the service with its key (commit is the caller's)."""
        kiosk = cls()
        device, code = kiosk_devices.create_device(site.id, name)
        kiosk.device, kiosk.token = kiosk_devices.pair(code, kiosk.jwk())
        return kiosk

    def pair_over_api(self, client, code: str):
        res = client.post("/kiosk/api/pair", json={"code": code, "public_key": self.jwk()})
        if res.status_code == 201:
            self.token = res.get_json()["token"]
        return res

    def sign(self, message: str) -> str:
        """crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, key, text): raw r‖s, 64 bytes, base64url."""
        return offline_signing.sign_text(self.private_key, message)

    @staticmethod
    def message(item: dict) -> str:
        return offline_signing.message(item)

    def sell(self, card_token: str, lines, *, client_time=None, issued_at=ISSUED_AT) -> dict:
        """A signed offline item for the card; `lines`: [(goods_id, qty, price)]. Takes the next counter."""
        self.counter += 1
        item = {"uid": str(uuid.uuid4()), "counter": self.counter, "card_hash": card_hash(card_token),
                "lines": [{"goods_id": g, "qty": q, "price": p} for g, q, p in lines],
                "total": sum(q * p for _g, q, p in lines),
                "client_time": iso_z(client_time or datetime.now(timezone.utc)), "issued_at": issued_at}
        item["signature"] = self.sign(self.message(item))
        return item

    def headers(self) -> dict:
        return {"Authorization": f"Device {self.token}"}

    def sync(self, client, items, queue=None):
        return client.post("/kiosk/api/offline/sync", headers=self.headers(),
                           json={"items": items, "queue": len(items) if queue is None else queue})


def days(n: float) -> timedelta:
    return timedelta(days=n)
