"""每月专题汇报's written part: the narrative of one month for one scope, and its sign-off."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

#: the narrative sections, in the order the report prints them
NARRATIVE_SECTIONS = {"work_done": "工作开展情况", "issues": "存在问题", "next_steps": "下步打算"}


class MonthlyReportNote(db.Model):
    """The narrative of a month's report for a scope ("site:3" or "area:2"), with 填报人 and 审核人."""

    __tablename__ = "monthly_report_note"
    __table_args__ = (
        UniqueConstraint("scope", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
        CheckConstraint("reviewed_by_id IS NULL OR reviewed_by_id <> filled_by_id", name="reviewer_not_filler"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "site:<id>" or "area:<id>", as the report page names its scope
    scope: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column()
    month: Mapped[int] = mapped_column()
    #: 工作开展情况
    work_done: Mapped[str] = mapped_column(Text, default="")
    #: 存在问题
    issues: Mapped[str] = mapped_column(Text, default="")
    #: 下步打算
    next_steps: Mapped[str] = mapped_column(Text, default="")
    #: 填报人: who wrote (last changed) the narrative
    filled_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    filled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: 审核人: another staff member; cleared whenever the narrative changes
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column()

    filled_by = relationship("StaffUser", foreign_keys=[filled_by_id])
    reviewed_by = relationship("StaffUser", foreign_keys=[reviewed_by_id])

    @property
    def signed(self) -> bool:
        return self.reviewed_by_id is not None
