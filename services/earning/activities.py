"""Volunteer activities: create, sign in by card or search, close (points post once)."""
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import func, select, update

from extensions import db
from models import Activity, ActivitySignIn, Household
from models.clock import to_local, utcnow
from models.household import mask_name
from services import database, fields, ledger
from services.earning.rules import lock_households, monthly_cap, monthly_used, needs_approval
from services.errors import DomainError, NotFound, ValidationFailed
from services.households import cards
from services.integrity.recusal import ensure_not_recused
from services.staff import audit
from services.staff.scope import require_site


class SignInRefused(DomainError):
    code = "signin_refused"
    status = 409
    message = "不能签到"


def create(actor, data: dict) -> Activity:
    site_id = fields.integer(data.get("site_id"), "安置点")
    require_site(actor, site_id)
    title = (data.get("title") or "").strip()
    if not title or len(title) > 100:
        raise ValidationFailed("请填写活动名称(100 字以内)")
    starts_local = fields.local_datetime(data.get("starts_at"), "活动开始时间")
    mode = data.get("points_mode") or "participant"
    if mode not in ("participant", "hour"):
        raise ValidationFailed("请选择计分方式")
    points = fields.integer(data.get("points"), "积分")
    hours = fields.integer(data.get("hours") or 1, "时长")
    if not 1 <= points <= 100:
        raise ValidationFailed("积分必须在 1 到 100 之间")
    if not 1 <= hours <= 24:
        raise ValidationFailed("时长必须在 1 到 24 小时之间")
    capacity = fields.integer(data["capacity"], "人数上限") if str(data.get("capacity") or "").strip() else None
    if capacity is not None and capacity < 1:
        raise ValidationFailed("人数上限必须大于 0(不限请留空)")
    activity = Activity(
        site_id=site_id, title=title, starts_at=starts_local.astimezone(timezone.utc).replace(tzinfo=None),
        event_date=starts_local.date(), place=(data.get("place") or "").strip()[:100] or None,
        points_mode=mode, points=points, hours=hours, capacity=capacity,
        organiser=(data.get("organiser") or "").strip()[:64] or None,
        allow_other_sites=bool(data.get("allow_other_sites")), integration=bool(data.get("integration")),
        created_by_id=actor.id,
    )
    db.session.add(activity)
    db.session.flush()
    audit.record(actor, "activity.create", "activity", activity.id, site_id=site_id, after={"title": title})
    return activity


def sign_in_card(actor, activity: Activity, scanned: str) -> ActivitySignIn:
    """Scan of a household card: forged, lost and revoked cards are refused (cards.card_statement)."""
    require_site(actor, activity.site_id)
    card = database.run(cards.card_statement(scanned))
    return _sign_in(actor, activity, db.session.get(Household, card.household_id), "card", card.id)


def sign_in_manual(actor, activity: Activity, household_id: int) -> ActivitySignIn:
    require_site(actor, activity.site_id)
    home = db.session.get(Household, household_id)
    if home is None:
        raise NotFound("没有这一户")
    return _sign_in(actor, activity, home, "manual", None)


def _sign_in(actor, activity: Activity, home: Household, method: str, card_id: Optional[int]) -> ActivitySignIn:
    ensure_not_recused(actor, home.id, "activity.signin")
    if activity.status != "open":
        raise SignInRefused("活动已结束或已取消,不能再签到")
    if home.status != "active":
        raise SignInRefused("这一户已迁出或合户,不能签到")
    if home.site_id != activity.site_id and not activity.allow_other_sites:
        raise SignInRefused(f"{mask_name(home.head_name)} 不是本安置点的住户,这个活动不接受外点住户签到",
                            reason="other_site")
    existing = db.session.execute(select(ActivitySignIn).where(
        ActivitySignIn.activity_id == activity.id, ActivitySignIn.household_id == home.id)).scalar_one_or_none()
    if existing is not None:
        raise SignInRefused(f"{home.head_name} 已经签到过了({_hhmm(existing.signed_at)})", reason="duplicate")
    if activity.capacity and signin_count(activity) >= activity.capacity:
        raise SignInRefused(f"已达人数上限 {activity.capacity} 人", reason="full")
    signin = ActivitySignIn(activity_id=activity.id, household_id=home.id, method=method, card_id=card_id,
                            signed_by_id=actor.id, signed_at=utcnow())
    db.session.add(signin)
    db.session.flush()
    return signin


def remove_signin(actor, signin: ActivitySignIn) -> None:
    """Undo a mistaken sign-in while the activity is still open."""
    require_site(actor, signin.activity.site_id)
    if signin.activity.status != "open" or signin.status != "signed":
        raise ValidationFailed("活动已结束,签到记录不能再删除")
    audit.record(actor, "activity.unsign", "activity", signin.activity_id, site_id=signin.activity.site_id,
                 before={"household_id": signin.household_id})
    db.session.delete(signin)
    db.session.flush()


def close(actor, activity: Activity) -> dict:
    """Close the activity and post points to every participant, once (key activity:{id}:{hh}).
    A second close (double submit) changes nothing and reports the first result."""
    require_site(actor, activity.site_id)
    claimed = db.session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.status == "open")
        .values(status="closed", closed_by_id=actor.id, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(activity)
    if claimed != 1:
        if activity.status == "closed":
            return summary(activity)
        raise ValidationFailed("活动已取消,不能结束发分")
    signins = list(activity.signins)
    lock_households(s.household_id for s in signins) if signins else None
    for signin in signins:
        _settle(activity, signin, actor)
    audit.record(actor, "activity.close", "activity", activity.id, site_id=activity.site_id, after=summary(activity))
    return summary(activity)


def _settle(activity: Activity, signin: ActivitySignIn, actor) -> None:
    nominal = activity.points_each
    cap = monthly_cap()
    capped = nominal if not cap else max(0, min(nominal, cap - monthly_used(signin.household_id, activity.event_date)))
    signin.nominal_points, signin.capped_points = nominal, capped
    if capped < nominal:
        signin.note = f"本月已达上限 {cap} 分,本次计 {capped} 分"
    if capped == 0:
        signin.status = "none"
    elif needs_approval(capped, activity.site_id):
        signin.status = "pending"
    else:
        post_signin(signin, None)
    db.session.flush()


def post_signin(signin: ActivitySignIn, approver) -> None:
    activity = signin.activity
    entry = ledger.post(signin.household_id, signin.capped_points, "activity", ledger.Source("activity_signin", signin.id),
                        approver or activity.closed_by_id, f"志愿活动:{activity.title}",
                        f"activity:{activity.id}:{signin.household_id}", effective_date=activity.event_date)
    signin.status, signin.ledger_entry_id = "approved", entry.id
    if approver is not None:
        signin.approver_id, signin.decided_at = approver.id, utcnow()
    db.session.flush()


def cancel(actor, activity: Activity) -> None:
    require_site(actor, activity.site_id)
    claimed = db.session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.status == "open").values(status="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise ValidationFailed("只有进行中的活动可以取消")
    db.session.refresh(activity)
    audit.record(actor, "activity.cancel", "activity", activity.id, site_id=activity.site_id)


def signin_count(activity: Activity) -> int:
    return db.session.execute(
        select(func.count(ActivitySignIn.id)).where(ActivitySignIn.activity_id == activity.id)).scalar_one()


def summary(activity: Activity) -> dict:
    rows = list(activity.signins)
    return {"participants": len(rows),
            "posted": sum(1 for s in rows if s.status == "approved"),
            "pending": sum(1 for s in rows if s.status == "pending"),
            "capped": sum(1 for s in rows if s.capped_points is not None and s.capped_points < (s.nominal_points or 0)),
            "points": sum(s.capped_points or 0 for s in rows if s.status == "approved")}


def signin_json(signin: ActivitySignIn) -> dict:
    home = signin.household
    return {"id": signin.id, "household_id": home.id, "name": home.head_name, "building": home.building or "",
            "door_no": home.door_no or "", "method": "扫卡" if signin.method == "card" else "手工",
            "time": _hhmm(signin.signed_at), "status": signin.status_label}


def _hhmm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")

