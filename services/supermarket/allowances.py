"""Offline allowances: points a kiosk holds per household so it can sell while cut off
(docs/offline.md). The two moves below are the only way an allowance changes; each writes an
append-only AllowanceMove and its ledger entry (source allowance_move) through ledger.post, in the caller's transaction.

Every move changes the allowance row first and then the household's balance, so two moves on the same
(kiosk, household) take their locks in the same order. Callers that re-size many allowances of one
kiosk (refresh, sync) hold the kiosk's device row first."""
from datetime import datetime

from sqlalchemy import select, text

from extensions import db
from models import AllowanceMove, KioskAllowance
from services import ledger
from services.errors import LedgerRefused, ValidationFailed

HOLD_KIND = "allowance_hold"
RETURN_KIND = "allowance_return"

_ADD_SQL = text("UPDATE kiosk_allowance SET points = points + :points, issued_at = :issued, expires_at = :expires "
                "WHERE device_id = :device AND household_id = :household")
_TAKE_SQL = text("UPDATE kiosk_allowance SET points = points - :points "
                 "WHERE device_id = :device AND household_id = :household AND points >= :points")


def hold(device_id: int, household_id: int, points: int, issued_at: datetime, expires_at: datetime,
         actor=None) -> ledger.Written:
    """Move `points` (> 0) from the household's balance into the kiosk's allowance, valid until
    `expires_at`. Raises InsufficientPoints when the balance (above its base points) is short."""
    _check_points(points)
    params = {"points": points, "device": device_id, "household": household_id,
              "issued": issued_at, "expires": expires_at}
    if db.session.execute(_ADD_SQL, params).rowcount == 0:
        db.session.add(KioskAllowance(device_id=device_id, household_id=household_id, points=points,
                                      issued_at=issued_at, expires_at=expires_at))
    return _post(device_id, household_id, -points, "refresh", actor)


def give_back(device_id: int, household_id: int, points: int, reason: str, *, actor=None) -> ledger.Written:
    """Return `points` (> 0) of the kiosk's allowance to the household's balance. `reason`: expired,
    online (an online redemption at the kiosk spends it), offline_sale (a synced offline sale pays
    with it; the caller then posts the redemption, and the OfflineSale names the move: its
    source_id), staff. Raises LedgerRefused when the allowance holds less."""
    _check_points(points)
    taken = db.session.execute(_TAKE_SQL, {"points": points, "device": device_id, "household": household_id})
    if taken.rowcount == 0:
        raise LedgerRefused("这台终端为这一户保留的离线额度不够")
    return _post(device_id, household_id, points, reason, actor)


def held(device_id: int, household_id: int) -> int:
    """The points the kiosk holds for the household now (0 when none)."""
    return db.session.execute(select(KioskAllowance.points).where(
        KioskAllowance.device_id == device_id, KioskAllowance.household_id == household_id)).scalar() or 0


def _post(device_id, household_id, points, reason, actor) -> ledger.Written:
    move = AllowanceMove(device_id=device_id, household_id=household_id, points=points, reason=reason,
                         actor_id=actor if actor is None or isinstance(actor, int) else actor.id)
    db.session.add(move)
    db.session.flush()
    kind = HOLD_KIND if points < 0 else RETURN_KIND
    note = "离线额度暂存在超市终端" if points < 0 else "离线额度退回"
    return ledger.post(household_id, points, kind, ledger.Source("allowance_move", move.id), actor, note,
                       f"allowance:{move.id}")


def _check_points(points) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValidationFailed("离线额度必须是正整数")
