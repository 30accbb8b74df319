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
    "allowance_hold", "allowance_return",
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


class LedgerSeal(db.Model):
    """A seal of every household's signed chain head: append-only (docs/decisions.md#ledger-seals).
    The same signed document is written as a JSON file outside the database."""

    __tablename__ = "ledger_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: first 16 hex of the county root, grouped: 3F9A-1C07-88B2-0D4E
    code: Mapped[str] = mapped_column(String(19))
    #: the county Merkle root (hex)
    root: Mapped[str] = mapped_column(String(64))
    households: Mapped[int] = mapped_column(Integer)
    #: Σ of the sealed heads' seq
    entries: Mapped[int] = mapped_column(Integer)
    #: the signed seal document (JSON), as written to the seal file
    document: Mapped[str] = mapped_column(Text)


class LedgerVerifyRun(db.Model):
    """One run of verify started from the 账本校验 page, run in the background; its report is stored."""

    __tablename__ = "ledger_verify_run"
    __table_args__ = (CheckConstraint("state IN ('running', 'done', 'failed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="running")
    ok: Mapped[Optional[bool]] = mapped_column()
    #: the report as JSON: counts, problems, per-site sums, the fund checks, the seal checked against
    report: Mapped[Optional[str]] = mapped_column(Text)


class LedgerMonthTotal(db.Model):
    """Σ of one household's entries of one kind, site and month: kept in step by the ledger's write
    path in the entry's own transaction (services/ledger/month_totals.py), checked by verify; what
    the reports and the fund read instead of a million entries (docs/decisions.md#month-totals).
    One row per household, so two households' redemptions never wait on the same row."""

    __tablename__ = "ledger_month_total"
    __table_args__ = (
        #: covers the reports' reads (month range, per site and kind; earners), so they never touch the table
        Index("ix_ledger_month_total_month_site", "month", "site_id", "kind", "points", "credits", "household_id"),
    )

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    #: 'YYYY-MM' of the entries' effective_date
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: the entries' site (the household's site when each was posted)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    #: entries with points > 0 (an earner is a household with a positive earning entry)
    credits: Mapped[int] = mapped_column(Integer)
    #: the earliest and latest effective_date among the entries
    first_date: Mapped[date] = mapped_column()
    last_date: Mapped[date] = mapped_column()
