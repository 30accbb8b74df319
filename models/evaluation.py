"""五评五奖: configurable dimensions and award types, evaluation rounds with 公示 and objections."""
import json
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

ROUND_STATUSES = ("draft", "scoring", "notice", "posted", "cancelled")
ROUND_STATUS_LABELS = {"draft": "草稿", "scoring": "评分中", "notice": "公示中", "posted": "已入账",
                       "cancelled": "已取消"}
OBJECTION_STATUS_LABELS = {"open": "待处理", "upheld": "成立(已退回评分)", "rejected": "不成立"}


class Dimension(db.Model):
    """An evaluation dimension (遵纪守法 …); a round snapshots the active ones when it starts."""

    __tablename__ = "eval_dimension"
    __table_args__ = (
        CheckConstraint("max_score > 0", name="max_score_positive"),
        CheckConstraint("points_per_score > 0", name="points_per_score_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    #: highest score a household can get in this dimension
    max_score: Mapped[int] = mapped_column(Integer, default=10)
    #: points per score unit when the round posts
    points_per_score: Mapped[int] = mapped_column(Integer, default=1)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class AwardType(db.Model):
    """An award title won in a round (党员示范户 …) and its bonus (docs/decisions.md#awards-and-honors)."""

    __tablename__ = "award_type"
    __table_args__ = (CheckConstraint("bonus_points > 0", name="bonus_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    bonus_points: Mapped[int] = mapped_column(Integer, default=30)
    description: Mapped[Optional[str]] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class EvaluationRound(db.Model):
    __tablename__ = "evaluation_round"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scoring', 'notice', 'posted', 'cancelled')", name="status"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("notice_days >= 1", name="notice_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: e.g. 2026年第4季度
    title: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column()
    #: the ledger effective date of everything the round posts (docs/decisions.md#earned-points)
    period_end: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    #: JSON snapshot of dimensions and award types taken when scoring starts
    config_json: Mapped[Optional[str]] = mapped_column(Text)
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    #: first and last local day of the current 公示 (docs/decisions.md#notices)
    notice_start: Mapped[Optional[date]] = mapped_column()
    notice_end: Mapped[Optional[date]] = mapped_column()
    #: who residents contact about the notice (printed on it)
    contact: Mapped[Optional[str]] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notice_opened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    posted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    posted_at: Mapped[Optional[datetime]] = mapped_column()
    cancelled_reason: Mapped[Optional[str]] = mapped_column(Text)

    site = relationship("Site")

    @property
    def status_label(self) -> str:
        return ROUND_STATUS_LABELS[self.status]

    @property
    def config(self) -> dict:
        return json.loads(self.config_json) if self.config_json else {"dimensions": [], "awards": []}


class RoundScore(db.Model):
    """One cell of the scoring grid."""

    __tablename__ = "round_score"
    __table_args__ = (
        UniqueConstraint("round_id", "household_id", "dimension_id"),
        CheckConstraint("score >= 0", name="score_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    dimension_id: Mapped[int] = mapped_column(ForeignKey("eval_dimension.id"))
    score: Mapped[int] = mapped_column(Integer, default=0)
    scored_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RoundNomination(db.Model):
    """A household nominated for an award title in a round."""

    __tablename__ = "round_nomination"
    __table_args__ = (UniqueConstraint("round_id", "household_id", "award_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    award_type_id: Mapped[int] = mapped_column(ForeignKey("award_type.id"))
    #: bonus snapshot at nomination time
    bonus_points: Mapped[int] = mapped_column(Integer)
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ledger_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))

    award_type: Mapped[AwardType] = relationship()
    household = relationship("Household")


class RoundLine(db.Model):
    """A household's line in a round, frozen when 公示 opens (what the notice shows and posts)."""

    __tablename__ = "round_line"
    __table_args__ = (
        UniqueConstraint("round_id", "household_id"),
        CheckConstraint("points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    total_score: Mapped[int] = mapped_column(Integer, default=0)
    #: evaluation points (Σ score × points per score), without award bonuses
    points: Mapped[int] = mapped_column(Integer, default=0)
    #: award names, comma-separated, for the notice
    awards_text: Mapped[str] = mapped_column(String(200), default="")
    award_points: Mapped[int] = mapped_column(Integer, default=0)
    ledger_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))

    household = relationship("Household")


class Objection(db.Model):
    """异议: recorded against a line during 公示; must be resolved before posting."""

    __tablename__ = "objection"
    __table_args__ = (CheckConstraint("status IN ('open', 'upheld', 'rejected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("round_line.id"))
    #: who raised it (free text; may be anonymous)
    raised_by: Mapped[Optional[str]] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    resolved_at: Mapped[Optional[datetime]] = mapped_column()

    line: Mapped[RoundLine] = relationship()

    @property
    def status_label(self) -> str:
        return OBJECTION_STATUS_LABELS[self.status]
