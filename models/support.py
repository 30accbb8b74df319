"""Follow-up support (后续扶持): 包保 cadres and assignments, visits, the problem ledger
(问题台账) with its change history, and 防返贫监测 cases with their dated steps."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

#: 包保 cadre level -> label
CADRE_LEVELS = {"county": "县级", "township": "镇级", "village": "村级", "department": "部门"}
#: visit situation areas (quick ticks with notes)
SITUATION_AREAS = {
    "employment": "就业/产业", "income": "收入", "housing": "住房", "water": "饮水",
    "medical": "医疗/医保", "schooling": "子女就学", "social": "社保/低保", "hardship": "生活困难",
}
#: how a household that was away was reached
REACHED_BY = {"phone": "电话", "wechat": "微信", "none": "未联系上"}
PROBLEM_CATEGORIES = ("就业", "产业", "住房", "饮水", "医疗", "教育", "社保", "基础设施", "环境", "其他")
PROBLEM_SOURCES = {"visit": "走访发现", "meeting": "会议", "self_report": "群众反映", "other": "其他"}
#: problem status code -> label; the machine lives in services/support/problems.py
PROBLEM_STATUSES = {
    "not_started": "未启动", "in_progress": "进行中", "resolved": "已整改待复核",
    "closed": "已销号", "unresolvable": "无法解决", "escalated": "上报镇",
}
MONITORING_TYPES = {"unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden": "突发严重困难户"}
#: identification and elimination follow the same steps, in this order
MONITORING_STEPS = {
    "found": "风险发现", "verified": "入户核实", "publicity": "民主评议与公示",
    "township": "乡镇初审", "county": "县级审定",
}
MONITORING_PHASES = {"identify": "纳入监测", "eliminate": "风险消除"}
MONITORING_STATUSES = {
    "identifying": "纳入程序中", "monitored": "监测中", "eliminating": "消除程序中",
    "eliminated": "已消除风险", "rejected": "未纳入",
}


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class SupportCadre(db.Model):
    """A 包保/帮扶责任人: a staff user, or a named cadre who never logs in."""

    __tablename__ = "support_cadre"
    __table_args__ = (CheckConstraint(f"level IN ({_in(CADRE_LEVELS)})", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    #: county / township / village / department
    level: Mapped[str] = mapped_column(String(16), default="village")
    #: 工作单位 (帮扶单位)
    unit: Mapped[Optional[str]] = mapped_column(String(100))
    #: set when the cadre is also a staff user who logs in
    staff_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"), unique=True)
    #: False once the cadre has left (history stays)
    active: Mapped[bool] = mapped_column(default=True)
    #: the township or village the cadre serves (only its households); None: anywhere in the county
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff_user = relationship("StaffUser")
    area = relationship("Area")

    @property
    def level_label(self) -> str:
        return CADRE_LEVELS.get(self.level, self.level)


class Responsibility(db.Model):
    """包保: one cadre responsible for one household over a date range (history kept)."""

    __tablename__ = "support_responsibility"
    __table_args__ = (
        Index("ix_support_responsibility_household_active", "household_id", "end_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("support_cadre.id"), index=True)
    start_date: Mapped[date] = mapped_column()
    #: None while active
    end_date: Mapped[Optional[date]] = mapped_column()
    #: why it ended: 调离, 重新分配, 合户, ...
    end_reason: Mapped[Optional[str]] = mapped_column(String(100))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cadre: Mapped[SupportCadre] = relationship()
    household = relationship("Household")


class Visit(db.Model):
    """走访: one visit to a household (or a contact when nobody was at home)."""

    __tablename__ = "support_visit"
    __table_args__ = (
        Index("ix_support_visit_household_date", "household_id", "visit_date"),
        Index("ix_support_visit_site_date", "site_id", "visit_date"),
        CheckConstraint(f"reached_by IS NULL OR reached_by IN ({_in(REACHED_BY)})", name="reached_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    #: the household's site on the visit day
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    visit_date: Mapped[date] = mapped_column()
    #: 走访人 names as written on the record
    visitors: Mapped[str] = mapped_column(String(200))
    #: the 包保 cadre when the visit was theirs
    cadre_id: Mapped[Optional[int]] = mapped_column(ForeignKey("support_cadre.id"), index=True)
    #: True when someone of the household was met at home
    met: Mapped[bool] = mapped_column(default=True)
    #: who was met (name / relation)
    met_person: Mapped[Optional[str]] = mapped_column(String(64))
    #: when not at home: phone / wechat / none
    reached_by: Mapped[Optional[str]] = mapped_column(String(16))
    #: JSON {area: {"status": "ok"|"issue", "note": str}}
    situation: Mapped[str] = mapped_column(Text, default="{}")
    #: 意见建议 raised by the household
    suggestions: Mapped[Optional[str]] = mapped_column(Text)
    #: what was done / promised on the spot
    actions: Mapped[Optional[str]] = mapped_column(Text)
    #: household's confirmation: a typed name ...
    confirm_name: Mapped[Optional[str]] = mapped_column(String(64))
    #: ... or a finger signature (file name under the upload folder)
    signature_file: Mapped[Optional[str]] = mapped_column(String(80))
    #: required when the visit date is more than N days back (audited)
    backdate_reason: Mapped[Optional[str]] = mapped_column(String(200))
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household = relationship("Household")
    cadre = relationship(SupportCadre)
    recorded_by = relationship("StaffUser")


class SupportPhoto(db.Model):
    """A photo (EXIF stripped, resized) of a visit or of a problem's evidence."""

    __tablename__ = "support_photo"
    __table_args__ = (
        Index("ix_support_photo_owner", "owner_type", "owner_id"),
        CheckConstraint("owner_type IN ('visit', 'problem_before', 'problem_after')", name="owner_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column()
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    #: random file name under instance/uploads/support/
    filename: Mapped[str] = mapped_column(String(80), unique=True)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Problem(db.Model):
    """问题台账: a household's (or a site's shared) problem and its rectification."""

    __tablename__ = "support_problem"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(PROBLEM_STATUSES)})", name="status"),
        CheckConstraint(f"category IN ({_in(PROBLEM_CATEGORIES)})", name="category"),
        CheckConstraint(f"source IN ({_in(PROBLEM_SOURCES)})", name="source"),
        CheckConstraint("closed_by_id IS NULL OR resolved_by_id IS NULL OR closed_by_id <> resolved_by_id",
                        name="reviewer_not_resolver"),
        Index("ix_support_problem_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for a site's shared problem (道路, 路灯, 污水)
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("household.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    found_date: Mapped[date] = mapped_column()
    source: Mapped[str] = mapped_column(String(16), default="visit")
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("support_visit.id"), index=True)
    #: 牵头单位
    lead_unit: Mapped[Optional[str]] = mapped_column(String(100))
    #: 责任单位
    responsible_unit: Mapped[Optional[str]] = mapped_column(String(100))
    #: 责任人
    responsible_person: Mapped[Optional[str]] = mapped_column(String(64))
    #: 整改措施
    measures: Mapped[Optional[str]] = mapped_column(Text)
    #: 完成时限
    deadline: Mapped[Optional[date]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    #: who reported the fix done (已整改待复核)
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    resolved_at: Mapped[Optional[datetime]] = mapped_column()
    #: 复核人 who closed it (销号); never the resolver
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household = relationship("Household")
    site = relationship("Site")
    resolved_by = relationship("StaffUser", foreign_keys=[resolved_by_id])
    closed_by = relationship("StaffUser", foreign_keys=[closed_by_id])
    changes: Mapped[list["ProblemChange"]] = relationship(order_by="ProblemChange.id",
                                                          back_populates="problem")

    @property
    def status_label(self) -> str:
        return PROBLEM_STATUSES[self.status]


class ProblemChange(db.Model):
    """Every change of a problem: who, when, from/to status, note (never edited)."""

    __tablename__ = "support_problem_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("support_problem.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    from_status: Mapped[Optional[str]] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[Optional[str]] = mapped_column(Text)
    #: JSON of edited fields {name: [before, after]}
    fields: Mapped[Optional[str]] = mapped_column(Text)

    problem: Mapped[Problem] = relationship(back_populates="changes")
    actor = relationship("StaffUser")


class MonitoringCase(db.Model):
    """防返贫监测: one household's case, from risk found to risk eliminated."""

    __tablename__ = "support_monitoring_case"
    __table_args__ = (
        CheckConstraint(f"type IN ({_in(MONITORING_TYPES)})", name="type"),
        CheckConstraint(f"status IN ({_in(MONITORING_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    #: internal risk description; may hold health details, NEVER on the 公示
    risk_note: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="identifying")
    #: identify / eliminate: the procedure currently running
    phase: Mapped[str] = mapped_column(String(16), default="identify")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household = relationship("Household")
    steps: Mapped[list["MonitoringStep"]] = relationship(order_by="MonitoringStep.id", back_populates="case")

    @property
    def type_label(self) -> str:
        return MONITORING_TYPES[self.type]

    @property
    def status_label(self) -> str:
        return MONITORING_STATUSES[self.status]


class MonitoringStep(db.Model):
    """One dated, attributed step of a monitoring procedure."""

    __tablename__ = "support_monitoring_step"
    __table_args__ = (
        CheckConstraint(f"step IN ({_in(MONITORING_STEPS)})", name="step"),
        CheckConstraint(f"phase IN ({_in(MONITORING_PHASES)})", name="phase"),
        CheckConstraint("publicity_end IS NULL OR publicity_end >= publicity_start", name="publicity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_monitoring_case.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(16))
    step_date: Mapped[date] = mapped_column()
    #: True = passed; False = the procedure stops here (e.g. 不予纳入)
    passed: Mapped[bool] = mapped_column(default=True)
    #: 公示 first and last day (inclusive, local dates)
    publicity_start: Mapped[Optional[date]] = mapped_column()
    publicity_end: Mapped[Optional[date]] = mapped_column()
    note: Mapped[Optional[str]] = mapped_column(Text)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[MonitoringCase] = relationship(back_populates="steps")
    actor = relationship("StaffUser")

    @property
    def step_label(self) -> str:
        return MONITORING_STEPS[self.step]
