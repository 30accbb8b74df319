"""The points fund (积分基金 / 资金台账), goods controls (two-person) and monthly stocktake (盘点)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

#: fund entry kind -> label
FUND_KINDS = {"cash_in": "资金到账", "purchase": "采购物资", "donated_goods": "捐赠物资入库", "reversal": "冲正"}
#: where money came from
FUND_SOURCES = {"aid_unit": "帮扶单位捐赠", "collective": "村集体经济", "fiscal": "财政资金", "donor": "社会捐赠",
                "other": "其他"}
#: two-person control request kinds
CONTROL_KINDS = {"adjust": "盘点调整", "loss": "报损", "void": "兑换作废"}
CONTROL_STATUSES = {"pending": "待复核", "confirmed": "已确认", "rejected": "已驳回"}


class FundEntry(db.Model):
    """Append-only, per-site hash-chained entry; amounts in integer fen (分)."""

    __tablename__ = "fund_entry"
    __table_args__ = (
        UniqueConstraint("site_id", "seq"),
        CheckConstraint("kind IN ('cash_in', 'purchase', 'donated_goods', 'reversal')", name="kind"),
        CheckConstraint("cash_fen <> 0 OR goods_fen <> 0", name="non_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: 1, 2, 3 … per site, no gaps
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    #: signed change of cash in the fund (fen)
    cash_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    #: signed change of goods value at cost (fen)
    goods_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    #: aid_unit / collective / fiscal / donor / other
    source: Mapped[Optional[str]] = mapped_column(String(16))
    #: donor, unit or supplier name
    source_name: Mapped[Optional[str]] = mapped_column(String(100))
    #: voucher / transfer / invoice number
    reference: Mapped[Optional[str]] = mapped_column(String(100))
    #: the stock-in slip these goods came with
    stock_movement_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stock_movement.id"), unique=True)
    goods_id: Mapped[Optional[int]] = mapped_column(ForeignKey("goods.id"), index=True)
    quantity: Mapped[Optional[int]] = mapped_column(Integer)
    unit_cost_fen: Mapped[Optional[int]] = mapped_column(BigInteger)
    reverses_id: Mapped[Optional[int]] = mapped_column(ForeignKey("fund_entry.id"), unique=True)
    #: business date (local)
    entry_date: Mapped[date] = mapped_column()
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FundHead(db.Model):
    """Chain head per site, moved by a conditional UPDATE so two writers cannot fork the chain."""

    __tablename__ = "fund_head"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="")


class GoodsControl(db.Model):
    """A stock adjustment, loss or void above the threshold waits for a second person."""

    __tablename__ = "goods_control"
    __table_args__ = (
        CheckConstraint("kind IN ('adjust', 'loss', 'void')", name="kind"),
        CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    goods_id: Mapped[Optional[int]] = mapped_column(ForeignKey("goods.id"))
    redemption_id: Mapped[Optional[int]] = mapped_column(ForeignKey("redemption.id"))
    #: signed for adjust, positive for loss, None for a void
    quantity: Mapped[Optional[int]] = mapped_column(Integer)
    #: value in points (quantity × price, or the redemption total)
    points_value: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    movement_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stock_movement.id"))
    stocktake_line_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stocktake_line.id"))

    goods = relationship("Goods")


class Stocktake(db.Model):
    """Monthly count (盘点) of one site's supermarket."""

    __tablename__ = "stocktake"
    __table_args__ = (UniqueConstraint("site_id", "year", "month"),
                      CheckConstraint("status IN ('draft', 'posted')", name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    posted_at: Mapped[Optional[datetime]] = mapped_column()

    lines: Mapped[list["StocktakeLine"]] = relationship(back_populates="stocktake", order_by="StocktakeLine.id")


class StocktakeLine(db.Model):
    __tablename__ = "stocktake_line"
    __table_args__ = (UniqueConstraint("stocktake_id", "goods_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    goods_id: Mapped[int] = mapped_column(ForeignKey("goods.id"))
    #: book stock when counted
    book_qty: Mapped[int] = mapped_column(Integer)
    counted_qty: Mapped[Optional[int]] = mapped_column(Integer)
    reason: Mapped[Optional[str]] = mapped_column(Text)

    stocktake: Mapped[Stocktake] = relationship(back_populates="lines")
    goods = relationship("Goods")

    @property
    def difference(self) -> int:
        return 0 if self.counted_qty is None else self.counted_qty - self.book_qty


class PointsAdjustment(db.Model):
    """调整: an admin correction of a household's points; posts only when a second person confirms."""

    __tablename__ = "points_adjustment"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_non_zero"),
        CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: signed points to post
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    ledger_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_entry.id"))
