"""Offline allowances: points a kiosk holds per household so it can sell while cut off
(docs/offline.md). The two moves below are the only way an allowance changes; each writes an
append-only AllowanceMove and its ledger entry (source allowance_move) through ledger.post, in the caller's transaction.

Every move changes the allowance row first and then the household's balance, so two moves on the same
(kiosk, household) take their locks in the same order. Callers that re-size many allowances of one
kiosk (refresh, sync, the online scan's return, staff) hold the kiosk's device row first (lock_device)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, bindparam, func, select, text

from extensions import db
from models import Household, KioskAllowance, KioskDevice
from models.clock import utcnow
from models.offline import ALLOWANCE_REASONS
from services import ledger
from services.database import Statement, run_together
from services.errors import LedgerRefused, NotFound, ValidationFailed

HOLD_KIND = "allowance_hold"
RETURN_KIND = "allowance_return"
#: the two ledger kinds of allowance moves: points that leave the balance but stay the household's
ALLOWANCE_KINDS = (HOLD_KIND, RETURN_KIND)

#: the allowance row and the move go in one round trip (plain SQL: a kiosk's first refresh holds for
#: every household of its site, and the ORM's flush per move cost more than the database work)
_ADD_SQL = text(
    "INSERT INTO kiosk_allowance (device_id, household_id, points, issued_at, expires_at) "
    "VALUES (:device, :household, :points, :issued, :expires) ON CONFLICT (device_id, household_id) DO UPDATE "
    "SET points = kiosk_allowance.points + excluded.points, issued_at = excluded.issued_at, "
    "expires_at = excluded.expires_at RETURNING points").bindparams(
    bindparam("issued", type_=DateTime()), bindparam("expires", type_=DateTime()))
_TAKE_SQL = text("UPDATE kiosk_allowance SET points = points - :points "
                 "WHERE device_id = :device AND household_id = :household AND points >= :points RETURNING points")
_MOVE_SQL = text(
    "INSERT INTO kiosk_allowance_move (device_id, household_id, points, reason, actor_id, created_at) "
    "VALUES (:device, :household, :move_points, :reason, :actor, :created) RETURNING id").bindparams(
    bindparam("created", type_=DateTime()))


def hold(device_id: int, household_id: int, points: int, issued_at: datetime, expires_at: datetime,
         actor=None) -> ledger.Written:
    """Move `points` (> 0) from the household's balance into the kiosk's allowance, valid until
    `expires_at`. Raises InsufficientPoints when the balance (above its base points) is short."""
    _check_points(points)
    change = Statement(_ADD_SQL, {"points": points, "device": device_id, "household": household_id,
                                  "issued": issued_at, "expires": expires_at})
    return _move(change, device_id, household_id, -points, "refresh", actor)


def give_back(device_id: int, household_id: int, points: int, reason: str, *, actor=None) -> ledger.Written:
    """Return `points` (> 0) of the kiosk's allowance to the household's balance. `reason`: expired,
    online (an online redemption at the kiosk spends it), offline_sale (a synced offline sale pays
    with it; the caller then posts the redemption, and the OfflineSale names the move: its
    source_id), staff, refresh. Raises LedgerRefused when the allowance holds less."""
    _check_points(points)
    if reason not in ALLOWANCE_REASONS:
        raise ValidationFailed(f"未知的离线额度退回原因:{reason}")
    change = Statement(_TAKE_SQL, {"points": points, "device": device_id, "household": household_id},
                       refusal=LedgerRefused("这台终端为这一户保留的离线额度不够"))
    return _move(change, device_id, household_id, points, reason, actor)


def held(device_id: int, household_id: int, lock: bool = False) -> int:
    """The points the kiosk holds for the household now (0 when none); `lock`: its row locked until the
    transaction ends (the moves' lock order: the allowance row, then the household)."""
    query = select(KioskAllowance.points).where(KioskAllowance.device_id == device_id,
                                                KioskAllowance.household_id == household_id)
    return db.session.execute(query.with_for_update() if lock else query).scalar() or 0


def held_out(household_id: int) -> int:
    """The household's points held at kiosks (every kiosk): they still belong to it, so what it owns is
    its balance plus these (staff pages show both)."""
    return int(db.session.execute(select(func.coalesce(func.sum(KioskAllowance.points), 0)).where(
        KioskAllowance.household_id == household_id)).scalar_one())


def held_out_by_site() -> dict[int, int]:
    """site id -> Σ points held at kiosks for its households (by the household's site, as balances are)."""
    return {site_id: int(points) for site_id, points in db.session.execute(
        select(Household.site_id, func.sum(KioskAllowance.points)).join(
            Household, Household.id == KioskAllowance.household_id).group_by(Household.site_id))}


def give_back_all(device_id: int, household_id: int, reason: str, *, actor=None) -> Optional[ledger.Written]:
    """Return everything the kiosk holds for the household (give_back); None when it holds nothing.
    The caller holds the device row's lock (lock_device), so the points read are the points taken."""
    points = held(device_id, household_id)
    return give_back(device_id, household_id, points, reason, actor=actor) if points else None


def lock_device(device_id: int) -> KioskDevice:
    """The kiosk's device row, locked until the transaction ends (PostgreSQL FOR UPDATE; on SQLite the
    write transaction holds the one write lock already): every caller that changes the kiosk's
    allowances (refresh, sync, the online scan's return, staff) takes it first, so they run one at a time."""
    device = db.session.execute(select(KioskDevice).where(KioskDevice.id == device_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if device is None:
        raise NotFound("没有这台终端")
    return device


def _move(change: Statement, device_id, household_id, points, reason, actor) -> ledger.Written:
    """The allowance row's change and the append-only move (one round trip), then the move's ledger entry."""
    db.session.flush()  # the SQL below must see what the caller added
    actor_id = actor if actor is None or isinstance(actor, int) else actor.id
    _changed, moved = run_together([change, Statement(_MOVE_SQL, {
        "device": device_id, "household": household_id, "move_points": points, "reason": reason,
        "actor": actor_id, "created": utcnow()})])
    kind = HOLD_KIND if points < 0 else RETURN_KIND
    note = "离线额度暂存在超市终端" if points < 0 else "离线额度退回"
    move_id = moved[0][0]
    return ledger.post(household_id, points, kind, ledger.Source("allowance_move", move_id), actor_id, note,
                       f"allowance:{move_id}")


def _check_points(points) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValidationFailed("离线额度必须是正整数")
