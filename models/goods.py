"""Goods on the shelves of a site's points supermarket, and every stock movement."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from extensions import db
from models.clock import utcnow

#: limit period code -> label
LIMIT_PERIODS = {"day": "每天", "week": "每周", "month": "每月", "year": "每年"}
#: stock movement kind -> label
MOVEMENT_KINDS = {"in": "入库", "redeem": "兑换出库", "void": "作废退回", "loss": "报损", "adjust": "盘点调整"}
#: where stock-in goods came from
STOCK_SOURCES = {"donor": "社会捐赠", "aid_unit": "帮扶单位", "purchase": "采购", "other": "其他"}


class Goods(db.Model):
    __tablename__ = "goods"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("limit_qty IS NULL OR limit_qty > 0", name="limit_positive"),
        CheckConstraint("limit_period IS NULL OR limit_period IN ('day', 'week', 'month', 'year')",
                        name="limit_period"),
        UniqueConstraint("site_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the supermarket (site) that holds these goods; kiosks only see their own site's goods
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    #: free category shown as a tab on the kiosk (粮油, 日用品, ...)
    category: Mapped[str] = mapped_column(String(32), default="其他")
    #: points per unit
    price: Mapped[int] = mapped_column(Integer)
    #: 袋 / 瓶 / 个 ...
    unit: Mapped[str] = mapped_column(String(16), default="个")
    #: units on the shelf; moved only by conditional UPDATEs in services
    stock: Mapped[int] = mapped_column(Integer, default=0)
    #: warn when stock falls to this or below
    low_stock: Mapped[int] = mapped_column(Integer, default=5)
    #: optional per-household limit: at most limit_qty units per limit_period
    limit_qty: Mapped[Optional[int]] = mapped_column(Integer)
    limit_period: Mapped[Optional[str]] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    #: JPEG after resize and EXIF strip (None = no photo)
    photo: Mapped[Optional[bytes]] = deferred(mapped_column(LargeBinary))
    #: bumped on each photo change, used in the photo URL for caching
    photo_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    site = relationship("Site")

    @property
    def is_low(self) -> bool:
        return self.stock <= self.low_stock


class StockMovement(db.Model):
    """入库 / 出库 / 报损 / 调整: signed quantity and the stock after it."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_non_zero"),
        CheckConstraint("stock_after >= 0", name="stock_after_non_negative"),
        CheckConstraint("kind IN ('in', 'redeem', 'void', 'loss', 'adjust')", name="kind"),
        Index("ix_stock_movement_site_date", "site_id", "movement_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goods_id: Mapped[int] = mapped_column(ForeignKey("goods.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(8))
    #: signed: + in/void, - redeem/loss, either for adjust
    quantity: Mapped[int] = mapped_column(Integer)
    stock_after: Mapped[int] = mapped_column(Integer)
    #: for stock-in: donor / aid_unit / purchase / other
    source: Mapped[Optional[str]] = mapped_column(String(16))
    #: donor or unit name, supplier
    source_name: Mapped[Optional[str]] = mapped_column(String(100))
    #: business date (local) of the movement
    movement_date: Mapped[date] = mapped_column()
    note: Mapped[Optional[str]] = mapped_column(Text)
    redemption_id: Mapped[Optional[int]] = mapped_column(ForeignKey("redemption.id"), index=True)
    #: staff user; None for kiosk redemptions
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goods = relationship("Goods")
