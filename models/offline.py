"""Offline selling at a kiosk (docs/offline.md): the points each kiosk holds per household while it may
be cut off, the history of those holds, the offline sales it synced, and what sync could not square."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.clock import utcnow

#: why points moved between a household's balance and a kiosk's allowance
ALLOWANCE_REASONS = ("refresh", "expired", "online", "offline_sale", "staff")
_REASON_LIST = ", ".join(f"'{r}'" for r in ALLOWANCE_REASONS)


class KioskAllowance(db.Model):
    """The points a kiosk holds for one household right now (its offline allowance). The rows are the
    current state; every change is an AllowanceMove and a ledger entry (allowance_hold / _return)."""

    __tablename__ = "kiosk_allowance"
    __table_args__ = (
        UniqueConstraint("device_id", "household_id"),
        CheckConstraint("points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: points held at the kiosk and not yet spent or returned
    points: Mapped[int] = mapped_column(Integer, default=0)
    #: the refresh that last set or extended it
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: after this the kiosk no longer sells offline against it
    expires_at: Mapped[datetime] = mapped_column()


class AllowanceMove(db.Model):
    """One move between a household's balance and a kiosk's allowance (append-only); its ledger entry
    points back at it (source allowance_move). points: as the balance sees it (a hold is negative)."""

    __tablename__ = "kiosk_allowance_move"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_non_zero"),
        CheckConstraint(f"reason IN ({_REASON_LIST})", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfflineSale(db.Model):
    """A redemption a kiosk made offline and synced, applied once (append-only): the signed item as
    sent, both clocks, and the result the kiosk hears again on a replay."""

    __tablename__ = "kiosk_offline_sale"
    __table_args__ = (UniqueConstraint("device_id", "counter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the permanent redemption id the kiosk made (UUID)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id"))
    #: the kiosk's own counter: 1, 2, 3 … without gaps
    counter: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: SHA-256 of the scanned card token, as signed
    card_hash: Mapped[str] = mapped_column(String(64))
    total_points: Mapped[int] = mapped_column(Integer)
    #: the signed item exactly as received (JSON) and its signature (base64url, raw r||s)
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    #: the kiosk's clock when it sold, as it said
    client_time: Mapped[datetime] = mapped_column()
    #: the server's clock when sync applied it
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    redemption_id: Mapped[Optional[int]] = mapped_column(ForeignKey("redemption.id"))
    #: the allowance return (reason offline_sale) that paid for it; None when the allowance held nothing.
    #: The sale names the move, not the other way round: the move comes first (both rows are append-only)
    allowance_move_id: Mapped[Optional[int]] = mapped_column(ForeignKey("kiosk_allowance_move.id"))
    #: the result sent back (JSON), sent again on a replay
    result: Mapped[str] = mapped_column(Text)


class SyncRefusal(db.Model):
    """An item sync refused (bad signature, another kiosk's item, a counter gap …), kept for staff."""

    __tablename__ = "kiosk_sync_refusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id"), index=True)
    uid: Mapped[Optional[str]] = mapped_column(String(64))
    counter: Mapped[Optional[int]] = mapped_column(Integer)
    #: a code from services/supermarket/offline_sync.py (bad_signature, counter_gap, other_device …)
    error: Mapped[str] = mapped_column(String(32))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class OwedLine(db.Model):
    """What a synced offline sale could not square: goods handed over beyond the stock (kind stock) or
    points beyond the allowance (kind points). It stays on the shopkeeper's reconciliation until settled."""

    __tablename__ = "kiosk_owed_line"
    __table_args__ = (
        CheckConstraint("kind IN ('stock', 'points')", name="kind"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offline_sale_id: Mapped[int] = mapped_column(ForeignKey("kiosk_offline_sale.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    #: the goods short (kind stock); None for points
    goods_id: Mapped[Optional[int]] = mapped_column(ForeignKey("goods.id"))
    #: pieces short (stock) or points short (points)
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[Optional[datetime]] = mapped_column()
    settled_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    settle_note: Mapped[Optional[str]] = mapped_column(Text)
