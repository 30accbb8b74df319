"""Recusal (回避): a staff user never acts for their own or a declared relative's household.

ONE check, `ensure_not_recused`, called on every path that records, scores, nominates, approves,
signs in, voids or adjusts for a household. A refusal names the rule and is audited; because the
error rolls the request back, the refusal is also kept on the session and written again after the
rollback (see `_keep_after_rollback` and `write_pending_refusals`)."""
from typing import Iterable, Optional

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from extensions import db
from models import Household, StaffUser
from models.recusal import RecusalDeclaration
from services.errors import Forbidden, NotFound, ValidationFailed
from services.staff import audit

#: action code -> what the refusal says the user tried to do
ACTIONS = {
    "rule.record": "记分", "rule.bulk": "批量记分", "rule.reverse": "冲正", "evaluation.score": "评分",
    "evaluation.nominate": "提名", "evaluation.grid": "评分或提名", "evaluation.objection": "登记或处理异议", "evaluation.reverse": "冲正",
    "approval": "审批", "activity.signin": "活动签到", "redemption.void": "作废兑换",
    "adjustment": "调整积分", "life_event": "办理户籍变动", "honor.nominate": "提名", "honor.objection": "处理异议",
}
_PENDING = "recusal_refusals"
_TO_WRITE = "recusal_refusals_after_rollback"


class RecusalRefused(Forbidden):
    """A Forbidden, so callers that catch Forbidden keep working."""

    code = "recused"
    status = 403
    message = "回避:您不能为本人或亲属户操作"


def recused_household_ids(user) -> set[int]:
    """The user's own household plus every declared relative's household."""
    if user is None or getattr(user, "id", None) is None:
        return set()
    ids = set(db.session.execute(
        select(RecusalDeclaration.household_id).where(RecusalDeclaration.user_id == user.id)).scalars())
    if getattr(user, "household_id", None):
        ids.add(user.household_id)
    return ids


def ensure_not_recused(user, household_ids, action: str) -> None:
    """Raise RecusalRefused (audited) when `user` must stand aside for any of the households."""
    if user is None or not hasattr(user, "household_id"):
        return  # the system or a kiosk device
    wanted = {household_ids} if isinstance(household_ids, int) else {h for h in household_ids if h is not None}
    hit = sorted(wanted & recused_household_ids(user))
    if not hit:
        return
    homes = db.session.execute(select(Household.id, Household.head_name, Household.site_id)
                               .where(Household.id.in_(hit))).all()
    names = "、".join(f"{h.head_name}(户号 {h.id})" for h in homes)
    what = ACTIONS.get(action, action)
    own = getattr(user, "household_id", None) in hit
    message = (f"回避:您不能为本人或亲属户{what}。{names} 是您{'本人' if own and len(hit) == 1 else '本人或亲属'}"
               f"的家庭,请由其他工作人员办理")
    details = {"user_id": user.id, "action": action, "households": hit,
               "site_id": homes[0].site_id if homes else None}
    audit.record(user, "recusal.refused", "household", hit[0], site_id=details["site_id"],
                 after={"action": action, "households": hit})
    db.session.info.setdefault(_PENDING, []).append(details)
    raise RecusalRefused(message, action=action, households=hit)


@event.listens_for(Session, "after_soft_rollback")
def _keep_after_rollback(session, previous_transaction):
    """The refusal's audit row was rolled back with the request; remember it for writing again."""
    if previous_transaction.parent is None and session.info.get(_PENDING):
        session.info.setdefault(_TO_WRITE, []).extend(session.info.pop(_PENDING))


@event.listens_for(Session, "after_commit")
def _forget_written(session):
    session.info.pop(_PENDING, None)


def write_pending_refusals(commit: bool = True) -> int:
    """Write the audit rows of refusals whose transaction was rolled back (called after each request)."""
    rows = db.session.info.pop(_TO_WRITE, None)
    if not rows:
        return 0
    for row in rows:
        audit.record(row["user_id"], "recusal.refused", "household", row["households"][0], site_id=row["site_id"],
                     after={"action": row["action"], "households": row["households"]})
    if commit:
        db.session.commit()
    return len(rows)


# ------------------------------------------------------------------ declarations

def declarations(user_id: Optional[int] = None) -> list[RecusalDeclaration]:
    query = select(RecusalDeclaration).order_by(RecusalDeclaration.user_id, RecusalDeclaration.id)
    if user_id is not None:
        query = query.where(RecusalDeclaration.user_id == user_id)
    return list(db.session.execute(query).scalars())


def declare(actor, user_id: int, household_id, relation: str = "亲属") -> RecusalDeclaration:
    """The user declares a relative's household, or an admin declares it for them."""
    if actor.id != user_id and not actor.has_role("admin"):
        raise ValidationFailed("只能申报自己的亲属户;为他人申报请联系系统管理员")
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("没有这个工作人员")
    try:
        household_id = int(household_id)
    except (TypeError, ValueError):
        raise ValidationFailed("请填写亲属家庭的户号") from None
    home = db.session.get(Household, household_id)
    if home is None:
        raise ValidationFailed("没有这个户号")
    relation = (relation or "亲属").strip()[:32] or "亲属"
    existing = db.session.execute(select(RecusalDeclaration).where(
        RecusalDeclaration.user_id == user_id, RecusalDeclaration.household_id == household_id)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = RecusalDeclaration(user_id=user_id, household_id=household_id, relation=relation, declared_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "recusal.declare", "staff_user", user_id, site_id=home.site_id,
                 after={"household_id": household_id, "relation": relation})
    return row


def withdraw(actor, declaration_id: int) -> None:
    """Only an admin removes a declaration (a user could otherwise lift their own recusal)."""
    if not actor.has_role("admin"):
        raise ValidationFailed("只有系统管理员可以撤销回避申报")
    row = db.session.get(RecusalDeclaration, declaration_id)
    if row is None:
        raise NotFound("没有这条申报")
    audit.record(actor, "recusal.withdraw", "staff_user", row.user_id,
                 before={"household_id": row.household_id, "relation": row.relation})
    db.session.delete(row)
    db.session.flush()


def staff_linked_household_ids() -> dict[int, set[int]]:
    """household id -> staff user ids linked to it (own or declared), for the anomaly audit."""
    out: dict[int, set[int]] = {}
    for uid, hid in db.session.execute(select(StaffUser.id, StaffUser.household_id)
                                       .where(StaffUser.household_id.is_not(None))).all():
        out.setdefault(hid, set()).add(uid)
    for row in declarations():
        out.setdefault(row.household_id, set()).add(row.user_id)
    return out


def household_ids_of(items: Iterable) -> list[int]:
    return [getattr(i, "household_id", i) for i in items]
