"""积分细则: a versioned rules catalog and the rule events recorded against it."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

#: unit code -> label (the "/次" in "+3/次")
RULE_UNITS = {"time": "次", "month": "月", "quarter": "季", "hour": "小时", "person": "人", "once": "项"}
#: cap period code -> label
CAP_PERIODS = {"month": "月", "quarter": "季度", "year": "年"}
EVENT_STATUSES = ("pending", "approved", "rejected")
EVENT_STATUS_LABELS = {"pending": "待审批", "approved": "已入账", "rejected": "已驳回"}


class RuleCategory(db.Model):
    __tablename__ = "rule_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Rule(db.Model):
    """One version of a rule item. Editing creates a new version with the same series;
    events keep pointing at the version they used."""

    __tablename__ = "rule"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_non_zero"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("cap_points IS NULL OR cap_points > 0", name="cap_positive"),
        UniqueConstraint("series", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable identity across versions (the id of the first version)
    series: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: True for the version in use; older versions and retired rules are False
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("rule_category.id"), index=True)
    #: the item text, e.g. 月度入户检查达标
    name: Mapped[str] = mapped_column(String(100))
    #: signed points per unit: +10, -5
    points: Mapped[int] = mapped_column(Integer)
    #: see RULE_UNITS
    unit: Mapped[str] = mapped_column(String(16), default="time")
    #: optional cap of awarded points per household per cap_period (awards only)
    cap_points: Mapped[Optional[int]] = mapped_column(Integer)
    cap_period: Mapped[str] = mapped_column(String(16), default="month")
    #: a photo or document must be attached when recording
    evidence_required: Mapped[bool] = mapped_column(default=False)
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[RuleCategory] = relationship()

    @property
    def is_deduction(self) -> bool:
        return self.points < 0

    @property
    def label(self) -> str:
        sign = "+" if self.points > 0 else "−"
        cap = f"(上限{self.cap_points}/{CAP_PERIODS[self.cap_period]})" if self.cap_points else ""
        return f"{self.category.name} · {self.name} · {sign}{abs(self.points)}/{RULE_UNITS.get(self.unit, '次')}{cap}"


class RuleEvent(db.Model):
    """One application of a rule to one household (一事一记): what happened, docs/decisions.md#events-and-entries."""

    __tablename__ = "rule_event"
    __table_args__ = (
        CheckConstraint("nominal_points <> 0", name="nominal_non_zero"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        Index("ix_rule_event_household_date", "household_id", "event_date"),
        Index("ix_rule_event_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the exact rule version used
    rule_id: Mapped[int] = mapped_column(ForeignKey("rule.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    #: the household's site when recorded
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    #: local business date of the event (the ledger effective date)
    event_date: Mapped[date] = mapped_column()
    #: times / hours / persons
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    #: signed points asked for (rule points × quantity)
    nominal_points: Mapped[int] = mapped_column(Integer)
    #: signed points that moved; None until approved; 0 when a deduction found nothing to take
    applied_points: Mapped[Optional[int]] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[Optional[str]] = mapped_column(Text)
    #: stored file name of the evidence photo under instance/evidence/
    evidence_file: Mapped[Optional[str]] = mapped_column(String(80))
    #: same value for the events recorded together in one batch
    batch: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    recorder_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None when the entry posted without needing a second person
    approver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    #: rejection reason or approval remark
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    ledger_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))

    rule: Mapped[Rule] = relationship()
    household = relationship("Household")
    recorder = relationship("StaffUser", foreign_keys=[recorder_id])
    approver = relationship("StaffUser", foreign_keys=[approver_id])

    @property
    def status_label(self) -> str:
        return EVENT_STATUS_LABELS[self.status]
