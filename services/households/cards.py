"""QR cards: 128 random bits in base32, only the SHA-256 stored (docs/decisions.md#card-token)."""
import base64
import hashlib
import re
import secrets
from collections import namedtuple
from typing import Optional

from sqlalchemy import func, select, text, update

from extensions import db
from models import Card, Household
from models.clock import utcnow
from services.database import Statement
from services.errors import DomainError, NotFound
from services.supermarket.kiosk_phrases import phrase

_TOKEN_RE = re.compile(r"^[A-Z2-7]{26}$")
_SHORT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


class CardUnusable(DomainError):
    code = "card_unusable"
    status = 403
    message = phrase("card.other")


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_from_scan(scanned: str) -> Optional[str]:
    """Accept the bare token or the card URL (<base>/c/<token>) as a scanner types it."""
    value = (scanned or "").strip().rstrip("/")
    value = value.rsplit("/c/", 1)[-1] if "/c/" in value else value
    value = value.upper()
    return value if _TOKEN_RE.match(value) else None


def issue_card(household: Household, keep_old: bool = False) -> tuple[Card, str]:
    """Issue the first card or a reissue: older active/lost cards stop working at once, or, with
    `keep_old`, only when the new card is confirmed delivered (retire_older_cards)."""
    generation = db.session.execute(
        select(func.coalesce(func.max(Card.generation), 0)).where(Card.household_id == household.id)
    ).scalar_one() + 1
    if not keep_old:
        db.session.execute(
            update(Card).where(Card.household_id == household.id, Card.status != "revoked")
            .values(status="revoked", ended_at=utcnow())
        )
    token = new_token()
    card = Card(household_id=household.id, token_hash=token_hash(token), short_code=_short_code(),
                generation=generation, status="active")
    db.session.add(card)
    db.session.flush()
    return card, token


def retire_older_cards(household_id: int) -> int:
    """The newest card is in the household's hands: every older card that still works stops now.
    Returns how many stopped."""
    newest = select(func.max(Card.generation)).where(Card.household_id == household_id).scalar_subquery()
    return db.session.execute(
        update(Card).where(Card.household_id == household_id, Card.status != "revoked", Card.generation < newest)
        .values(status="revoked", ended_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount


def households_awaiting_handover(site_ids) -> list[int]:
    """Households with a new card printed whose older card still works (the handover is not confirmed)."""
    query = (select(Card.household_id).where(Card.status == "active").group_by(Card.household_id)
             .having(func.count(Card.id) > 1))
    if site_ids is not None:
        query = query.where(Card.household_id.in_(select(Household.id).where(Household.site_id.in_(site_ids or {-1}))))
    return list(db.session.execute(query.order_by(Card.household_id)).scalars())


def _short_code() -> str:
    raw = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


#: a card and its household as a scan reads them (plain rows: the kiosk scan is its busiest request)
HouseholdRow = namedtuple("HouseholdRow", "id site_id status head_name balance base_points")
CardRow = namedtuple("CardRow", "id household_id status household")
_CARD_ROW = text("SELECT card.id, card.household_id, card.status, household.id, household.site_id, household.status, "
                 "household.head_name, household.balance, household.base_points FROM card "
                 "JOIN household ON household.id = card.household_id WHERE card.token_hash = :token_hash")


def card_statement(scanned: str) -> Statement:
    """The usable card behind a scanned token or card URL, as a statement: run it alone
    (services.database.run) or with others (the kiosk scan sends it with the device's query). Its
    value is a CardRow with its household (a HouseholdRow); a caller that needs the ORM objects loads
    them by id. Raises CardUnusable (reason unreadable) at once for a scan that cannot be a card, and
    when run: unknown, lost, revoked, household_inactive."""
    return Statement(_CARD_ROW, {"token_hash": _hash_of_scan(scanned)}, read=_usable_card)


def _usable_card(rows) -> CardRow:
    card = CardRow(*rows[0][:3], HouseholdRow(*rows[0][3:])) if rows else None
    _ensure_usable(card)
    return card


def _hash_of_scan(scanned: str) -> str:
    token = token_from_scan(scanned)
    if token is None:
        raise CardUnusable(phrase("card.unreadable"), reason="unreadable")
    return token_hash(token)


def _ensure_usable(card) -> None:
    """`card`: a CardRow, None when no card has the token."""
    if card is None:
        raise CardUnusable(phrase("card.unknown"), reason="unknown")
    if card.status == "lost":
        raise CardUnusable(phrase("card.lost"), reason="lost")
    if card.status == "revoked":
        raise CardUnusable(phrase("card.revoked"), reason="revoked")
    if card.household.status != "active":
        raise CardUnusable(phrase("card.household_inactive"), reason="household_inactive")


def card_by_short_code(code: str) -> Card:
    """Manual entry by logged-in staff only."""
    card = db.session.execute(
        select(Card).where(Card.short_code == (code or "").strip().upper(), Card.status == "active")
    ).scalar_one_or_none()
    if card is None:
        raise NotFound("没有这个卡号,或者卡已停用")
    return card
