"""Recusal (回避): households a staff user declares as relatives. Their own household is StaffUser.household_id."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.clock import utcnow


class RecusalDeclaration(db.Model):
    """A staff user may not act for this household (亲属户)."""

    __tablename__ = "recusal_declaration"
    __table_args__ = (UniqueConstraint("user_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the staff user who must stand aside
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: the relative's household
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: 父母 / 子女 / 兄弟姐妹 / 配偶 / 其他亲属
    relation: Mapped[str] = mapped_column(String(32), default="亲属")
    #: the user themself or an admin
    declared_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnomalyCheck(db.Model):
    """An auditor marked one anomaly finding as checked, with a note."""

    __tablename__ = "anomaly_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable id of the finding: rule code + the ids it is about
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(1000))
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnomalyRun(db.Model):
    """One run of the anomaly checks over a period with given thresholds, run in the background (never
    inside a request); its findings are stored for the 异常核查 page (services/integrity/anomaly_runs.py)."""

    __tablename__ = "anomaly_run"
    __table_args__ = (CheckConstraint("state IN ('running', 'done', 'failed')", name="state"),
                      Index("ix_anomaly_run_period", "period_start", "period_end"))

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="running")
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    #: the thresholds as canonical JSON: a run answers for exactly these
    thresholds: Mapped[str] = mapped_column(Text)
    #: the findings of every site as JSON (the page shows those of the user's sites), or the error
    findings: Mapped[Optional[str]] = mapped_column(Text)
