"""What staff see and do about a kiosk's offline selling (docs/offline.md#staff): the per-kiosk figures of
the kiosk list, one kiosk's offline detail, and settling an owed line (对账) once."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import case, func, select, update

from extensions import db
from models import (
    Goods,
    Household,
    KioskAllowance,
    KioskDevice,
    OfflineSale,
    OwedLine,
    Redemption,
    StaffUser,
    SyncRefusal,
)
from models.clock import utcnow
from models.redemption import receipt_number
from services import fields
from services.errors import ConcurrentChange, NotFound, ValidationFailed
from services.staff import audit
from services.supermarket import allowance_returns, allowances

#: sync's refusal codes (services/supermarket/offline_sync.py) as staff read them
REFUSAL_LABELS = {
    "bad_item": "记录内容不完整或格式不对",
    "bad_signature": "签名对不上(记录可能被改动过)",
    "other_device": "不是这台终端的记录",
    "counter_gap": "记录编号不连续(中间缺了记录,等终端补传)",
    "uid_used": "记录编号已被一笔联网兑换用过",
    "counter_used": "这个序号已经记过另一笔",
    "unknown_card": "找不到这张积分卡",
    "unknown_goods": "商品不存在或不是本安置点的",
}
OWED_KINDS = {"stock": "欠货", "points": "欠分"}
#: the list's 同步拒收 column counts these days apart from the total
RECENT_REFUSALS = timedelta(days=7)
#: the detail page's lists stop here (newest first); the figures above them count everything
DETAIL_ROWS = 200
NOTE_LIMIT = 500


@dataclass(frozen=True)
class OfflineFigures:
    """One kiosk's offline figures on the kiosk list."""

    households: int = 0
    points: int = 0
    owed_open: int = 0
    refusals: int = 0
    refusals_recent: int = 0


NOTHING = OfflineFigures()


def refusal_label(code: str) -> str:
    return REFUSAL_LABELS.get(code, f"其他原因({code})")


def figures(allowed_sites: Optional[set[int]], now: Optional[datetime] = None) -> dict[int, OfflineFigures]:
    """Device id -> its figures, for every kiosk of `allowed_sites` (None: all) that has any: one grouped
    query per measure, so the list costs the same for 20 kiosks or 2,000."""
    cutoff = (now or utcnow()) - RECENT_REFUSALS

    def scoped(query, device_column):
        if allowed_sites is None:
            return query
        return query.where(device_column.in_(select(KioskDevice.id).where(
            KioskDevice.site_id.in_(allowed_sites or {-1}))))

    held = dict((device_id, (households, int(points))) for device_id, households, points in db.session.execute(
        scoped(select(KioskAllowance.device_id, func.count(), func.sum(KioskAllowance.points))
               .where(KioskAllowance.points > 0).group_by(KioskAllowance.device_id), KioskAllowance.device_id)))
    owed = dict(db.session.execute(scoped(
        select(OfflineSale.device_id, func.count()).join(OwedLine, OwedLine.offline_sale_id == OfflineSale.id)
        .where(OwedLine.settled_at.is_(None)).group_by(OfflineSale.device_id), OfflineSale.device_id)).all())
    recent = func.sum(case((SyncRefusal.received_at >= cutoff, 1), else_=0))
    refused = dict((device_id, (count, int(recent_count or 0))) for device_id, count, recent_count in db.session.execute(
        scoped(select(SyncRefusal.device_id, func.count(), recent).group_by(SyncRefusal.device_id),
               SyncRefusal.device_id)))
    return {device_id: OfflineFigures(*held.get(device_id, (0, 0)), owed.get(device_id, 0),
                                      *refused.get(device_id, (0, 0)))
            for device_id in held.keys() | owed.keys() | refused.keys()}


@dataclass(frozen=True)
class OwedRow:
    line: OwedLine
    sale: OfflineSale
    goods_name: Optional[str]
    unit: Optional[str]
    settled_by_name: Optional[str]

    @property
    def kind_label(self) -> str:
        return OWED_KINDS[self.line.kind]


@dataclass(frozen=True)
class KioskOffline:
    """Everything the kiosk's offline page shows."""

    device: KioskDevice
    figures: OfflineFigures
    #: (household, points, expires_at) of the allowances out, by household id
    allowances: list
    #: (sale, household, redemption or None, receipt number or None), newest first
    sales: list
    sales_count: int
    refusals: list[SyncRefusal]
    #: the counter sync waits for and the kiosk cannot send (refused, or missing before a gap); None: not stuck
    blocked_counter: Optional[int]
    #: open lines first (oldest first), then settled ones (latest settled first)
    owed: list[OwedRow]


def kiosk_offline(device: KioskDevice) -> KioskOffline:
    allowances = db.session.execute(
        select(Household, KioskAllowance.points, KioskAllowance.expires_at)
        .join(KioskAllowance, KioskAllowance.household_id == Household.id)
        .where(KioskAllowance.device_id == device.id, KioskAllowance.points > 0).order_by(Household.id)).all()
    sales = db.session.execute(
        select(OfflineSale, Household, Redemption).join(Household, Household.id == OfflineSale.household_id)
        .outerjoin(Redemption, Redemption.id == OfflineSale.redemption_id).where(OfflineSale.device_id == device.id).order_by(OfflineSale.counter.desc()).limit(DETAIL_ROWS)).all()
    sales_count = db.session.execute(select(func.count()).select_from(OfflineSale)
                                     .where(OfflineSale.device_id == device.id)).scalar_one()
    refusals = db.session.execute(select(SyncRefusal).where(SyncRefusal.device_id == device.id)
                                  .order_by(SyncRefusal.received_at.desc(), SyncRefusal.id.desc()).limit(DETAIL_ROWS)).scalars().all()
    owed = db.session.execute(
        select(OwedLine, OfflineSale, Goods.name, Goods.unit, StaffUser.display_name)
        .join(OfflineSale, OfflineSale.id == OwedLine.offline_sale_id)
        .outerjoin(Goods, Goods.id == OwedLine.goods_id).outerjoin(StaffUser, StaffUser.id == OwedLine.settled_by)
        .where(OfflineSale.device_id == device.id)
        .order_by(OwedLine.settled_at.is_not(None), OwedLine.settled_at.desc(), OwedLine.id)
        .limit(DETAIL_ROWS)).all()
    count = figures({device.site_id}).get(device.id, NOTHING)
    return KioskOffline(
        device=device, figures=count, allowances=[tuple(row) for row in allowances],
        sales=[(sale, home, redemption, receipt_number(device.site.code, redemption.id) if redemption else None)
               for sale, home, redemption in sales],
        sales_count=sales_count, refusals=list(refusals), blocked_counter=blocked_counter(device),
        owed=[OwedRow(line, sale, goods_name, unit, who) for line, sale, goods_name, unit, who in owed])


def owed_line(line_id: int) -> tuple[OwedLine, OfflineSale]:
    row = db.session.execute(select(OwedLine, OfflineSale).join(OfflineSale, OfflineSale.id == OwedLine.offline_sale_id)
                             .where(OwedLine.id == line_id)).first()
    if row is None:
        raise NotFound("没有这笔欠货/欠分记录")
    return row[0], row[1]


def settle(line_id: int, actor, note) -> OwedLine:
    """Mark an owed line settled (goods handed over later, points collected …) with who, when and a note.
    The UPDATE only matches an open line, so of two staff settling at once one wins and the other is
    told it is already done; nothing else changes (no points, no stock: the note says how it was squared)."""
    note = fields.text(note, "对账说明", NOTE_LIMIT, field="note")
    line, sale = owed_line(line_id)
    now = utcnow()
    done = db.session.execute(
        update(OwedLine).where(OwedLine.id == line_id, OwedLine.settled_at.is_(None))
        .values(settled_at=now, settled_by=actor.id, settle_note=note).execution_options(synchronize_session=False))
    if done.rowcount == 0:
        db.session.refresh(line)
        raise ConcurrentChange(f"这一笔已经在 {_local(line.settled_at)} 对账过了,不能重复对账")
    db.session.refresh(line)
    audit.record(actor, "kiosk.owed_settle", "kiosk_owed_line", line.id, site_id=line.site_id,
                 before={"settled": False},
                 after={"settled": True, "kind": line.kind, "quantity": line.quantity, "goods_id": line.goods_id,
                        "offline_sale": sale.uid, "note": note})
    return line


def blocked_counter(device: KioskDevice) -> Optional[int]:
    """The next counter when a refusal shows sync cannot get past it: the item at that counter was
    refused (a bad signature …), or a later one came with a gap (the item is missing). Every later
    sale of the kiosk waits behind it until staff skip it (skip_counter)."""
    waiting = device.offline_counter + 1
    stuck = db.session.execute(select(SyncRefusal.id).where(
        SyncRefusal.device_id == device.id, SyncRefusal.counter >= waiting).limit(1)).first()
    return waiting if stuck else None


def skip_counter(device_id: int, counter, actor, reason) -> int:
    """Let sync go past a counter the kiosk can never send (docs/offline.md#staff): the item at
    `counter` is given up — not applied, its points stay in the allowance until the kiosk's next
    refresh returns them — and the kiosk's later sales apply again. `counter` is the one the page
    showed (a stale page is refused); the reason is audit-logged. Returns the counter skipped."""
    reason = fields.text(reason, "跳过原因", NOTE_LIMIT, field="note")
    device = allowances.lock_device(device_id)
    if blocked_counter(device) is None:
        raise ValidationFailed("这台终端的同步没有卡住,不用跳过")
    if counter != device.offline_counter + 1:
        raise ConcurrentChange("终端的同步已经有了变化,请刷新页面再看")
    device.offline_counter = counter
    db.session.flush()
    audit.record(actor, "kiosk.offline_skip", "kiosk_device", device.id, site_id=device.site_id,
                 before={"offline_counter": counter - 1}, after={"offline_counter": counter, "reason": reason})
    return counter


def _local(moment: Optional[datetime]) -> str:
    from models.clock import to_local

    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def allowances_out(device_id: int) -> tuple[int, int]:
    """(households, points) the kiosk holds now."""
    households, points = db.session.execute(
        select(func.count(), func.coalesce(func.sum(KioskAllowance.points), 0))
        .where(KioskAllowance.device_id == device_id, KioskAllowance.points > 0)).one()
    return households, int(points)


def return_allowances(device: KioskDevice, actor) -> tuple[int, int]:
    """退回离线额度 of a lost or retired kiosk: every allowance it holds goes back to its household's
    balance (allowance_returns.return_all: one move and ledger entry each, audit-logged). Returns
    (households, points). Sales the kiosk made offline and syncs later are still recorded; what the
    balance cannot pay then becomes an owed points line (docs/offline.md#staff)."""
    households, points = allowances_out(device.id)
    if points == 0 or allowance_returns.return_all(device, actor) == 0:
        raise ValidationFailed("这台终端没有保管离线额度,不用退回")
    return households, points
