"""Year-end policy per county: carry over, expire points older than N months, or reset to base.

Expiry is first-in-first-out: spending (and earlier expiry) uses up the oldest points first, so
what expires is max(0, points credited on or before the cut-off − everything debited so far),
never more than the balance above the base points. "Reset" expires the whole balance above the base
points, then brings every household's base points to the county's current setting; 底分 never
expire (docs/decisions.md#base-points). Running posts `expiry` entries through services.ledger with the key expiry:{year}:{hh}
(docs/decisions.md#idempotency-keys): once per county and year (YearEndRun is unique), idempotent, audited."""
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Area, Household, LedgerEntry, Site, YearEndRun
from models.clock import local_today
from models.honor import YEAR_END_POLICIES
from services import ledger
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.households import base_points
from services.staff import audit
from services.staff.county_settings import overrides_for


class YearNotOver(DomainError):
    code = "year_not_over"
    status = 409
    message = "这一年还没有结束,年末处理要在次年执行"


class AlreadyRun(DomainError):
    code = "year_end_done"
    status = 409
    message = "这个县今年的年末处理已经执行过了"


@dataclass
class Policy:
    code: str
    months: Optional[int] = None

    @property
    def label(self) -> str:
        text = YEAR_END_POLICIES[self.code]
        return text.replace("N", str(self.months)) if self.months else text


@dataclass
class PlanRow:
    household_id: int
    head_name: str
    site: str
    balance: int
    expiring: int

    @property
    def remaining(self) -> int:
        return self.balance - self.expiring


@dataclass
class Plan:
    county: Area
    year: int
    policy: Policy
    cutoff: Optional[date]
    rows: list[PlanRow] = field(default_factory=list)
    #: households already expired for this year (their key exists); never posted twice
    already: int = 0

    @property
    def total(self) -> int:
        return sum(r.expiring for r in self.rows)


def policy_for(county: Area) -> Policy:
    """Config: YEAR_END_POLICY / YEAR_END_EXPIRE_MONTHS, overridden per county in
    YEAR_END_COUNTY_POLICIES = {county id or name: {"policy": ..., "months": ...}}."""
    config = current_app.config
    own = overrides_for(county, "YEAR_END_COUNTY_POLICIES")
    code = own.get("policy", config.get("YEAR_END_POLICY", "carry_over"))
    if code not in YEAR_END_POLICIES:
        raise ValidationFailed(f"年末政策配置有误:{code}(应为 carry_over / expire / reset)")
    months = int(own.get("months", config.get("YEAR_END_EXPIRE_MONTHS", 12))) if code == "expire" else None
    if months is not None and not 1 <= months <= 120:
        raise ValidationFailed("过期月数应在 1 到 120 之间")
    return Policy(code, months)


def counties() -> list[Area]:
    return list(db.session.execute(select(Area).where(Area.level == "county").order_by(Area.name)).scalars())


def get_county(county_id) -> Area:
    county = db.session.get(Area, county_id) if str(county_id or "").isdigit() else None
    if county is None or county.level != "county":
        raise NotFound("没有这个县")
    return county


def cutoff_date(year: int, months: int) -> date:
    """Points effective on or before this day are older than `months` months at 31 Dec of `year`."""
    index = year * 12 + 12 - months  # month after the cut-off month, 0-based from year 0
    first_of_next = date(index // 12, index % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def county_site_ids(county: Area) -> set[int]:
    found, frontier = {county.id}, {county.id}
    while frontier:
        frontier = set(db.session.execute(select(Area.id).where(Area.parent_id.in_(frontier))).scalars()) - found
        found |= frontier
    return set(db.session.execute(select(Site.id).where(Site.area_id.in_(found))).scalars())


def dry_run(county: Area, year: int) -> Plan:
    """What each household would lose; nothing is written."""
    policy = policy_for(county)
    cutoff = cutoff_date(year, policy.months) if policy.code == "expire" else None
    plan = Plan(county, year, policy, cutoff)
    if policy.code == "carry_over":
        return plan
    # base points (底分) never expire: their grants are not credits that age, and only the balance
    # above the base can go (docs/decisions.md#base-points)
    is_old = and_(LedgerEntry.points > 0, or_(LedgerEntry.source_type.is_(None),
                                               LedgerEntry.source_type != base_points.SOURCE))
    if cutoff is not None:
        is_old = and_(is_old, LedgerEntry.effective_date <= cutoff)
    old_credits = func.coalesce(func.sum(case((is_old, LedgerEntry.points), else_=0)), 0)
    debits = func.coalesce(func.sum(case((LedgerEntry.points < 0, -LedgerEntry.points), else_=0)), 0)
    rows = db.session.execute(
        select(Household.id, Household.head_name, Site.name, Household.balance, Household.base_points, old_credits,
               debits)
        .join(Site, Site.id == Household.site_id).join(LedgerEntry, LedgerEntry.household_id == Household.id)
        .where(Household.site_id.in_(county_site_ids(county)), Household.balance > Household.base_points)
        .group_by(Household.id, Household.head_name, Site.name, Household.balance, Household.base_points)
        .order_by(Site.name, Household.id)
    ).all()
    done = _already_expired(year)
    for hid, name, site, balance, base, old, spent in rows:
        if hid in done:
            plan.already += 1
            continue
        room = balance - base
        expiring = room if policy.code == "reset" else max(0, min(room, int(old) - int(spent)))
        if expiring:
            plan.rows.append(PlanRow(hid, name, site, int(balance), expiring))
    return plan


def _already_expired(year: int) -> set[int]:
    prefix = f"expiry:{year}:"
    keys = db.session.execute(select(LedgerEntry.idempotency_key).where(
        LedgerEntry.kind == "expiry", LedgerEntry.idempotency_key.like(prefix + "%"))).scalars()
    return {int(key[len(prefix):]) for key in keys}


def find_run(county: Area, year: int) -> Optional[YearEndRun]:
    return db.session.execute(select(YearEndRun).where(YearEndRun.county_id == county.id,
                                                       YearEndRun.year == year)).scalar_one_or_none()


def runs() -> list[YearEndRun]:
    return list(db.session.execute(select(YearEndRun).order_by(YearEndRun.year.desc(), YearEndRun.id.desc())).scalars())


def run(actor, county: Area, year: int, today: Optional[date] = None) -> YearEndRun:
    """Execute the county's policy for `year` (after that year has ended). A second run returns
    the first result and writes nothing."""
    if not actor.has_role("admin"):
        raise Forbidden("只有系统管理员可以执行年末处理")
    existing = find_run(county, year)
    if existing is not None:
        return existing
    if (today or local_today()) <= date(year, 12, 31):
        raise YearNotOver(f"{year}年还没有结束,年末处理要在{year + 1}年1月1日以后执行")
    plan = dry_run(county, year)
    record = YearEndRun(county_id=county.id, year=year, policy=plan.policy.code, expire_months=plan.policy.months,
                        households=len(plan.rows), points=plan.total, run_by_id=actor.id)
    db.session.add(record)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise AlreadyRun() from None
    note = f"{year}年末{plan.policy.label}"
    for row in plan.rows:
        ledger.post(row.household_id, -row.expiring, "expiry", ledger.Source("year_end_run", record.id), actor,
                    note, f"expiry:{year}:{row.household_id}", effective_date=date(year, 12, 31))
    if plan.policy.code == "reset":  # the new year starts from the county's current base points
        base_points.apply_all(actor, db.session.execute(select(Household).where(
            Household.site_id.in_(county_site_ids(county)), Household.status == "active")
            .order_by(Household.id)).scalars().all(), f"{year + 1}年底分")
    audit.record(actor, "year_end.run", "year_end_run", record.id,
                 after={"county": county.name, "year": year, "policy": plan.policy.code,
                        "months": plan.policy.months, "households": record.households, "points": record.points})
    return record


def plan_table(plan: Plan):
    """The dry run as a printable table (Excel download on the year-end page)."""
    from services.ledger.exports import Table

    rows = [[r.head_name, r.site, r.balance, r.expiring, r.remaining] for r in plan.rows]
    cutoff = f",{plan.cutoff} 及以前得到的积分" if plan.cutoff else ""
    return Table(f"{plan.county.name}{plan.year}年末积分处理试算", f"政策:{plan.policy.label}{cutoff}",
                 ["户主", "安置点", "现有积分", "将过期", "剩余"], rows,
                 [["合计", "", sum(r.balance for r in plan.rows), plan.total, sum(r.remaining for r in plan.rows)]],
                 widths=[30, 50, 20, 20, 20])
