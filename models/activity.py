"""Volunteer activities (志愿活动) and their card sign-ins."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

ACTIVITY_STATUS_LABELS = {"open": "进行中", "closed": "已结束", "cancelled": "已取消"}
POINTS_MODES = {"participant": "每人", "hour": "每小时"}
SIGNIN_STATUS_LABELS = {"signed": "已签到", "pending": "待审批", "approved": "已入账", "rejected": "已驳回",
                        "none": "未得分"}


class Activity(db.Model):
    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
        CheckConstraint("points_mode IN ('participant', 'hour')", name="points_mode"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("hours >= 1", name="hours_positive"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    #: naive UTC start time
    starts_at: Mapped[datetime] = mapped_column()
    #: local business date (the ledger effective date)
    event_date: Mapped[date] = mapped_column()
    place: Mapped[Optional[str]] = mapped_column(String(100))
    #: participant = points per person; hour = points per hour × hours
    points_mode: Mapped[str] = mapped_column(String(16), default="participant")
    points: Mapped[int] = mapped_column(Integer)
    #: duration used for per-hour points
    hours: Mapped[int] = mapped_column(Integer, default=1)
    #: maximum sign-ins; None = no limit
    capacity: Mapped[Optional[int]] = mapped_column(Integer)
    organiser: Mapped[Optional[str]] = mapped_column(String(64))
    #: households from other sites may sign in
    allow_other_sites: Mapped[bool] = mapped_column(default=False)
    #: a 融合共建 activity (newcomers and the host community together); counted by the yearly 考核
    integration: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    closed_at: Mapped[Optional[datetime]] = mapped_column()

    site = relationship("Site")
    closed_by = relationship("StaffUser", foreign_keys=[closed_by_id])
    signins: Mapped[list["ActivitySignIn"]] = relationship(
        back_populates="activity", order_by="ActivitySignIn.id"
    )

    @property
    def status_label(self) -> str:
        return ACTIVITY_STATUS_LABELS[self.status]

    @property
    def points_each(self) -> int:
        return self.points * (self.hours if self.points_mode == "hour" else 1)


class ActivitySignIn(db.Model):
    """One household at one activity: the event row of the attendance (docs/decisions.md#events-and-entries)."""

    __tablename__ = "activity_signin"
    __table_args__ = (
        UniqueConstraint("activity_id", "household_id"),
        CheckConstraint("status IN ('signed', 'pending', 'approved', 'rejected', 'none')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: card or manual
    method: Mapped[str] = mapped_column(String(16), default="card")
    card_id: Mapped[Optional[int]] = mapped_column(ForeignKey("card.id"))
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: points the activity offers (set when it closes)
    nominal_points: Mapped[Optional[int]] = mapped_column(Integer)
    #: points after the monthly cap; 0 = capped out (no ledger entry)
    capped_points: Mapped[Optional[int]] = mapped_column(Integer)
    #: signed -> (close) approved | pending | none; pending -> approved | rejected
    status: Mapped[str] = mapped_column(String(16), default="signed")
    note: Mapped[Optional[str]] = mapped_column(Text)
    approver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    ledger_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))

    activity: Mapped[Activity] = relationship(back_populates="signins")
    household = relationship("Household")

    @property
    def status_label(self) -> str:
        return SIGNIN_STATUS_LABELS[self.status]
