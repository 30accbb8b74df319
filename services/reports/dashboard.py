"""Dashboards per site and county: issued vs redeemed per month, by category and rule,
participation, top goods, stock alerts, pending approvals, households to visit.

Ledger figures use the entry's site at posting time and its effective date, the same basis as
`flask ledger verify` (docs/decisions.md#ledger-identity), so the totals reconcile with it. `site_ids` None = county."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import and_, case, false, func, or_, select

from extensions import db
from models import (
    Activity,
    ActivitySignIn,
    Area,
    EvaluationRound,
    Goods,
    HonorList,
    Household,
    KioskAllowance,
    LedgerEntry,
    Redemption,
    RedemptionLine,
    Rule,
    RuleCategory,
    RuleEvent,
    Site,
)
from models.clock import local_today, local_zone
from models.ledger import EARNING_KINDS
from services.database import month_text
from services.ledger import month_totals
from services.reports import report_totals
from services.staff.scope import county_of_areas

#: kinds that count as issued (positive earnings)
ISSUED_KINDS = ("evaluation", "award", "activity", "rule_award")
#: source type of the earning kinds that have no rule category
KIND_CATEGORY = {"evaluation": "五评五奖评分", "award": "评比奖励", "activity": "志愿活动"}
INACTIVE_MONTHS = 3
TOP = 10


@dataclass
class Filters:
    start: date
    end: date
    #: None = every site (county); otherwise the sites to include
    site_ids: Optional[set[int]] = None


@dataclass
class MonthRow:
    month: str
    issued: int = 0
    deducted: int = 0
    redeemed: int = 0
    expired: int = 0
    other: int = 0

    @property
    def net(self) -> int:
        return self.issued - self.deducted - self.redeemed - self.expired + self.other


@dataclass
class Dashboard:
    filters: Filters
    months: list[MonthRow] = field(default_factory=list)
    by_kind: dict = field(default_factory=dict)
    by_category: list = field(default_factory=list)
    by_rule: list = field(default_factory=list)
    participation: dict = field(default_factory=dict)
    top_goods: list = field(default_factory=list)
    stock_alerts: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)
    inactive: list = field(default_factory=list)
    inactive_total: int = 0
    sites: list = field(default_factory=list)


def default_filters(site_ids: Optional[set[int]] = None, today: Optional[date] = None) -> Filters:
    """This year so far."""
    today = today or local_today()
    return Filters(today.replace(month=1, day=1), today, site_ids)


def dashboard(filters: Filters, today: Optional[date] = None) -> Dashboard:
    return report_totals.consistent(lambda upto: _dashboard(filters, today, upto))


def _dashboard(filters: Filters, today: Optional[date], upto) -> Dashboard:
    board = Dashboard(filters)
    since = _months_before(today or local_today(), INACTIVE_MONTHS)
    cube, people = ledger_cube(filters, upto), households_by_site(filters, upto, since)
    board.months = monthly(filters, cube)
    board.by_kind = kind_totals(filters, cube)
    board.by_category = by_category(filters, cube)
    board.by_rule = by_rule(filters)
    board.participation = participation(filters, people)
    board.top_goods = top_goods(filters)
    board.stock_alerts = stock_alerts(filters.site_ids)
    board.pending = pending(filters.site_ids)
    due = (sum(p["due"] for p in people.values()), sum(p["never"] for p in people.values()))
    board.inactive, board.inactive_total = inactive_households(filters.site_ids, today, upto=upto, due=due)
    board.sites = site_breakdown(filters, cube, people)
    return board


# ------------------------------------------------------------------ ledger figures
def _in_scope(query, filters: Filters, column=LedgerEntry.site_id):
    query = query.where(LedgerEntry.effective_date.between(filters.start, filters.end))
    return query.where(column.in_(filters.site_ids)) if filters.site_ids is not None else query


def ledger_cube(filters: Filters, upto=None) -> list[tuple]:
    """(site_id, 'YYYY-MM', kind, Σ points) in the period: feeds the monthly rows, the per-kind totals
    and the per-site rows. Whole months come from the month totals (docs/decisions.md#month-totals);
    only an edge month holding entries outside the period is read from the entries. Whole months come
    from the folded site totals plus the entries after the fold (docs/decisions.md#folded-report-totals);
    `upto`: the fold's watermark (report_totals.consistent), by default read inside each statement."""
    whole, partial = month_totals.split_period(filters.start, filters.end, filters.site_ids)
    upto = report_totals.watermark() if upto is None else upto
    rows = list(report_totals.site_months(*whole, filters.site_ids, upto)) if whole is not None else []
    month = month_text(LedgerEntry.effective_date)
    for lo, hi in partial:
        rows += db.session.execute(_in_scope(
            select(LedgerEntry.site_id, month, LedgerEntry.kind, func.sum(LedgerEntry.points))
            .group_by(LedgerEntry.site_id, month, LedgerEntry.kind), Filters(lo, hi, filters.site_ids))).all()
    return [(site_id, str(ym), kind, int(total)) for site_id, ym, kind, total in rows]


def kind_totals(filters: Filters, cube: Optional[list] = None) -> dict[str, int]:
    """kind -> Σ signed points in the period (the verify identity's terms)."""
    totals: dict[str, int] = defaultdict(int)
    for _site, _month, kind, total in cube if cube is not None else ledger_cube(filters):
        totals[kind] += total
    return dict(totals)


def monthly(filters: Filters, cube: Optional[list] = None) -> list[MonthRow]:
    months = {m: MonthRow(m) for m in _months(filters.start, filters.end)}
    for _site, ym, kind, total in cube if cube is not None else ledger_cube(filters):
        row = months[ym]
        if kind in ISSUED_KINDS:
            row.issued += total
        elif kind == "rule_deduction":
            row.deducted -= total
        elif kind in ("redemption", "redemption_void"):
            row.redeemed -= total
        elif kind == "expiry":
            row.expired -= total
        elif kind not in ("allowance_hold", "allowance_return"):  # held at a kiosk: still the household's
            row.other += total
    return list(months.values())


def _months(start: date, end: date) -> list[str]:
    found, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def by_category(filters: Filters, cube: Optional[list] = None) -> list[tuple[str, int]]:
    """Earned points (net of deductions) per rule category, plus rounds, awards and activities."""
    totals: dict[str, int] = defaultdict(int)
    rules = db.session.execute(_in_scope(
        select(RuleCategory.name, func.sum(LedgerEntry.points))
        .join(RuleEvent, (LedgerEntry.source_type == "rule_event") & (LedgerEntry.source_id == RuleEvent.id))
        .join(Rule, Rule.id == RuleEvent.rule_id).join(RuleCategory, RuleCategory.id == Rule.category_id)
        .where(LedgerEntry.kind.in_(("rule_award", "rule_deduction"))).group_by(RuleCategory.name), filters)).all()
    for name, total in rules:
        totals[name] += int(total)
    for kind, total in kind_totals(filters, cube).items():
        if kind in KIND_CATEGORY:
            totals[KIND_CATEGORY[kind]] += total
    return sorted(totals.items(), key=lambda item: -item[1])


def by_rule(filters: Filters, limit: int = 15) -> list[dict]:
    """Points per rule item (all versions of a rule together), largest movements first."""
    rows = db.session.execute(_in_scope(
        select(Rule.series, func.max(Rule.name), func.max(RuleCategory.name), func.count(LedgerEntry.id),
               func.sum(LedgerEntry.points))
        .join(RuleEvent, (LedgerEntry.source_type == "rule_event") & (LedgerEntry.source_id == RuleEvent.id))
        .join(Rule, Rule.id == RuleEvent.rule_id).join(RuleCategory, RuleCategory.id == Rule.category_id)
        .where(LedgerEntry.kind.in_(("rule_award", "rule_deduction"))).group_by(Rule.series), filters)).all()
    found = [{"rule": name, "category": category, "count": int(count), "points": int(total)}
             for _series, name, category, count, total in rows]
    found.sort(key=lambda r: (-abs(r["points"]), r["rule"]))
    return found[:limit]


def households_by_site(filters: Filters, upto=None, since: Optional[date] = None) -> dict[int, dict]:
    """site_id -> active households now at the site, how many earned in the period, Σ owned points
    (balance and offline allowances held at kiosks); with `since`, also how many have had no entry
    since then ("due" for a visit) and how many never had one ("never")."""
    # one pass over the households: counts, balances, the earners and those due (hashed IN lists)
    upto = report_totals.watermark() if upto is None else upto
    homes = (select(Household.site_id, func.count(Household.id), func.coalesce(func.sum(Household.balance), 0),
                    *(func.coalesce(func.sum(case((flag, 1), else_=0)), 0) for flag in _flags(filters, upto, since)))
             .where(Household.status == "active").group_by(Household.site_id))
    # points held at kiosks as offline allowances still belong to the household (docs/offline.md)
    held = (select(Household.site_id, func.sum(KioskAllowance.points)).join(Household, Household.id == KioskAllowance.household_id)
            .where(Household.status == "active").group_by(Household.site_id))
    if filters.site_ids is not None:
        homes = homes.where(Household.site_id.in_(filters.site_ids))
        held = held.where(Household.site_id.in_(filters.site_ids))
    found = {site: {"households": n, "balance": int(balance), "earners": int(earners),
                    "due": int(due[0]) if due else 0, "never": int(due[1]) if due else 0}
             for site, n, balance, earners, *due in db.session.execute(homes).all()}
    for site, points in db.session.execute(held).all():
        if site in found:
            found[site]["balance"] += int(points or 0)
    return found


def _flags(filters: Filters, upto, since: Optional[date]) -> list:
    """SQL flags of a household: earned in the period; with `since`: due for a visit, never posted."""
    flags = [_earned(filters, upto)]
    if since is not None:
        flags += [_due(since, upto), Household.ledger_seq == 0]  # no entry at all: due too
    return flags


def _due(since: date, upto):
    """SQL: Household had no entry on or after `since`."""
    return and_(*(~Household.id.in_(ids) for ids in report_totals.recent_ids(since, upto)))


def _earned(filters: Filters, upto=None):
    """SQL: Household.id is of a household with a positive earning entry in the period. An OR of
    IN (…): each list is hashed once, where a DISTINCT of their union was planned as 200 rows."""
    whole, partial = month_totals.split_period(filters.start, filters.end)
    parts = [select(LedgerEntry.household_id).where(
        LedgerEntry.kind.in_(EARNING_KINDS), LedgerEntry.points > 0, LedgerEntry.effective_date.between(lo, hi))
        for lo, hi in partial]
    if whole is not None:
        parts += report_totals.earner_ids(*whole, report_totals.watermark() if upto is None else upto)
    return or_(false(), *(Household.id.in_(part) for part in parts))


def participation(filters: Filters, people: Optional[dict] = None) -> dict:
    """Active households (now at the sites) with any earning in the period."""
    people = households_by_site(filters) if people is None else people
    total = sum(p["households"] for p in people.values())
    active = sum(p["earners"] for p in people.values())
    return {"households": total, "earners": active, "rate": round(100.0 * active / total, 1) if total else 0.0}


# ------------------------------------------------------------------ supermarket and work lists
def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local days start … end as naive UTC [from, to)."""
    zone = local_zone()
    lo = datetime.combine(start, time(0), tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    return lo, hi


def top_goods(filters: Filters, limit: int = TOP) -> list[dict]:
    lo, hi = utc_bounds(filters.start, filters.end)
    query = (select(RedemptionLine.name, func.sum(RedemptionLine.quantity), func.sum(RedemptionLine.points))
             .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
             .where(Redemption.status == "done", Redemption.created_at >= lo, Redemption.created_at < hi)
             .group_by(RedemptionLine.name).order_by(func.sum(RedemptionLine.quantity).desc(), RedemptionLine.name)
             .limit(limit))
    if filters.site_ids is not None:
        query = query.where(Redemption.site_id.in_(filters.site_ids))
    return [{"name": n, "quantity": int(q), "points": int(p)} for n, q, p in db.session.execute(query).all()]


def stock_alerts(site_ids: Optional[set[int]]) -> list[Goods]:
    query = select(Goods).where(Goods.active.is_(True), Goods.stock <= Goods.low_stock)
    if site_ids is not None:
        query = query.where(Goods.site_id.in_(site_ids))
    return list(db.session.execute(query.order_by(Goods.stock, Goods.name)).scalars())


def pending(site_ids: Optional[set[int]]) -> dict:
    """What waits for a cadre: rule items and activity points to approve, notices running."""
    def count(query, column):
        return db.session.execute(query.where(column.in_(site_ids)) if site_ids is not None else query).scalar_one()

    return {
        "rule": count(select(func.count(RuleEvent.id)).where(RuleEvent.status == "pending"), RuleEvent.site_id),
        "activity": count(select(func.count(ActivitySignIn.id)).join(Activity)
                          .where(ActivitySignIn.status == "pending"), Activity.site_id),
        "rounds_on_notice": count(select(func.count(EvaluationRound.id))
                                  .where(EvaluationRound.status == "notice"), EvaluationRound.site_id),
        "honors_on_notice": count(select(func.count(HonorList.id)).where(HonorList.status == "notice"),
                                  HonorList.site_id),
    }


def inactive_households(site_ids: Optional[set[int]], today: Optional[date] = None,
                        months: int = INACTIVE_MONTHS, limit: int = 200, upto=None,
                        due: Optional[tuple[int, int]] = None) -> tuple[list[dict], int]:
    """Active households with no ledger entry in the last `months` months (to visit), and how many;
    `due`: (how many, how many never had an entry) when households_by_site counted them already."""
    today = today or local_today()
    cutoff = _months_before(today, months)
    upto = report_totals.watermark() if upto is None else upto
    scope = [Household.status == "active"] + ([Household.site_id.in_(site_ids)] if site_ids is not None else [])
    if due is None:
        due = db.session.execute(select(func.count(Household.id), func.coalesce(func.sum(case(
            (Household.ledger_seq == 0, 1), else_=0)), 0)).where(*scope, _due(cutoff, upto))).one()
    total, never = due
    # households with no entry at all first (ledger_seq 0), then the longest without one
    shown = list(db.session.execute(select(Household.id).where(*scope, Household.ledger_seq == 0)
                                    .order_by(Household.id).limit(limit)).scalars()) if never else []
    last_of = dict(report_totals.oldest_last(cutoff, upto, limit - len(shown), site_ids)) if len(shown) < limit else {}
    shown += list(last_of)
    rows = {h.id: (h, site) for h, site in db.session.execute(
        select(Household, Site.name).join(Site, Site.id == Household.site_id).where(Household.id.in_(shown or [-1])))}
    return [{"id": h.id, "name": h.head_name, "site": site, "building": h.building or "", "door_no": h.door_no or "",
             "phone": h.phone or "", "last": last_of.get(h.id)}
            for h, site in (rows[i] for i in shown)], total


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def site_breakdown(filters: Filters, cube: Optional[list] = None, people: Optional[dict] = None) -> list[dict]:
    """One row per site in scope: households, participation, issued, redeemed in the period, and
    the points its households hold now. When the scope spans more than one county (a province), one
    row per county instead, with its `county_id` to open its sites."""
    sites = select(Site.id, Site.name, Site.area_id).order_by(Site.code)
    if filters.site_ids is not None:
        sites = sites.where(Site.id.in_(filters.site_ids))
    kinds: dict = defaultdict(lambda: defaultdict(int))
    for site_id, _month, kind, total in cube if cube is not None else ledger_cube(filters):
        kinds[site_id][kind] += total
    people = households_by_site(filters) if people is None else people
    site_rows = db.session.execute(sites).all()
    county_of = county_of_areas() if site_rows else {}
    groups: dict = {}
    for site_id, name, area_id in site_rows:
        groups.setdefault(county_of.get(area_id), []).append((site_id, name))
    if len(groups) > 1:
        names = dict(db.session.execute(select(Area.id, Area.name).where(Area.id.in_([c for c in groups if c]))).all())
        return sorted((_row(names.get(county, "未归属县"), [site_id for site_id, _ in members], kinds, people,
                            county_id=county) for county, members in groups.items()), key=lambda r: r["site"])
    return [_row(name, [site_id], kinds, people) for site_id, name, _area in site_rows]


def _row(label: str, site_ids: list[int], kinds: dict, people: dict, county_id: Optional[int] = None) -> dict:
    households = sum(people.get(s, {}).get("households", 0) for s in site_ids)
    earners = sum(people.get(s, {}).get("earners", 0) for s in site_ids)

    def kind(*names):
        return sum(kinds[s].get(n, 0) for s in site_ids for n in names)

    return {"site": label, "county_id": county_id, "households": households, "earners": earners,
            "rate": round(100.0 * earners / households, 1) if households else 0.0,
            "issued": kind(*ISSUED_KINDS), "redeemed": -kind("redemption", "redemption_void"),
            "outstanding": sum(people.get(s, {}).get("balance", 0) for s in site_ids)}
