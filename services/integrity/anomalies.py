"""Anomaly audit (异常核查) for the 村务监督委员会 / auditor: favouritism (人情分) and missing goods leave traces.

Each rule reads the ledger, rule events, redemptions and stock movements of a period and returns
Findings; a finding has a stable fingerprint (rule + the ids it is about), links to its entries, and can
be marked checked with a note (AnomalyCheck). Thresholds are configurable (Thresholds, from the form or
app config ANOMALY_THRESHOLDS). Business times are local (models/clock.py)."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from statistics import median
from typing import Optional

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Household, LedgerEntry, Redemption, RuleEvent, StockMovement
from models.clock import local_today, to_local, utcnow
from models.ledger import EARNING_KINDS
from models.recusal import AnomalyCheck
from services.errors import NotFound, ValidationFailed
from services.staff import audit

RULES = {
    "recorder_share": "一人包办:同一记分人给某户的积分占比过高",
    "rule_rate": "同一细则对同一户的次数远高于常态",
    "award_before_redemption": "大额加分后很快兑换",
    "backdated": "补记过久(事后倒签)",
    "after_hours": "非工作时间录入",
    "reversed_by_maker": "扣分被其记分人或审批人自己冲正",
    "staff_in_top": "工作人员本人或亲属户进入排名前列",
    "void_redo": "兑换作废后又重新兑换",
    "adjust_without_slip": "库存调增但没有入库单",
}


@dataclass
class Thresholds:
    #: recorder_share: more than this share of a household's points from one recorder …
    recorder_share: float = 0.6
    #: … when the household got at least this many points in the period
    recorder_min_points: int = 40
    #: rule_rate: flagged when count ≥ max(rule_min_count, rule_factor × median count of that rule)
    rule_factor: float = 4.0
    rule_min_count: int = 6
    #: award_before_redemption: an award of at least this many points …
    large_award: int = 50
    #: … followed by a redemption of the same household within this many hours
    redeem_within_hours: int = 48
    #: backdated: recorded more than this many days after the event date
    backdate_days: int = 7
    #: after_hours: local working hours [start, end)
    work_start_hour: int = 7
    work_end_hour: int = 21
    #: staff_in_top: top N of the period ranking per site
    top_n: int = 5
    #: void_redo: a new redemption within this many hours after a void
    redo_within_hours: int = 24

    @classmethod
    def from_form(cls, form) -> "Thresholds":
        values = dict(current_app.config.get("ANOMALY_THRESHOLDS", {}))
        for f in fields(cls):
            raw = (form or {}).get(f.name)
            if raw not in (None, ""):
                try:
                    values[f.name] = float(raw) if f.type in (float, "float") else int(raw)
                except ValueError:
                    raise ValidationFailed(f"阈值“{f.name}”应为数字") from None
        out = cls(**values)
        if not 0 < out.recorder_share <= 1:
            raise ValidationFailed("占比阈值应在 0 到 1 之间,例如 0.6")
        if not 0 <= out.work_start_hour < out.work_end_hour <= 24:
            raise ValidationFailed("工作时间应在 0 到 24 点之间")
        return out


@dataclass
class Finding:
    rule: str
    fingerprint: str
    site_id: Optional[int]
    household_id: Optional[int]
    detail: str
    #: ledger entry ids the finding is about
    entry_ids: list = field(default_factory=list)
    redemption_ids: list = field(default_factory=list)
    movement_ids: list = field(default_factory=list)
    check: Optional[AnomalyCheck] = None

    @property
    def title(self) -> str:
        return RULES[self.rule]


def find(start: date, end: date, thresholds: Optional[Thresholds] = None,
         site_ids: Optional[set[int]] = None) -> list[Finding]:
    """Every finding of the period [start, end] (local dates), for the given sites (None = all)."""
    t = thresholds or Thresholds()
    data = _Data(start, end, site_ids)
    out = []
    for rule in RULES:
        out.extend(globals()[f"_{rule}"](data, t))
    checks = {c.fingerprint: c for c in db.session.execute(
        select(AnomalyCheck).where(AnomalyCheck.fingerprint.in_([f.fingerprint for f in out] or [""]))).scalars()}
    for finding in out:
        finding.check = checks.get(finding.fingerprint)
    return out


def mark_checked(actor, finding_rule: str, fingerprint: str, note: str) -> AnomalyCheck:
    if finding_rule not in RULES or not fingerprint.startswith(finding_rule + ":"):
        raise NotFound("没有这条异常")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写核查说明")
    if len(note) > 1000:
        raise ValidationFailed("核查说明请在 1000 字以内")
    row = db.session.execute(select(AnomalyCheck).where(AnomalyCheck.fingerprint == fingerprint)).scalar_one_or_none()
    if row is None:
        row = AnomalyCheck(fingerprint=fingerprint, rule=finding_rule, note=note, checked_by_id=actor.id)
        db.session.add(row)
    else:
        row.note, row.checked_by_id, row.checked_at = note, actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "anomaly.checked", "anomaly", fingerprint[:64], after={"note": note})
    return row


# ------------------------------------------------------------------ data of the period

def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    from datetime import timezone

    from models.clock import local_zone

    def utc(day):
        return datetime.combine(day, datetime.min.time(), tzinfo=local_zone()).astimezone(timezone.utc) \
            .replace(tzinfo=None)
    return utc(start), utc(end + timedelta(days=1))


_ENTRY_COLUMNS = [getattr(LedgerEntry, name) for name in (
    "id", "household_id", "site_id", "kind", "points", "created_at", "effective_date", "actor_id", "source_type",
    "source_id", "reverses_id")]


class _Data:
    def __init__(self, start: date, end: date, site_ids: Optional[set[int]]):
        self.start, self.end, self.site_ids = start, end, site_ids
        lo, hi = _utc_bounds(start, end)
        self.lo, self.hi = lo, hi
        # plain rows of the columns the rules read: ORM objects cost most of the page's time
        query = select(*_ENTRY_COLUMNS).where(LedgerEntry.created_at >= lo - timedelta(days=7),
                                              LedgerEntry.created_at < hi + timedelta(days=7))
        if site_ids is not None:
            query = query.where(LedgerEntry.site_id.in_(site_ids or {-1}))
        self.entries = list(db.session.execute(query.order_by(LedgerEntry.id)))
        self.in_period = [e for e in self.entries if lo <= e.created_at < hi]
        self.by_id = {e.id: e for e in self.entries}
        events = select(RuleEvent).where(RuleEvent.recorded_at >= lo, RuleEvent.recorded_at < hi)
        if site_ids is not None:
            events = events.where(RuleEvent.site_id.in_(site_ids or {-1}))
        self.events = list(db.session.execute(events).scalars())
        self.event_by_entry = {ev.ledger_entry_id: ev for ev in self.events if ev.ledger_entry_id}
        missing = [e.source_id for e in self.entries if e.source_type == "rule_event"
                   and e.id not in self.event_by_entry]
        if missing:
            for ev in db.session.execute(select(RuleEvent).where(RuleEvent.id.in_(missing))).scalars():
                if ev.ledger_entry_id:
                    self.event_by_entry[ev.ledger_entry_id] = ev

    def who(self, user_id) -> str:
        if not hasattr(self, "_names"):
            from models import StaffUser

            self._names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
        return f"{self._names.get(user_id, '')}(编号 {user_id})"

    def recorder_of(self, entry: LedgerEntry) -> Optional[int]:
        event = self.event_by_entry.get(entry.id)
        return event.recorder_id if event else entry.actor_id


def _recorder_share(d: _Data, t: Thresholds) -> list[Finding]:
    per = defaultdict(Counter)
    entries = defaultdict(list)
    for e in d.in_period:
        if e.kind in EARNING_KINDS and e.points > 0:
            who = d.recorder_of(e)
            per[e.household_id][who] += e.points
            entries[(e.household_id, who)].append(e.id)
    out = []
    for hid, by in per.items():
        total = sum(by.values())
        if total < t.recorder_min_points:
            continue
        for who, points in by.items():
            if who is not None and points / total > t.recorder_share:
                site = d.by_id[entries[(hid, who)][0]].site_id
                out.append(Finding("recorder_share", f"recorder_share:{who}:{hid}", site, hid,
                                   f"{d.who(who)} 记给户号 {hid} 的积分 {points} 分,占该户本期 {total} 分的 "
                                   f"{points * 100 // total}%", entries[(hid, who)]))
    return out


def _rule_rate(d: _Data, t: Thresholds) -> list[Finding]:
    counts = defaultdict(Counter)
    ids = defaultdict(list)
    for ev in d.events:
        if ev.status == "approved" and ev.nominal_points > 0:
            counts[ev.rule_id][ev.household_id] += 1
            ids[(ev.rule_id, ev.household_id)].append(ev)
    out = []
    for rule_id, per in counts.items():
        usual = median(per.values())
        limit = max(t.rule_min_count, t.rule_factor * usual)
        for hid, n in per.items():
            if n >= limit:
                evs = ids[(rule_id, hid)]
                out.append(Finding("rule_rate", f"rule_rate:{rule_id}:{hid}", evs[0].site_id, hid,
                                   f"细则 {rule_id} 本期记给户号 {hid} {n} 次,常态中位数 {usual:g} 次",
                                   [ev.ledger_entry_id for ev in evs if ev.ledger_entry_id]))
    return out


def _award_before_redemption(d: _Data, t: Thresholds) -> list[Finding]:
    redemptions = defaultdict(list)
    for e in d.entries:
        if e.kind == "redemption":
            redemptions[e.household_id].append(e)
    out = []
    window = timedelta(hours=t.redeem_within_hours)
    for e in d.in_period:
        if e.kind in EARNING_KINDS and e.points >= t.large_award:
            soon = [r for r in redemptions.get(e.household_id, []) if e.created_at <= r.created_at <= e.created_at + window]
            if soon:
                out.append(Finding("award_before_redemption", f"award_before_redemption:{e.id}", e.site_id,
                                   e.household_id, f"加 {e.points} 分后 {t.redeem_within_hours} 小时内兑换了 "
                                   f"{-sum(r.points for r in soon)} 分", [e.id] + [r.id for r in soon]))
    return out


def _backdated(d: _Data, t: Thresholds) -> list[Finding]:
    out = []
    for e in d.in_period:
        if e.kind in ("rule_award", "rule_deduction", "activity", "adjustment"):
            lag = (to_local(e.created_at).date() - e.effective_date).days
            if lag > t.backdate_days:
                out.append(Finding("backdated", f"backdated:{e.id}", e.site_id, e.household_id,
                                   f"事情发生在 {e.effective_date},{lag} 天后才入账", [e.id]))
    return out


def _after_hours(d: _Data, t: Thresholds) -> list[Finding]:
    out = []
    for e in d.in_period:
        if e.actor_id is None or e.kind in ("redemption", "redemption_void", "expiry", "allowance_hold",
                                            "allowance_return"):
            continue
        local = to_local(e.created_at)
        if not t.work_start_hour <= local.hour < t.work_end_hour:
            out.append(Finding("after_hours", f"after_hours:{e.id}", e.site_id, e.household_id,
                               f"{local:%Y-%m-%d %H:%M} 录入(非工作时间)", [e.id]))
    return out


def _reversed_by_maker(d: _Data, t: Thresholds) -> list[Finding]:
    out = []
    originals = {e.reverses_id for e in d.in_period if e.kind == "reversal" and e.reverses_id}
    missing = originals - set(d.by_id)
    if missing:
        for e in db.session.execute(select(LedgerEntry).where(LedgerEntry.id.in_(missing))).scalars():
            d.by_id[e.id] = e
    for e in d.in_period:
        if e.kind != "reversal" or not e.reverses_id:
            continue
        original = d.by_id.get(e.reverses_id)
        if original is None or original.kind != "rule_deduction":
            continue
        event = d.event_by_entry.get(original.id)
        makers = {original.actor_id} | ({event.recorder_id, event.approver_id} if event else set())
        if e.actor_id is not None and e.actor_id in makers:
            out.append(Finding("reversed_by_maker", f"reversed_by_maker:{e.id}", e.site_id, e.household_id,
                               f"扣分 {original.points} 分由其记分人或审批人 {d.who(e.actor_id)} 自己冲正",
                               [original.id, e.id]))
    return out


def _staff_in_top(d: _Data, t: Thresholds) -> list[Finding]:
    from services.honors.rankings import ranking
    from services.integrity.recusal import staff_linked_household_ids

    linked = staff_linked_household_ids()
    if not linked:
        return []
    sites = db.session.execute(select(Household.site_id).where(Household.id.in_(linked)).distinct()).scalars()
    out = []
    for site_id in sites:
        if d.site_ids is not None and site_id not in d.site_ids:
            continue
        for row in ranking(d.start, d.end, site_id, limit=t.top_n):
            if row.household_id in linked:
                ids = [e.id for e in d.in_period if e.household_id == row.household_id and e.kind in EARNING_KINDS]
                staff = "、".join(d.who(u) for u in sorted(linked[row.household_id]))
                out.append(Finding("staff_in_top", f"staff_in_top:{row.household_id}", site_id, row.household_id,
                                   f"与工作人员 {staff} 关联的户本期排名第 {row.rank}(挣得 {row.earned} 分)", ids))
    return out


def _void_redo(d: _Data, t: Thresholds) -> list[Finding]:
    """Voids of the period, then only those households' redemptions (not every redemption of the period)."""
    voids_query = select(Redemption).where(Redemption.status == "void", Redemption.voided_at.is_not(None),
                                           Redemption.created_at >= d.lo, Redemption.created_at < d.hi)
    if d.site_ids is not None:
        voids_query = voids_query.where(Redemption.site_id.in_(d.site_ids or {-1}))
    voids = list(db.session.execute(voids_query.order_by(Redemption.created_at)).scalars())
    if not voids:
        return []
    query = select(Redemption).where(Redemption.household_id.in_({r.household_id for r in voids}),
                                     Redemption.created_at >= d.lo, Redemption.created_at < d.hi + timedelta(days=2))
    if d.site_ids is not None:
        query = query.where(Redemption.site_id.in_(d.site_ids or {-1}))
    rows = list(db.session.execute(query.order_by(Redemption.created_at)).scalars())
    by_home = defaultdict(list)
    for r in rows:
        by_home[r.household_id].append(r)
    out, window = [], timedelta(hours=t.redo_within_hours)
    for r in voids:
        redo = [n for n in by_home[r.household_id] if n.id != r.id and r.voided_at <= n.created_at <= r.voided_at + window]
        if redo:
            out.append(Finding("void_redo", f"void_redo:{r.id}", r.site_id, r.household_id,
                               f"兑换 {r.id} 作废后 {t.redo_within_hours} 小时内又兑换(单号 "
                               f"{'、'.join(str(n.id) for n in redo)})",
                               [i for i in (r.ledger_entry_id, r.void_entry_id) if i],
                               redemption_ids=[r.id] + [n.id for n in redo]))
    return out


def _adjust_without_slip(d: _Data, t: Thresholds) -> list[Finding]:
    query = select(StockMovement).where(StockMovement.kind == "adjust", StockMovement.quantity > 0,
                                        StockMovement.created_at >= d.lo, StockMovement.created_at < d.hi)
    if d.site_ids is not None:
        query = query.where(StockMovement.site_id.in_(d.site_ids or {-1}))
    return [Finding("adjust_without_slip", f"adjust_without_slip:{m.id}", m.site_id, None,
                    f"“{m.goods.name}”调增 {m.quantity},没有入库单({m.note or '无说明'})",
                    movement_ids=[m.id]) for m in db.session.execute(query).scalars()]


def default_period() -> tuple[date, date]:
    today = local_today()
    return today - timedelta(days=89), today
