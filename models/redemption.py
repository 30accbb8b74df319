"""A redemption at the points supermarket (one receipt) and its lines."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow


class Redemption(db.Model):
    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("total_points > 0", name="total_positive"),
        CheckConstraint("status IN ('done', 'void')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: UUID made by the kiosk; a retry or double tap finds the first result
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: kiosk that redeemed (None if a staff page ever redeems)
    device_id: Mapped[Optional[int]] = mapped_column(ForeignKey("kiosk_device.id"))
    card_id: Mapped[Optional[int]] = mapped_column(ForeignKey("card.id"))
    total_points: Mapped[int] = mapped_column(Integer)
    #: household balance right after the redemption
    balance_after: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="done")
    ledger_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))
    void_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))
    void_reason: Mapped[Optional[str]] = mapped_column(Text)
    voided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    voided_at: Mapped[Optional[datetime]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    household = relationship("Household")
    site = relationship("Site")
    lines: Mapped[list["RedemptionLine"]] = relationship(
        back_populates="redemption", order_by="RedemptionLine.id", cascade="all, delete-orphan"
    )

    @property
    def receipt_no(self) -> str:
        """Printed receipt number: site code + 8-digit id."""
        return receipt_number(self.site.code, self.id)


class RedemptionLine(db.Model):
    __tablename__ = "redemption_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), index=True)
    goods_id: Mapped[int] = mapped_column(ForeignKey("goods.id"), index=True)
    #: name, unit and price as they were at the time (goods may change later)
    name: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)

    redemption: Mapped[Redemption] = relationship(back_populates="lines")


def receipt_number(site_code: str, redemption_id: int) -> str:
    """Printed receipt number: site code + 8-digit id."""
    return f"{site_code}-{redemption_id:08d}"
