"""QR cards. The token is 128 random bits; only its SHA-256 is stored."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

CARD_STATUSES = ("active", "lost", "revoked")


class Card(db.Model):
    __tablename__ = "card"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'lost', 'revoked')", name="status"),
        UniqueConstraint("household_id", "generation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: hex SHA-256 of the token in the QR; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: short code printed under the QR for manual entry by logged-in staff
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    #: 1 for the first card, +1 on each reissue
    generation: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column()

    household = relationship("Household")
