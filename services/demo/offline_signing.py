"""Demo kiosk key and signed offline items, made as the kiosk's WebCrypto makes them (docs/offline.md):
an ECDSA P-256 key, its public half as a JWK, and the signature of an item as base64url of raw r‖s."""
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from services.supermarket.offline_items import b64url

PREFIX = "jifen-offline-v1"


def demo_key(rng) -> ec.EllipticCurvePrivateKey:
    """A P-256 key drawn from the demo's seeded random source, so the same seed builds the same world."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(1 + rng.getrandbits(255) % (order - 1), ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict:
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big"))}


def message(item: dict) -> str:
    """The signed text of an offline item: the fields in protocol order, lines as goods:qty:price."""
    lines = ",".join(f"{line['goods_id']}:{line['qty']}:{line['price']}" for line in item["lines"])
    return "|".join([PREFIX, item["uid"], str(item["counter"]), item["card_hash"], str(item["total"]),
                     item["client_time"], item["issued_at"], lines])


def sign(key: ec.EllipticCurvePrivateKey, item: dict) -> dict:
    """`item` with its "signature" (base64url of the raw 64-byte r‖s, as WebCrypto returns it)."""
    return {**item, "signature": sign_text(key, message(item))}


def sign_text(key: ec.EllipticCurvePrivateKey, text: str) -> str:
    """ECDSA P-256 / SHA-256 over the text's UTF-8 bytes, as base64url of the raw r‖s."""
    r, s = decode_dss_signature(key.sign(text.encode(), ec.ECDSA(hashes.SHA256())))
    return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
