"""Paired kiosk devices and the short-lived sessions a card scan opens on them."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow


class KioskDevice(db.Model):
    __tablename__ = "kiosk_device"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'active', 'disabled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: e.g. "一号机(收银台左)"
    name: Mapped[str] = mapped_column(String(64))
    #: pending (waiting for its pairing code) -> active -> disabled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: SHA-256 of the one-time pairing code; cleared once used
    pairing_code_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    pairing_expires_at: Mapped[Optional[datetime]] = mapped_column()
    #: SHA-256 of the device credential sent as "Authorization: Device <token>"
    token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    paired_at: Mapped[Optional[datetime]] = mapped_column()
    last_seen_at: Mapped[Optional[datetime]] = mapped_column()
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the public half of the kiosk's offline signing key (ECDSA P-256, JWK JSON), set once at pairing
    public_key: Mapped[Optional[str]] = mapped_column(Text)
    #: the highest offline counter sync has applied (docs/offline.md)
    offline_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_sync_at: Mapped[Optional[datetime]] = mapped_column()
    last_refresh_at: Mapped[Optional[datetime]] = mapped_column()
    #: items waiting in the kiosk's queue, as it said at its last contact
    queue_reported: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    site = relationship("Site")


class KioskSession(db.Model):
    """One household on one kiosk, from the scan until done/idle; the client only holds its id."""

    __tablename__ = "kiosk_session"
    __table_args__ = (
        # a scan ends the device's open session: with an index of all the device's sessions, that UPDATE
        # read every session the device ever had
        Index("ix_kiosk_session_open", "device_id", sqlite_where=text("ended_at IS NULL"),
              postgresql_where=text("ended_at IS NULL")),
    )

    #: random id handed to the kiosk (never a household id)
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    #: indexed by ix_kiosk_session_open: every query by device looks for its open session
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id"))
    #: not indexed: nothing looks sessions up by household, and households are never deleted
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: sliding expiry, pushed forward by every use
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[Optional[datetime]] = mapped_column()

    household = relationship("Household")
    card = relationship("Card")
