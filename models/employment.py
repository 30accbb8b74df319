"""创业就业台账: the employment record of a working-age household member, and the job subsidies the
member has received. One current record per member; every change is written to the audit log."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow
from models.support import _in

#: employment status code -> label, in the order the township's statistics list them
EMPLOYMENT_STATUSES = {
    "migrant": "务工", "flexible": "灵活就业", "business": "自主创业", "public_post": "公益岗",
    "unemployed": "待业",
}
#: subsidy kind code -> label
SUBSIDY_KINDS = {"startup": "创业一次性补贴", "rent": "场租补贴", "loan_interest": "贷款贴息"}


class Employment(db.Model):
    """What a member does for a living now: status, where and since when, training taken and wanted."""

    __tablename__ = "employment"
    __table_args__ = (CheckConstraint(f"status IN ({_in(EMPLOYMENT_STATUSES)})", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), unique=True)
    #: denormalised from the member so lists and statistics filter by household without a join chain
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    #: 务工地点 / 就业单位 / 创业项目
    workplace: Mapped[str] = mapped_column(String(100), default="")
    since: Mapped[Optional[date]] = mapped_column()
    training_taken: Mapped[str] = mapped_column(String(200), default="")
    training_wanted: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    member = relationship("Member")

    @property
    def status_label(self) -> str:
        return EMPLOYMENT_STATUSES.get(self.status, self.status)


class EmploymentSubsidy(db.Model):
    """One subsidy paid to a member (创业一次性补贴, 场租补贴, 贷款贴息), in fen."""

    __tablename__ = "employment_subsidy"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(SUBSIDY_KINDS)})", name="kind"),
                      CheckConstraint("amount_fen > 0", name="amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    granted_on: Mapped[date] = mapped_column()
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    @property
    def kind_label(self) -> str:
        return SUBSIDY_KINDS.get(self.kind, self.kind)
