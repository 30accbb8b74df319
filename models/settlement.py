"""Who 包保 what beyond the 1-to-1 包保 of a household: the leader of a settlement (安置点包保), the causes
of a household's difficulty (致贫/返贫风险原因), and the department holding each cause (分类包保)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow
from models.support import _in

#: cause code -> label (the usual 致贫原因 list)
CAUSES = {
    "illness": "因病", "disability": "因残", "schooling": "因学", "disaster": "因灾", "labour": "缺劳力",
    "skills": "缺技术", "capital": "缺资金", "land": "缺土地", "motivation": "自身发展动力不足",
}


class SiteLeader(db.Model):
    """安置点包保: the cadre who leads one settlement over a date range (end exclusive; history kept)."""

    __tablename__ = "support_site_leader"
    __table_args__ = (Index("ix_support_site_leader_site_active", "site_id", "end_date"),
                      CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("support_cadre.id"), index=True)
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[Optional[date]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    cadre = relationship("SupportCadre")
    site = relationship("Site")


class HouseholdCause(db.Model):
    """One cause of a household's difficulty; a household may have several."""

    __tablename__ = "household_cause"
    __table_args__ = (CheckConstraint(f"cause IN ({_in(CAUSES)})", name="cause"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    cause: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class CauseAssignment(db.Model):
    """分类包保: a department (its 部门-level 包保 cadre) holds every household with one cause in an area."""

    __tablename__ = "support_cause_assignment"
    __table_args__ = (CheckConstraint(f"cause IN ({_in(CAUSES)})", name="cause"),
                      CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
                      Index("ix_support_cause_assignment_area_cause", "area_id", "cause", "end_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the township (or county) whose households with this cause the department holds
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    cause: Mapped[str] = mapped_column(String(16))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("support_cadre.id"), index=True)
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[Optional[date]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    cadre = relationship("SupportCadre")
    area = relationship("Area")

    @property
    def cause_label(self) -> str:
        return CAUSES.get(self.cause, self.cause)
