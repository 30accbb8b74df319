"""Maker-checker: deductions and entries above the county's approval threshold wait for a second person
with the cadre role (docs/decisions.md#approver); the recorder can never approve their own entry."""
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from extensions import db
from models import Activity, ActivitySignIn, Rule, RuleEvent
from models.clock import utcnow
from services.earning import rules
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.integrity.recusal import ensure_not_recused
from services.staff import audit, county_settings
from services.staff.scope import allowed_site_ids, require_site

KINDS = ("rule", "activity")


class AlreadyDecided(DomainError):
    code = "already_decided"
    status = 409
    message = "这条记录已经审批过了"


def pending_counts(user) -> dict:
    """Pending items in the user's scope: {"rule": n, "activity": n, "total": n}."""
    sites = allowed_site_ids(user)
    rule_q = select(func.count(RuleEvent.id)).where(RuleEvent.status == "pending")
    act_q = select(func.count(ActivitySignIn.id)).join(Activity).where(ActivitySignIn.status == "pending")
    if sites is not None:
        rule_q = rule_q.where(RuleEvent.site_id.in_(sites))
        act_q = act_q.where(Activity.site_id.in_(sites))
    counts = {"rule": db.session.execute(rule_q).scalar_one(), "activity": db.session.execute(act_q).scalar_one()}
    counts["total"] = counts["rule"] + counts["activity"]
    return counts


def thresholds(user) -> list[tuple[str, int]]:
    """(county, approval threshold) for the counties of the user's sites, as the queue page shows them."""
    return county_settings.settings_by_county("approval_threshold", allowed_site_ids(user))


def pending_rule_events(user) -> list[RuleEvent]:
    """With what the queue shows of each (household, rule and category, recorder): a read per relation,
    not per row."""
    sites = allowed_site_ids(user)
    query = (select(RuleEvent).where(RuleEvent.status == "pending").order_by(RuleEvent.id)
             .options(selectinload(RuleEvent.household), selectinload(RuleEvent.rule).joinedload(Rule.category),
                      selectinload(RuleEvent.recorder)))
    if sites is not None:
        query = query.where(RuleEvent.site_id.in_(sites))
    return list(db.session.execute(query).scalars())


def pending_signins(user) -> list[ActivitySignIn]:
    """With each one's household and activity (and who closed it), a read per relation."""
    sites = allowed_site_ids(user)
    query = (select(ActivitySignIn).join(Activity).where(ActivitySignIn.status == "pending").order_by(ActivitySignIn.id)
             .options(selectinload(ActivitySignIn.household),
                      selectinload(ActivitySignIn.activity).joinedload(Activity.closed_by)))
    if sites is not None:
        query = query.where(Activity.site_id.in_(sites))
    return list(db.session.execute(query).scalars())


def decide(user, kind: str, item_id: int, approve: bool, note: str = ""):
    """Approve (posts through the ledger) or reject one pending item."""
    item, site_id, maker_id, household_id = _load(kind, item_id)
    check_approver(user, site_id, maker_id, household_id)
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed("驳回必须写明理由")
    model = RuleEvent if kind == "rule" else ActivitySignIn
    claimed = db.session.execute(
        update(model).where(model.id == item_id, model.status == "pending")
        .values(status="approved" if approve else "rejected", approver_id=user.id, decided_at=utcnow(),
                decision_note=note or None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise AlreadyDecided()
    db.session.refresh(item)
    if approve:
        _post(kind, item, user)
    audit.record(user, f"approval.{'approve' if approve else 'reject'}", f"{kind}_item", item_id,
                 site_id=site_id, after={"note": note})
    return item


def check_approver(user, site_id: int, maker_id: Optional[int], household_id: int) -> None:
    if not user.has_role("cadre"):
        raise Forbidden("只有村/社区干部(审批人)可以审批")
    require_site(user, site_id)
    if maker_id == user.id:
        raise Forbidden("不能审批自己录入的记录,请由另一位干部审批")
    ensure_not_recused(user, household_id, "approval")
    if user.household_id is not None and user.household_id == household_id:
        raise Forbidden("这是您自己家的记录,请回避,由其他干部审批")


def _load(kind: str, item_id: int):
    if kind == "rule":
        event = db.session.get(RuleEvent, item_id)
        if event is None:
            raise NotFound("没有这条记录")
        return event, event.site_id, event.recorder_id, event.household_id
    if kind == "activity":
        signin = db.session.get(ActivitySignIn, item_id)
        if signin is None:
            raise NotFound("没有这条记录")
        return signin, signin.activity.site_id, signin.activity.closed_by_id, signin.household_id
    raise NotFound("未知的审批类型")


def _post(kind: str, item, user) -> None:
    if kind == "rule":
        rules.post_event(item, user, approver=user)
        return
    from services.earning.activities import post_signin

    post_signin(item, user)
