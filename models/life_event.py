"""Household life events (分户, 合户, 迁出/迁入, 户主变更, 成员增减), applied through the ledger."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

LIFE_EVENT_KINDS = {
    "split": "分户", "merge": "合户", "move_out": "迁出(县外)", "move_in": "迁入(县外)",
    "move_site": "县内换安置点", "head_change": "户主变更", "member_add": "新增成员",
    "member_deceased": "成员去世/迁走",
}
_KINDS = ", ".join(f"'{k}'" for k in LIFE_EVENT_KINDS)


class LifeEvent(db.Model):
    __tablename__ = "life_event"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        Index("ix_life_event_other_household", "other_household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: the household the event happens to (split: the original; merge: the absorbing one)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: split: the new household; merge: the absorbed one
    other_household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("household.id"))
    #: the policy applied (none / by_members / amount / forfeit / redeem_first / keep)
    policy: Mapped[Optional[str]] = mapped_column(String(20))
    #: points moved (split, merge, site move) or forfeited (move out)
    points: Mapped[int] = mapped_column(Integer, default=0)
    event_date: Mapped[date] = mapped_column()
    #: JSON details: member ids, old/new head, old/new site ...
    details: Mapped[str] = mapped_column(Text, default="{}")
    note: Mapped[Optional[str]] = mapped_column(Text)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household = relationship("Household", foreign_keys=[household_id])
    other_household = relationship("Household", foreign_keys=[other_household_id])
    actor = relationship("StaffUser")

    @property
    def kind_label(self) -> str:
        return LIFE_EVENT_KINDS[self.kind]
