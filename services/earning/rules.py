"""积分细则: the versioned catalog, recording rule items (one or many households), caps."""
import secrets
from datetime import date, timedelta
from typing import Iterable, Optional

from flask import current_app
from sqlalchemy import func, select, update

from extensions import db
from models import Activity, ActivitySignIn, Household, Rule, RuleCategory, RuleEvent
from models.clock import local_today, utcnow
from models.household import mask_name
from models.rules import CAP_PERIODS, RULE_UNITS
from services import fields, ledger
from services.errors import NotFound, ValidationFailed
from services.integrity.recusal import ensure_not_recused
from services.staff import audit
from services.staff.county_settings import site_setting
from services.staff.scope import require_site

#: units where one household can only get the item once per recording
SINGLE_UNITS = frozenset({"month", "quarter", "once"})
MAX_QUANTITY = 100
MAX_BATCH = 500

#: docs/domain.md#default-rules-catalog's starting catalog: category, item, points, unit, cap (points, period) or None, evidence
STARTING_CATALOG = [
    ("环境卫生", "月度入户检查达标", 10, "month", (10, "month"), False),
    ("环境卫生", "评为当月清洁户", 20, "month", (20, "month"), False),
    ("环境卫生", "参加集中清扫", 3, "time", None, False),
    ("环境卫生", "垃圾分类规范", 2, "month", (2, "month"), False),
    ("环境卫生", "乱扔垃圾/楼道堆物(经提醒)", -5, "time", None, True),
    ("公共秩序", "高空抛物、损坏公共设施", -20, "time", None, True),
    ("公共秩序", "乱搭乱建、占用消防通道", -10, "time", None, True),
    ("公共秩序", "参与治安巡逻/文明劝导", 5, "time", None, False),
    ("邻里互助", "帮扶三特户(代购、照料、陪诊)", 5, "time", None, False),
    ("邻里互助", "主动化解邻里纠纷", 10, "time", None, False),
    ("邻里互助", "引发纠纷经调解仍不改", -10, "time", None, True),
    ("孝老爱亲", "赡养照料老人(评议会认定)", 10, "quarter", (10, "quarter"), False),
    ("孝老爱亲", "不履行赡养义务", -20, "time", None, True),
    ("勤俭节约", "婚丧事简办(红白理事会备案)", 20, "time", None, True),
    ("勤俭节约", "大操大办、高额彩礼", -30, "time", None, True),
    ("勤劳致富", "家庭成员稳定就业满6个月", 20, "once", None, True),
    ("勤劳致富", "参加技能培训", 5, "time", None, False),
    ("勤劳致富", "自主创业或带动就业", 30, "once", None, True),
    ("教育", "子女考上大学", 10, "person", None, True),
    ("教育", "适龄子女辍学", -20, "time", None, True),
    ("公益志愿", "志愿服务", 3, "hour", (15, "month"), False),
    ("公益志愿", "合理化建议被采纳", 10, "time", None, False),
    ("村务参与", "参加村民会议、政策宣讲", 2, "time", None, False),
    ("荣誉", "获社区级表彰", 5, "once", None, True),
    ("荣誉", "获街道(乡镇)级表彰", 10, "once", None, True),
    ("荣誉", "获县级表彰", 15, "once", None, True),
    ("荣誉", "获市级表彰", 20, "once", None, True),
    ("荣誉", "获省级表彰", 30, "once", None, True),
]


# ------------------------------------------------------------------ catalog
def seed_catalog(actor=None) -> int:
    """Load the starting catalog into an empty catalog; returns the number of rules added."""
    if db.session.execute(select(func.count(Rule.id))).scalar_one():
        return 0
    categories: dict[str, RuleCategory] = {}
    for cat, name, points, unit, cap, evidence in STARTING_CATALOG:
        if cat not in categories:
            categories[cat] = RuleCategory(name=cat, sort_order=len(categories))
            db.session.add(categories[cat])
        rule = Rule(category=categories[cat], name=name, points=points, unit=unit, version=1, series=0,
                    cap_points=cap[0] if cap else None, cap_period=cap[1] if cap else "month",
                    evidence_required=evidence, created_by_id=getattr(actor, "id", actor))
        db.session.add(rule)
        db.session.flush()
        rule.series = rule.id
    db.session.flush()
    return len(STARTING_CATALOG)


def current_rules() -> list[Rule]:
    return list(db.session.execute(
        select(Rule).join(RuleCategory).where(Rule.is_current.is_(True))
        .order_by(RuleCategory.sort_order, RuleCategory.name, Rule.series)
    ).scalars())


def categories() -> list[RuleCategory]:
    return list(db.session.execute(select(RuleCategory).order_by(RuleCategory.sort_order, RuleCategory.name)).scalars())


def versions_of(series: int) -> list[Rule]:
    return list(db.session.execute(select(Rule).where(Rule.series == series).order_by(Rule.version.desc())).scalars())


def save_rule(actor, data: dict, rule: Optional[Rule] = None) -> Rule:
    """Create a rule, or a new version of `rule` (events keep the version they used)."""
    values = _rule_values(data)
    if rule is not None and not rule.is_current:
        raise ValidationFailed("只能修改当前版本的细则")
    new = Rule(**values, created_by_id=actor.id, version=1, series=0)
    if rule is not None:
        db.session.execute(update(Rule).where(Rule.series == rule.series).values(is_current=False))
        new.series, new.version = rule.series, rule.version + 1
    db.session.add(new)
    db.session.flush()
    if rule is None:
        new.series = new.id
    audit.record(actor, "rule.save", "rule", new.id, before=_rule_dict(rule) if rule else None,
                 after=_rule_dict(new))
    return new


def retire_rule(actor, rule: Rule) -> None:
    if not rule.is_current:
        raise ValidationFailed("这条细则已经停用或有更新版本")
    rule.is_current = False
    audit.record(actor, "rule.retire", "rule", rule.id)
    db.session.flush()


def _rule_values(data: dict) -> dict:
    name = (data.get("name") or "").strip()
    category_name = (data.get("category") or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("请填写细则名称(100 字以内)")
    if not category_name or len(category_name) > 32:
        raise ValidationFailed("请填写类别(32 字以内)")
    points = fields.integer(data.get("points"), "分值")
    if points == 0 or abs(points) > 1000:
        raise ValidationFailed("分值不能为 0,绝对值不超过 1000")
    unit = data.get("unit") or "time"
    if unit not in RULE_UNITS:
        raise ValidationFailed("请选择计分单位")
    cap = data.get("cap_points")
    cap = fields.integer(cap, "上限") if str(cap or "").strip() else None
    if cap is not None and cap <= 0:
        raise ValidationFailed("上限必须大于 0(不设上限请留空)")
    period = data.get("cap_period") or "month"
    if period not in CAP_PERIODS:
        raise ValidationFailed("请选择上限周期")
    category = db.session.execute(select(RuleCategory).where(RuleCategory.name == category_name)).scalar_one_or_none()
    if category is None:
        category = RuleCategory(name=category_name, sort_order=len(categories()))
        db.session.add(category)
    return dict(name=name, category=category, points=points, unit=unit, cap_points=cap, cap_period=period,
                evidence_required=bool(data.get("evidence_required")), note=(data.get("note") or "").strip() or None)


def _rule_dict(rule: Rule) -> dict:
    return {"name": rule.name, "category": rule.category.name, "points": rule.points, "unit": rule.unit,
            "cap_points": rule.cap_points, "cap_period": rule.cap_period,
            "evidence_required": rule.evidence_required, "version": rule.version}




# ------------------------------------------------------------------ caps
def period_bounds(day: date, period: str) -> tuple[date, date]:
    """First and last day of the month / quarter / year containing `day`."""
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    first_month = day.month if period == "month" else 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    months = 1 if period == "month" else 3
    nxt = date(start.year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def monthly_cap() -> int:
    return int(current_app.config.get("MONTHLY_CAP") or 0)


def monthly_used(household_id: int, day: date) -> int:
    """Rule awards and activity points of the household in the month of `day`; pending counts (docs/decisions.md#caps)."""
    start, end = period_bounds(day, "month")
    rules = db.session.execute(
        select(func.coalesce(func.sum(RuleEvent.nominal_points), 0)).where(
            RuleEvent.household_id == household_id, RuleEvent.nominal_points > 0,
            RuleEvent.status.in_(("pending", "approved")), RuleEvent.event_date.between(start, end))
    ).scalar_one()
    activities = db.session.execute(
        select(func.coalesce(func.sum(ActivitySignIn.capped_points), 0)).join(Activity).where(
            ActivitySignIn.household_id == household_id, ActivitySignIn.status.in_(("pending", "approved")),
            Activity.event_date.between(start, end))
    ).scalar_one()
    return int(rules) + int(activities)


def rule_used(household_id: int, rule: Rule, day: date) -> int:
    start, end = period_bounds(day, rule.cap_period)
    return int(db.session.execute(
        select(func.coalesce(func.sum(RuleEvent.nominal_points), 0)).join(Rule, RuleEvent.rule_id == Rule.id).where(
            RuleEvent.household_id == household_id, Rule.series == rule.series,
            RuleEvent.status.in_(("pending", "approved")), RuleEvent.event_date.between(start, end))
    ).scalar_one())


def lock_households(ids: Iterable[int]) -> list[Household]:
    """Lock household rows in id order (PostgreSQL FOR UPDATE; SQLite writers hold BEGIN IMMEDIATE),
    so two recordings cannot both pass a cap."""
    ids = sorted(set(ids))
    homes = list(db.session.execute(
        select(Household).where(Household.id.in_(ids)).order_by(Household.id).with_for_update()
    ).scalars())
    if len(homes) != len(ids):
        raise NotFound("有住户不存在,请刷新后重选")
    return homes


def cap_problem(home: Household, rule: Rule, points: int, day: date) -> Optional[str]:
    """Why `points` more would pass a cap, in Chinese; None when it fits."""
    if points <= 0:
        return None
    name = home.head_name
    if rule.cap_points:
        used = rule_used(home.id, rule, day)
        if used + points > rule.cap_points:
            label = {"month": "本月", "quarter": "本季度", "year": "本年"}[rule.cap_period]
            return f"{name}:“{rule.name}”{label}已达上限 {rule.cap_points} 分(已记 {used} 分)"
    cap = monthly_cap()
    if cap:
        used = monthly_used(home.id, day)
        if used + points > cap:
            return f"{name}:本月已达上限 {cap} 分(细则与活动已记 {used} 分,本次 {points} 分)"
    return None


# ------------------------------------------------------------------ recording
def needs_approval(points: int, site_id: int) -> bool:
    """Maker-checker: every deduction and any entry above the site's county threshold
    (docs/decisions.md#approver)."""
    return points < 0 or abs(points) > site_setting(site_id, "approval_threshold")


def record(actor, rule_id: int, household_ids: list[int], *, event_date: Optional[date] = None,
           quantity: int = 1, note: str = "", evidence_file: Optional[str] = None) -> list[RuleEvent]:
    """Record one rule item for one or many households of one site. Entries that need no
    second person post at once; the rest wait in the approval queue. All or nothing."""
    rule = db.session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("没有这条细则")
    if not rule.is_current:
        raise ValidationFailed("这条细则已更新或停用,请刷新后重选")
    note = (note or "").strip()
    day = _check_inputs(rule, household_ids, event_date, quantity, note, evidence_file)
    homes = lock_households(household_ids)
    site_ids = {h.site_id for h in homes}
    if len(site_ids) != 1:
        raise ValidationFailed("一次只能为同一个安置点的住户记分")
    require_site(actor, site_ids.pop())
    ensure_not_recused(actor, [h.id for h in homes], "rule.record" if len(homes) == 1 else "rule.bulk")
    nominal = rule.points * quantity
    problems = [p for p in (_home_problem(h, rule, nominal, day) for h in homes) if p]
    if problems:
        raise ValidationFailed("以下住户不能记分,请取消勾选后再提交:" + ";".join(problems), problems=problems)
    batch = secrets.token_hex(8)
    events = [_new_event(actor, rule, h, day, quantity, nominal, note, evidence_file, batch) for h in homes]
    db.session.flush()
    for event in events:
        if not needs_approval(event.nominal_points, event.site_id):
            post_event(event, actor)
    audit.record(actor, "rule.record", "rule_event", batch, site_id=homes[0].site_id,
                 after={"rule_id": rule.id, "households": [h.id for h in homes], "points": nominal,
                        "pending": needs_approval(nominal, homes[0].site_id)})
    return events


def _check_inputs(rule, household_ids, event_date, quantity, note, evidence_file) -> date:
    if not household_ids:
        raise ValidationFailed("请至少选择一户")
    if len(set(household_ids)) > MAX_BATCH:
        raise ValidationFailed(f"一次最多 {MAX_BATCH} 户")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(f"数量必须是 1 到 {MAX_QUANTITY} 的整数")
    if rule.unit in SINGLE_UNITS and quantity != 1:
        raise ValidationFailed(f"“{rule.name}”每次只能记 1 {RULE_UNITS[rule.unit]}")
    day = event_date or local_today()
    if day > local_today():
        raise ValidationFailed("事情发生的日期不能晚于今天")
    if day < local_today() - timedelta(days=366):
        raise ValidationFailed("只能补记一年以内的事")
    if rule.points < 0 and not note:
        raise ValidationFailed("扣分必须写明原因")
    if len(note) > 500:
        raise ValidationFailed("备注请在 500 字以内")
    if rule.evidence_required and not evidence_file:
        raise ValidationFailed(f"“{rule.name}”需要上传照片或证明材料")
    return day


def _home_problem(home: Household, rule: Rule, nominal: int, day: date) -> Optional[str]:
    if home.status != "active":
        return f"{home.head_name}:已迁出或合户"
    return cap_problem(home, rule, nominal, day)


def _new_event(actor, rule, home, day, quantity, nominal, note, evidence_file, batch) -> RuleEvent:
    event = RuleEvent(rule=rule, household_id=home.id, site_id=home.site_id, event_date=day, quantity=quantity,
                      nominal_points=nominal, status="pending", note=note or None, evidence_file=evidence_file,
                      batch=batch, recorder_id=actor.id, recorded_at=utcnow())
    db.session.add(event)
    return event


def post_event(event: RuleEvent, actor, approver=None) -> None:
    """Post an event through the ledger (key rule:{id}); a deduction that takes nothing has no entry."""
    kind = "rule_award" if event.nominal_points > 0 else "rule_deduction"
    text = f"{event.rule.category.name}·{event.rule.name}" + (f":{event.note}" if event.note else "")
    entry = ledger.post(event.household_id, event.nominal_points, kind, ledger.Source("rule_event", event.id),
                        actor, text[:500], f"rule:{event.id}", effective_date=event.event_date)
    event.status = "approved"
    event.applied_points = entry.points if entry else 0
    event.ledger_entry_id = entry.id if entry else None
    if approver is not None:
        event.approver_id, event.decided_at = approver.id, utcnow()
    db.session.flush()


def reverse_event(actor, event: RuleEvent, reason: str):
    """Correct a posted rule item (e.g. an upheld objection to the monthly list): a reversal."""
    require_site(actor, event.site_id)
    ensure_not_recused(actor, event.household_id, "rule.reverse")
    if event.status != "approved" or event.ledger_entry_id is None:
        raise ValidationFailed("这条记录没有入账,不需要冲正")
    from models import LedgerEntry

    entry = ledger.reverse(db.session.get(LedgerEntry, event.ledger_entry_id), actor, reason)
    audit.record(actor, "rule.reverse", "rule_event", event.id, site_id=event.site_id, after={"reason": reason})
    return entry


def recent_events(site_ids: Optional[set[int]], limit: int = 100, household_id: Optional[int] = None) -> list[RuleEvent]:
    query = select(RuleEvent).order_by(RuleEvent.id.desc()).limit(limit)
    if site_ids is not None:
        query = query.where(RuleEvent.site_id.in_(site_ids))
    if household_id is not None:
        query = query.where(RuleEvent.household_id == household_id)
    return list(db.session.execute(query).scalars())


def public_deductions(site_id: int, since: date) -> list[dict]:
    """Deductions for public views: rule and reason, the name masked (张*三)."""
    events = db.session.execute(
        select(RuleEvent).where(RuleEvent.site_id == site_id, RuleEvent.nominal_points < 0,
                                RuleEvent.status == "approved", RuleEvent.event_date >= since)
        .order_by(RuleEvent.event_date.desc())
    ).scalars()
    return [{"name": mask_name(e.household.head_name), "rule": e.rule.name, "reason": e.note or "",
             "points": e.applied_points, "date": e.event_date} for e in events]
