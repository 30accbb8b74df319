"""光荣榜 (honor lists) with sections, entries and 公示 objections; year-end policy runs.

An honor list publishes titles and citations and NEVER posts points (docs/decisions.md#awards-and-honors)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

HONOR_STATUSES = ("draft", "notice", "published", "withdrawn")
HONOR_STATUS_LABELS = {"draft": "草稿", "notice": "公示中", "published": "已发布", "withdrawn": "已撤销"}
HONOR_OBJECTION_LABELS = {"open": "待处理", "upheld": "成立(已退回修改)", "rejected": "不成立"}
YEAR_END_POLICIES = {"carry_over": "积分结转", "expire": "过期清理(超过 N 个月的积分)", "reset": "年末清零(保留底分)"}


class HonorList(db.Model):
    __tablename__ = "honor_list"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'notice', 'published', 'withdrawn')", name="status"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("notice_days >= 1", name="notice_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: e.g. 2026年第四季度光荣榜
    title: Mapped[str] = mapped_column(String(64))
    #: the period whose awards and EARNED points the list honors
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    #: first and last local day of the 公示 (docs/decisions.md#notices)
    notice_start: Mapped[Optional[date]] = mapped_column()
    notice_end: Mapped[Optional[date]] = mapped_column()
    #: who residents contact about the notice
    contact: Mapped[Optional[str]] = mapped_column(String(200))
    #: edited loudspeaker script; None = generated from the entries
    broadcast_script: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    published_at: Mapped[Optional[datetime]] = mapped_column()
    withdrawn_reason: Mapped[Optional[str]] = mapped_column(Text)

    site = relationship("Site")
    sections: Mapped[list["HonorSection"]] = relationship(
        back_populates="honor_list", order_by="(HonorSection.sort_order, HonorSection.id)",
        cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return HONOR_STATUS_LABELS[self.status]


class HonorSection(db.Model):
    """One title on the board (党员示范户 …, or a custom one such as 积分之星)."""

    __tablename__ = "honor_section"
    __table_args__ = (UniqueConstraint("list_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("honor_list.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    #: award_type.id whose posted nominations are suggested (None = ranking only); no FK constraint
    #: because award_type lives on another migration branch (0003_earning)
    award_type_id: Mapped[Optional[int]] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    honor_list: Mapped[HonorList] = relationship(back_populates="sections")
    entries: Mapped[list["HonorEntry"]] = relationship(
        back_populates="section", order_by="(HonorEntry.sort_order, HonorEntry.id)", cascade="all, delete-orphan")


class HonorEntry(db.Model):
    """A household on the board, with its 先进事迹 citation."""

    __tablename__ = "honor_entry"
    __table_args__ = (UniqueConstraint("section_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("honor_section.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: head of household's full name when added (positive lists name households)
    display_name: Mapped[str] = mapped_column(String(64))
    #: 先进事迹, plain text
    citation: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: points earned in the list's period when added (for the cadre, not printed)
    earned: Mapped[int] = mapped_column(Integer, default=0)
    #: why it was suggested: award / ranking / manual
    origin: Mapped[str] = mapped_column(String(16), default="manual")

    section: Mapped[HonorSection] = relationship(back_populates="entries")
    household = relationship("Household")


class HonorObjection(db.Model):
    """异议 raised during the honor list's 公示; must be resolved before publishing."""

    __tablename__ = "honor_objection"
    __table_args__ = (CheckConstraint("status IN ('open', 'upheld', 'rejected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("honor_list.id"), index=True)
    entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("honor_entry.id", ondelete="SET NULL"))
    #: who raised it (free text; may be anonymous)
    raised_by: Mapped[Optional[str]] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    resolved_at: Mapped[Optional[datetime]] = mapped_column()

    @property
    def status_label(self) -> str:
        return HONOR_OBJECTION_LABELS[self.status]


class YearEndRun(db.Model):
    """One executed year-end policy for a county; unique per (county, year)."""

    __tablename__ = "year_end_run"
    __table_args__ = (
        UniqueConstraint("county_id", "year"),
        CheckConstraint("policy IN ('carry_over', 'expire', 'reset')", name="policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the county area node the policy ran for
    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    year: Mapped[int] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(String(16))
    #: N of "expire points older than N months" (None for other policies)
    expire_months: Mapped[Optional[int]] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer, default=0)
    #: total points expired (positive number)
    points: Mapped[int] = mapped_column(Integer, default=0)
    run_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    run_at: Mapped[datetime] = mapped_column(default=utcnow)

    county = relationship("Area")

    @property
    def policy_label(self) -> str:
        return YEAR_END_POLICIES[self.policy]
