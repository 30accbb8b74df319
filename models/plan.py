"""年度计划 and 任务分解: a township's annual follow-up support plan, its tasks (each with a responsible unit
or person and a deadline), the problems of the villages' 问题台账 a task takes up, and its progress notes."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

TASK_STATUSES = {"open": "进行中", "done": "已完成"}


class WorkPlan(db.Model):
    """One township's plan for one year."""

    __tablename__ = "support_plan"
    __table_args__ = (UniqueConstraint("area_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the township (an area of level 'township')
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    year: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    area = relationship("Area")
    tasks: Mapped[list["PlanTask"]] = relationship(back_populates="plan", order_by="PlanTask.deadline, PlanTask.id")


class PlanTask(db.Model):
    """A task of the plan: what, who (a unit, and a staff member when one is named), by when."""

    __tablename__ = "support_plan_task"
    __table_args__ = (CheckConstraint("status IN ('open', 'done')", name="status"),
                      CheckConstraint("status = 'open' OR done_at IS NOT NULL", name="done_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    responsible_unit: Mapped[str] = mapped_column(String(100), default="")
    #: the staff member who answers for it; their home page shows it once overdue
    responsible_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"), index=True)
    deadline: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(8), default="open")
    done_at: Mapped[Optional[datetime]] = mapped_column()
    done_note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    plan: Mapped[WorkPlan] = relationship(back_populates="tasks")
    responsible_user = relationship("StaffUser", foreign_keys=[responsible_user_id])
    problems = relationship("Problem", secondary="support_plan_task_problem", order_by="Problem.id")
    progress: Mapped[list["PlanTaskProgress"]] = relationship(order_by="PlanTaskProgress.id")

    @property
    def status_label(self) -> str:
        return TASK_STATUSES.get(self.status, self.status)


class PlanTaskProblem(db.Model):
    """A problem of a village's 问题台账 taken up by a task (a problem is in at most one task)."""

    __tablename__ = "support_plan_task_problem"

    task_id: Mapped[int] = mapped_column(ForeignKey("support_plan_task.id"), primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("support_problem.id"), primary_key=True, unique=True)


class PlanTaskProgress(db.Model):
    """A dated progress note on a task (kept, never edited)."""

    __tablename__ = "support_plan_task_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("support_plan_task.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))

    actor = relationship("StaffUser")
