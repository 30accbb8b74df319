"""Staff users with roles and an area/site scope."""
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models.clock import utcnow

#: role code -> label
ROLES = {
    "admin": "系统管理员",
    "cadre": "村/社区干部",
    "committee": "评议会成员",
    "shopkeeper": "超市管理员",
    "auditor": "审计",
}


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    #: werkzeug scrypt hash
    password_hash: Mapped[str] = mapped_column(String(256))
    #: space-separated role codes (see ROLES)
    roles_text: Mapped[str] = mapped_column("roles", String(128), default="")
    active: Mapped[bool] = mapped_column(default=True)
    #: the user's own household, for recusal (回避)
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("household.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: bumped by every password change: a session made with an older version ends on its next request
    #: (docs/decisions.md#staff-sessions)
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    scopes: Mapped[list["StaffScope"]] = relationship(cascade="all, delete-orphan")

    @property
    def roles(self) -> set[str]:
        return set(self.roles_text.split())

    @roles.setter
    def roles(self, value) -> None:
        unknown = set(value) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.roles_text = " ".join(sorted(set(value)))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session stores: the id and the session version (admin/auth.py load_user checks both)."""
        return f"{self.id}:{self.session_version or 1}"

    def set_password(self, password: str) -> None:
        """A new password ends every session made with the old one."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_version = (self.session_version or 1) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class StaffScope(db.Model):
    """One node of a user's scope: an area (covers everything below) or a single site."""

    __tablename__ = "staff_scope"
    __table_args__ = (
        CheckConstraint("(area_id IS NULL) <> (site_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"))
    site_id: Mapped[Optional[int]] = mapped_column(ForeignKey("site.id"))
