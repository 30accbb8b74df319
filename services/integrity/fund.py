"""The points fund (积分基金 / 资金台账): per site, an append-only, hash-chained ledger in integer fen.

Points are a promise; the fund is what backs it: cash received (帮扶单位, 村集体经济, 财政资金 …), goods
bought (linked to their stock-in slip with a unit cost) and donated goods valued at stock-in. The
chain uses the points ledger's HMAC and canonical JSON (services.ledger.entry_hash / ledger_key)."""
from dataclasses import dataclass
from datetime import date
from typing import Optional

from flask import current_app
from sqlalchemy import func, select, text

from extensions import db
from models import Goods, Household, LedgerMonthTotal, Site, StockMovement
from models.clock import local_today, utcnow
from models.fund import FUND_SOURCES, FundEntry, FundHead, PointsAdjustment
from services import fields, ledger
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.integrity.recusal import ensure_not_recused
from services.ledger import month_totals
from services.staff import audit
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services.supermarket import allowances
from services.supermarket.allowances import ALLOWANCE_KINDS

MAX_FEN = 10**12
_BUMP_SQL = text("UPDATE fund_head SET seq = seq + 1 WHERE site_id = :s RETURNING seq, hash")
_SET_SQL = text("UPDATE fund_head SET hash = :h WHERE site_id = :s")


class FundRefused(DomainError):
    code = "fund_refused"
    status = 409
    message = "资金台账拒绝了这次操作"


def fen_per_point() -> int:
    """1 point = this many fen (configurable, default 100 = 1 yuan)."""
    return int(current_app.config.get("POINT_VALUE_FEN", 100))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def parse_yuan(value, label: str = "金额") -> int:
    """'1234.5' -> 123450 fen; refuses more than 2 decimals, zero and negatives."""
    raw = str(value or "").strip().replace(",", "").replace("¥", "").replace("元", "")
    whole, _, part = raw.partition(".")
    if not raw or not whole.isdigit() and whole != "" or (part and (not part.isdigit() or len(part) > 2)):
        raise ValidationFailed(f"{label}应为数字,最多两位小数,例如 1200.50")
    fen = int(whole or 0) * 100 + int((part + "00")[:2] or 0)
    if not 0 < fen <= MAX_FEN:
        raise ValidationFailed(f"{label}必须大于 0")
    return fen


# ------------------------------------------------------------------ the chain

def canonical(entry) -> dict:
    """The fields the hash covers; `entry` is a FundEntry or a row with the same names."""
    created = entry.created_at
    return {
        "site_id": entry.site_id, "seq": entry.seq, "kind": entry.kind, "cash_fen": int(entry.cash_fen),
        "goods_fen": int(entry.goods_fen), "source": entry.source, "source_name": entry.source_name,
        "reference": entry.reference, "stock_movement_id": entry.stock_movement_id, "goods_id": entry.goods_id,
        "quantity": entry.quantity, "unit_cost_fen": None if entry.unit_cost_fen is None else int(entry.unit_cost_fen),
        "reverses_id": entry.reverses_id, "entry_date": entry.entry_date.isoformat(), "actor_id": entry.actor_id,
        "note": entry.note, "created_at": created.isoformat(timespec="microseconds") + "Z",
        "prev_hash": entry.prev_hash,
    }


def _append(site_id: int, actor, **columns) -> FundEntry:
    if db.session.get(Site, site_id) is None:
        raise NotFound("没有这个安置点")
    row = db.session.execute(_BUMP_SQL, {"s": site_id}).one_or_none()
    if row is None:
        db.session.add(FundHead(site_id=site_id, seq=0, hash=""))
        db.session.flush()
        row = db.session.execute(_BUMP_SQL, {"s": site_id}).one()
    entry = FundEntry(site_id=site_id, seq=row.seq, prev_hash=row.hash, actor_id=getattr(actor, "id", actor),
                      created_at=utcnow(), entry_date=columns.pop("entry_date", None) or local_today(), **columns)
    entry.hash = ledger.entry_hash(canonical(entry), ledger.ledger_key())
    db.session.add(entry)
    db.session.execute(_SET_SQL, {"h": entry.hash, "s": site_id})
    db.session.flush()
    audit.record(actor, f"fund.{entry.kind}", "fund_entry", entry.id, site_id=site_id,
                 after={"cash_fen": entry.cash_fen, "goods_fen": entry.goods_fen, "reference": entry.reference})
    return entry






def receive_money(actor, site_id: int, amount, source: str, source_name: str, reference: str,
                  entry_date=None, note: str = "") -> FundEntry:
    """资金到账: 帮扶单位 donation, 村集体经济, 财政资金 … with the payer and the voucher number."""
    require_site(actor, site_id)
    fen = amount if isinstance(amount, int) and not isinstance(amount, bool) else parse_yuan(amount)
    if not 0 < fen <= MAX_FEN:
        raise ValidationFailed("金额必须大于 0")
    if source not in FUND_SOURCES:
        raise ValidationFailed("请选择资金来源")
    return _append(site_id, actor, kind="cash_in", cash_fen=fen, goods_fen=0, source=source,
                   source_name=fields.text(source_name, "付款单位", 100, required=True),
                   reference=fields.text(reference, "凭证号", 100, required=True), entry_date=fields.past_date(entry_date),
                   note=fields.text(note, "备注", 500, required=False))


def value_stock_in(actor, movement_id: int, unit_cost, reference: str = "", note: str = "") -> FundEntry:
    """Link a stock-in slip to the fund: a purchase pays cash for goods; donated goods are valued only."""
    move = db.session.get(StockMovement, movement_id)
    if move is None or move.kind != "in":
        raise ValidationFailed("请选择一张入库单")
    require_site(actor, move.site_id)
    taken = db.session.execute(select(FundEntry.id).where(FundEntry.stock_movement_id == move.id)).first()
    if taken:
        raise FundRefused("这张入库单已经入过资金台账")
    cost = unit_cost if isinstance(unit_cost, int) and not isinstance(unit_cost, bool) else parse_yuan(unit_cost, "单价")
    if not 0 < cost <= MAX_FEN:
        raise ValidationFailed("单价必须大于 0")
    value = cost * move.quantity
    purchase = move.source == "purchase"
    if purchase and cash_balance(move.site_id) < value:
        raise FundRefused(f"基金现金不足:采购需 {yuan(value)} 元,现有 {yuan(cash_balance(move.site_id))} 元")
    return _append(move.site_id, actor, kind="purchase" if purchase else "donated_goods",
                   cash_fen=-value if purchase else 0, goods_fen=value, source=move.source,
                   source_name=move.source_name, reference=fields.text(reference, "凭证号", 100, required=False),
                   stock_movement_id=move.id, goods_id=move.goods_id, quantity=move.quantity, unit_cost_fen=cost,
                   entry_date=move.movement_date, note=fields.text(note, "备注", 500, required=False))


def reverse(actor, entry_id: int, reason: str) -> FundEntry:
    """冲正: the opposite amounts, once; the original stays."""
    original = db.session.get(FundEntry, entry_id)
    if original is None:
        raise NotFound("没有这条台账记录")
    require_site(actor, original.site_id)
    reason = fields.text(reason, "冲正原因", 500, required=True)
    if original.kind == "reversal":
        raise FundRefused("冲正记录不能再冲正")
    if db.session.execute(select(FundEntry.id).where(FundEntry.reverses_id == original.id)).first():
        raise FundRefused("这条记录已经冲正过了")
    if original.cash_fen > 0 and cash_balance(original.site_id) < original.cash_fen:
        raise FundRefused("这笔资金已经用于采购,不能冲正到负数")
    return _append(original.site_id, actor, kind="reversal", cash_fen=-original.cash_fen,
                   goods_fen=-original.goods_fen, source=original.source, source_name=original.source_name,
                   reference=original.reference, goods_id=original.goods_id,
                   quantity=-original.quantity if original.quantity else None, unit_cost_fen=original.unit_cost_fen,
                   reverses_id=original.id, note=reason)


def entries(site_id: int, year: Optional[int] = None) -> list[FundEntry]:
    query = select(FundEntry).where(FundEntry.site_id == site_id)
    if year:
        query = query.where(FundEntry.entry_date >= date(year, 1, 1), FundEntry.entry_date < date(year + 1, 1, 1))
    return list(db.session.execute(query.order_by(FundEntry.seq)).scalars())


def cash_balance(site_id: int) -> int:
    return int(db.session.execute(select(func.coalesce(func.sum(FundEntry.cash_fen), 0))
                                  .where(FundEntry.site_id == site_id)).scalar())


def unvalued_stock_ins(site_id: int, limit: int = 200) -> list[StockMovement]:
    valued = select(FundEntry.stock_movement_id).where(FundEntry.stock_movement_id.is_not(None))
    return list(db.session.execute(
        select(StockMovement).where(StockMovement.site_id == site_id, StockMovement.kind == "in",
                                    StockMovement.id.not_in(valued))
        .order_by(StockMovement.id.desc()).limit(limit)).scalars())


# ------------------------------------------------------------------ stock at cost

def unit_costs(site_id=None) -> dict[int, tuple[int, int]]:
    """goods id -> (Σ value fen, Σ quantity) over valued stock-ins (net of reversals); `site_id`: one
    site's id, a list of them, or None for every site."""
    query = select(FundEntry.goods_id, func.sum(FundEntry.goods_fen), func.sum(FundEntry.quantity)) \
        .where(FundEntry.goods_id.is_not(None)).group_by(FundEntry.goods_id)
    if isinstance(site_id, int):
        query = query.where(FundEntry.site_id == site_id)
    elif site_id is not None:
        query = query.where(FundEntry.site_id.in_(site_id))
    return {gid: (int(value or 0), int(qty or 0)) for gid, value, qty in db.session.execute(query)}


def stock_value(site_id: int) -> dict:
    """Stock on hand at average cost: in − out at cost, per goods; unvalued units counted apart."""
    return stock_values([site_id]).get(site_id, {"value_fen": 0, "unvalued_units": 0})


def stock_values(site_ids) -> dict[int, dict]:
    """stock_value of each site in `site_ids` (None = every site), in two queries."""
    query = select(Goods.id, Goods.site_id, Goods.stock)
    if site_ids is not None:
        site_ids = list(site_ids)
        query = query.where(Goods.site_id.in_(site_ids))
    costs = unit_costs(site_ids)
    found: dict[int, dict] = {}
    for goods_id, site_id, stock in db.session.execute(query):
        row = found.setdefault(site_id, {"value_fen": 0, "unvalued_units": 0})
        total, qty = costs.get(goods_id, (0, 0))
        if qty > 0:
            row["value_fen"] += stock_at_cost(stock, total, qty)
        else:
            row["unvalued_units"] += stock
    return found


def stock_at_cost(stock: int, total_fen: int, valued_qty: int) -> int:
    """Units on hand × average unit cost, rounded half up to the fen."""
    return (stock * total_fen * 2 + valued_qty) // (2 * valued_qty)


# ------------------------------------------------------------------ dashboard

@dataclass
class SiteFund:
    site: Site
    outstanding_points: int
    outstanding_fen: int
    stock_fen: int
    unvalued_units: int
    cash_fen: int
    coverage: Optional[float]
    issued_3m: int
    redeemed_3m: int
    forecast: list

    @property
    def warning(self) -> bool:
        return self.coverage is not None and self.coverage < 1


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def site_fund(site: Site, today: Optional[date] = None, sums: Optional[dict] = None) -> SiteFund:
    """The site's fund figures; `sums`: site_sums() of the sites being shown (else read for this one)."""
    today = today or local_today()
    per = fen_per_point()
    figures = (sums if sums is not None else site_sums([site.id], today)).get(site.id, {})
    outstanding, cash = figures.get("outstanding", 0), figures.get("cash", 0)
    stock = figures.get("stock", {"value_fen": 0, "unvalued_units": 0})
    flows = figures.get("flows", {})
    issued = sum(int(v) for k, v in flows.items() if k not in ("redemption", "redemption_void", "expiry", "forfeit",
                                                               "transfer_in", "transfer_out", *ALLOWANCE_KINDS))
    redeemed = -int(flows.get("redemption", 0) or 0) - int(flows.get("redemption_void", 0) or 0)
    coverage = None if outstanding <= 0 else (stock["value_fen"] + cash) / (outstanding * per)
    forecast, points = [], outstanding
    for month in range(1, 4):
        points = max(0, points + round(issued / 3) - round(redeemed / 3))
        forecast.append({"month": _months_back(today, -month), "outstanding_points": points,
                         "outstanding_fen": points * per,
                         "coverage": None if points <= 0 else (stock["value_fen"] + cash) / (points * per)})
    return SiteFund(site, outstanding, outstanding * per, stock["value_fen"], stock["unvalued_units"], cash,
                    coverage, issued, redeemed, forecast)


def site_sums(site_ids, today: date) -> dict[int, dict]:
    """site id -> outstanding points, cash fen, stock at cost and the last 3 months' points per kind,
    for every site in `site_ids` at once (a county has a hundred sites: not six queries each). The
    flows come from the ledger's month totals (docs/decisions.md#month-totals): the 3 months start
    on the 1st, so whole months are exact."""
    ids = list(site_ids)
    found: dict[int, dict] = {site_id: {"flows": {}} for site_id in ids}
    for site_id, total in db.session.execute(select(Household.site_id, func.coalesce(func.sum(Household.balance), 0))
                                             .where(Household.site_id.in_(ids)).group_by(Household.site_id)):
        found[site_id]["outstanding"] = int(total)
    # points held at kiosks as offline allowances are still owed to the households (docs/offline.md)
    for site_id, held in allowances.held_out_by_site().items():
        if site_id in found:
            found[site_id]["outstanding"] = found[site_id].get("outstanding", 0) + held
    for site_id, total in db.session.execute(select(FundEntry.site_id, func.coalesce(func.sum(FundEntry.cash_fen), 0))
                                             .where(FundEntry.site_id.in_(ids)).group_by(FundEntry.site_id)):
        found[site_id]["cash"] = int(total)
    for site_id, stock in stock_values(ids).items():
        found[site_id]["stock"] = stock
    since = month_totals.month_of(_months_back(today, 3))
    for site_id, kind, total in db.session.execute(
            select(LedgerMonthTotal.site_id, LedgerMonthTotal.kind, func.sum(LedgerMonthTotal.points))
            .where(LedgerMonthTotal.month >= since, LedgerMonthTotal.site_id.in_(ids))
            .group_by(LedgerMonthTotal.site_id, LedgerMonthTotal.kind)):
        found[site_id]["flows"][kind] = int(total)
    return found


def dashboard(user, today: Optional[date] = None, sites: Optional[list[Site]] = None) -> dict:
    """Per site and county totals for the sites the user may see (or `sites`, some of them)."""
    today = today or local_today()
    sites = sorted(sites_in_scope(user) if sites is None else sites, key=lambda site: site.id)
    sums = site_sums([site.id for site in sites], today)
    rows = [site_fund(site, today, sums) for site in sites]
    out = sum(r.outstanding_fen for r in rows)
    stock = sum(r.stock_fen for r in rows)
    cash = sum(r.cash_fen for r in rows)
    county = {"outstanding_points": sum(r.outstanding_points for r in rows), "outstanding_fen": out,
              "stock_fen": stock, "cash_fen": cash, "coverage": None if out <= 0 else (stock + cash) / out,
              "forecast": [{"month": rows[0].forecast[i]["month"],
                            "outstanding_fen": sum(r.forecast[i]["outstanding_fen"] for r in rows)}
                           for i in range(3)] if rows else []}
    county["warning"] = county["coverage"] is not None and county["coverage"] < 1
    return {"sites": rows, "county": county, "fen_per_point": fen_per_point()}


# ------------------------------------------------------------------ points adjustments (maker-checker)

def request_adjustment(actor, household_id: int, points, reason: str) -> PointsAdjustment:
    """调整积分: an admin proposes, a second admin or cadre confirms; nothing posts until then."""
    if not actor.has_role("admin"):
        raise Forbidden("只有系统管理员可以申请调整积分")
    home = db.session.get(Household, household_id)
    if home is None:
        raise NotFound("没有这一户")
    require_site(actor, home.site_id)
    ensure_not_recused(actor, home.id, "adjustment")
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise ValidationFailed("调整分数应为整数,可以为负") from None
    if points == 0 or abs(points) > 10000:
        raise ValidationFailed("调整分数应在 -10000 到 10000 之间且不为 0")
    reason = fields.text(reason, "调整原因", 500, required=True)
    row = PointsAdjustment(household_id=home.id, site_id=home.site_id, points=points, reason=reason,
                           requested_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "adjustment.request", "points_adjustment", row.id, site_id=home.site_id,
                 after={"household_id": home.id, "points": points, "reason": reason})
    return row


def decide_adjustment(actor, adjustment_id: int, confirm: bool, note: str = "") -> PointsAdjustment:
    row = db.session.get(PointsAdjustment, adjustment_id)
    if row is None:
        raise NotFound("没有这条调整申请")
    if not actor.has_role("admin", "cadre"):
        raise Forbidden("只有系统管理员或干部可以复核调整")
    require_site(actor, row.site_id)
    if row.requested_by_id == actor.id:
        raise Forbidden("不能复核自己提出的调整,请由另一位工作人员确认")
    ensure_not_recused(actor, row.household_id, "adjustment")
    if row.status != "pending":
        raise FundRefused("这条调整已经处理过了")
    claimed = db.session.execute(
        text("UPDATE points_adjustment SET status = :s, decided_by_id = :u, decided_at = :t "
             "WHERE id = :i AND status = 'pending'"),
        {"s": "confirmed" if confirm else "rejected", "u": actor.id, "t": utcnow(), "i": row.id}).rowcount
    if claimed != 1:
        raise FundRefused("这条调整已经处理过了")
    db.session.refresh(row)
    if confirm:
        entry = ledger.post(row.household_id, row.points, "adjustment", ledger.Source("points_adjustment", row.id),
                            actor, row.reason, f"adjust:{row.id}")
        row.ledger_entry_id = entry.id
    audit.record(actor, f"adjustment.{'confirm' if confirm else 'reject'}", "points_adjustment", row.id,
                 site_id=row.site_id, after={"note": note})
    db.session.flush()
    return row


def pending_adjustments(user) -> list[PointsAdjustment]:
    allowed = allowed_site_ids(user)
    query = select(PointsAdjustment).where(PointsAdjustment.status == "pending")
    if allowed is not None:
        query = query.where(PointsAdjustment.site_id.in_(allowed or {-1}))
    return list(db.session.execute(query.order_by(PointsAdjustment.id)).scalars())


def demo_fund(rng, sites, admin) -> None:
    """Demo data: money received per site and every stock-in valued (purchases paid from the fund)."""
    units = {"aid_unit": "县农业农村局帮扶工作队", "collective": "村股份经济合作社", "fiscal": "县财政局"}
    for n, site in enumerate(sites):
        for source, name in units.items():
            receive_money(admin, site.id, rng.randint(3000, 12000) * 100, source, name, f"凭证 {n + 1}-{source}")
        for move in reversed(unvalued_stock_ins(site.id)):
            try:
                value_stock_in(admin, move.id, rng.randint(5, 80) * 100)
            except FundRefused:
                continue
