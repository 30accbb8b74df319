"""The points ledger: append-only entries, one hash chain per household."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.clock import utcnow

#: every kind of entry (docs/decisions.md#ledger-kinds)
LEDGER_KINDS = (
    "evaluation", "award", "activity", "rule_award", "rule_deduction", "redemption",
    "redemption_void", "reversal", "expiry", "forfeit", "transfer_out", "transfer_in", "adjustment",
)
#: kinds that count as points earned in a period (docs/decisions.md#earned-points); reversals of them count too
EARNING_KINDS = ("evaluation", "award", "activity", "rule_award", "rule_deduction")
_KIND_LIST = ", ".join(f"'{k}'" for k in LEDGER_KINDS)


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_non_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint(f"kind IN ({_KIND_LIST})", name="kind"),
        UniqueConstraint("household_id", "seq"),
        UniqueConstraint("source_type", "source_id", "household_id"),
        Index("ix_ledger_entry_site_effective", "site_id", "effective_date"),
        Index("ix_ledger_entry_household_effective", "household_id", "effective_date"),
        #: the anomaly checks read a period's entries by time (without it, a scan of the whole ledger)
        Index("ix_ledger_entry_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    #: the household's site when the entry was posted
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    #: position in the household's chain: 1, 2, 3 ... without gaps
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    #: signed points that actually moved
    points: Mapped[int] = mapped_column(Integer)
    #: signed points asked for; differs from points when a deduction or reversal was clamped
    requested_points: Mapped[int] = mapped_column(Integer)
    #: balance after this entry
    balance_after: Mapped[int] = mapped_column(Integer)
    #: globally unique, shaped by the source (docs/decisions.md#idempotency-keys)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: what caused the entry: ("rule_event", 12), ("redemption", 7), ...
    source_type: Mapped[Optional[str]] = mapped_column(String(32))
    source_id: Mapped[Optional[int]] = mapped_column(Integer)
    #: the entry this one reverses (kind = reversal)
    reverses_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    #: business date the points count for (round period end, event date)
    effective_date: Mapped[date] = mapped_column()
    #: staff user who caused it; None for kiosk redemptions and system jobs
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
