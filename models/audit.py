"""Audit log of every staff action that changes data."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.clock import utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: None for the system or a kiosk device
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: dotted action name, e.g. "household.update"
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[Optional[str]] = mapped_column(String(64))
    site_id: Mapped[Optional[int]] = mapped_column(ForeignKey("site.id"), index=True)
    #: JSON text of the changed fields before/after
    before: Mapped[Optional[str]] = mapped_column(Text)
    after: Mapped[Optional[str]] = mapped_column(Text)
    ip: Mapped[Optional[str]] = mapped_column(String(64))
