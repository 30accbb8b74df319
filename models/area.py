"""The area tree (county -> township -> village/community) and resettlement sites."""
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db

AREA_LEVELS = ("county", "township", "village")


class Area(db.Model):
    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("level IN ('county', 'township', 'village')", name="level"),
        UniqueConstraint("parent_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for the county (root)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: county / township / village (village also stands for 社区)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))

    parent: Mapped[Optional["Area"]] = relationship(remote_side=[id])


class Site(db.Model):
    """安置点: a resettlement site, under a village/community node."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the village/community this site belongs to
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: short code printed on cards (e.g. "XF01")
    code: Mapped[str] = mapped_column(String(16), unique=True)
    address: Mapped[Optional[str]] = mapped_column(String(200))

    area: Mapped[Area] = relationship()

    def path_names(self) -> dict:
        """County / township / village names for printing."""
        names, node = {}, self.area
        while node is not None:
            names[node.level] = node.name
            node = node.parent
        return names
