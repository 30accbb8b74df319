"""Per-site checks added to `flask ledger verify` and the 账本校验 page (kept apart from services/ledger/verify.py):

1. points: issued = redeemed + expired/forfeited + outstanding (Σ household balances at the site, plus the
   points held at kiosks as offline allowances, which still belong to the households);
2. goods: each goods' cached stock = Σ its movements (stock = in − out), every valued stock-in matches its
   slip, and the stock value at cost (valued in − out at average cost) is never negative;
3. the fund chain: seq without gaps, prev_hash links, HMAC hash, chain head, cash never below zero.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from extensions import db
from models import Goods, Household, LedgerEntry, StockMovement
from models.fund import FundEntry, FundHead
from services.integrity.fund import canonical
from services.ledger import entry_hash, ledger_key
from services.supermarket import allowances
from services.supermarket.allowances import ALLOWANCE_KINDS

#: ledger kinds that take points out of circulation, by what the identity calls them
REDEEMED = ("redemption", "redemption_void")
EXPIRED = ("expiry", "forfeit")


@dataclass
class FundProblem:
    site_id: int | None
    kind: str
    detail: str
    entry_id: int | None = None

    def __str__(self) -> str:
        where = f"site {self.site_id}" if self.site_id else "county"
        if self.entry_id:
            where += f", fund entry {self.entry_id}"
        return f"[{self.kind}] {where}: {self.detail}"


@dataclass
class FundReport:
    problems: list[FundProblem] = field(default_factory=list)
    #: site_id -> {"issued", "redeemed", "expired", "outstanding", "stock_value_fen", "cash_fen", "fund_entries"}
    sites: dict = field(default_factory=lambda: defaultdict(dict))

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, *args, **kwargs) -> None:
        self.problems.append(FundProblem(*args, **kwargs))

    def text(self) -> str:
        lines = []
        for site_id in sorted(self.sites):
            s = self.sites[site_id]
            lines.append(f"site {site_id}: issued {s.get('issued', 0)} = redeemed {s.get('redeemed', 0)} + "
                         f"expired/forfeited {s.get('expired', 0)} + outstanding {s.get('outstanding', 0)}; "
                         f"stock at cost {s.get('stock_value_fen', 0)} fen; fund cash {s.get('cash_fen', 0)} fen "
                         f"({s.get('fund_entries', 0)} fund entries)")
        lines.append("OK: points, stock and fund reconcile per site" if self.ok
                     else f"FUND/STOCK FAILED: {len(self.problems)} problem(s)")
        lines.extend(f"  {p}" for p in self.problems[:500])
        return "\n".join(lines)


def fund_verify() -> FundReport:
    report = FundReport()
    _check_points(report)
    _check_stock(report)
    _check_chain(report)
    return report


def _check_points(report: FundReport) -> None:
    sums = defaultdict(lambda: defaultdict(int))
    for site_id, kind, points in db.session.execute(
            select(LedgerEntry.site_id, LedgerEntry.kind, func.sum(LedgerEntry.points))
            .group_by(LedgerEntry.site_id, LedgerEntry.kind)):
        sums[site_id][kind] = int(points or 0)
    balances = dict(db.session.execute(select(Household.site_id, func.sum(Household.balance))
                                       .group_by(Household.site_id)).all())
    held_out = allowances.held_out_by_site()
    for site_id in set(sums) | set(balances) | set(held_out):
        kinds = sums[site_id]
        redeemed = -sum(kinds.get(k, 0) for k in REDEEMED)
        expired = -sum(kinds.get(k, 0) for k in EXPIRED)
        issued = sum(v for k, v in kinds.items() if k not in REDEEMED + EXPIRED + ALLOWANCE_KINDS)
        # held at kiosks: still owed (docs/offline.md); Σ allowance entries = −Σ allowances ties it
        outstanding = int(balances.get(site_id) or 0) + held_out.get(site_id, 0)
        report.sites[site_id].update(issued=issued, redeemed=redeemed, expired=expired, outstanding=outstanding)
        if issued != redeemed + expired + outstanding:
            report.add(site_id, "points", f"issued {issued} ≠ redeemed {redeemed} + expired/forfeited {expired} + "
                                          f"outstanding {outstanding}")


def _check_stock(report: FundReport) -> None:
    moved = dict(db.session.execute(select(StockMovement.goods_id, func.sum(StockMovement.quantity))
                                    .group_by(StockMovement.goods_id)).all())
    valued = defaultdict(lambda: [0, 0])  # goods_id -> [Σ value fen, Σ quantity]
    slips = {m.id: m for m in db.session.execute(
        select(StockMovement).where(StockMovement.id.in_(
            select(FundEntry.stock_movement_id).where(FundEntry.stock_movement_id.is_not(None))))).scalars()}
    for entry in db.session.execute(select(FundEntry).where(FundEntry.goods_id.is_not(None))).scalars():
        valued[entry.goods_id][0] += entry.goods_fen
        valued[entry.goods_id][1] += entry.quantity or 0
        if entry.kind == "reversal":
            continue
        slip = slips.get(entry.stock_movement_id)
        if slip is None or slip.kind != "in" or slip.goods_id != entry.goods_id or slip.site_id != entry.site_id:
            report.add(entry.site_id, "stock slip", "valued goods do not match a stock-in slip", entry.id)
        elif slip.quantity != entry.quantity or entry.goods_fen != entry.quantity * entry.unit_cost_fen:
            report.add(entry.site_id, "stock value", f"slip {slip.id}: {slip.quantity} units, fund says "
                                                     f"{entry.quantity} × {entry.unit_cost_fen} = {entry.goods_fen}",
                       entry.id)
        elif entry.kind == "purchase" and entry.cash_fen != -entry.goods_fen:
            report.add(entry.site_id, "purchase", "cash paid differs from the goods value", entry.id)
    for goods_id, site_id, stock in db.session.execute(select(Goods.id, Goods.site_id, Goods.stock)):
        total = int(moved.get(goods_id) or 0)
        if stock != total:
            report.add(site_id, "stock", f"goods {goods_id}: cached stock {stock} ≠ in − out {total}")
        value, qty = valued.get(goods_id, (0, 0))
        if value < 0 or qty < 0:
            report.add(site_id, "stock value", f"goods {goods_id}: valued in {value} fen for {qty} units")
            continue
        out_at_cost = (qty - min(qty, stock)) * value // qty if qty else 0
        on_hand = value - out_at_cost
        report.sites[site_id]["stock_value_fen"] = report.sites[site_id].get("stock_value_fen", 0) + on_hand


def _check_chain(report: FundReport) -> None:
    key = ledger_key()
    heads = {h.site_id: h for h in db.session.execute(select(FundHead)).scalars()}
    state: dict[int, list] = {}  # site -> [expected seq, last hash, cash, entries]
    for entry in db.session.execute(select(FundEntry).order_by(FundEntry.site_id, FundEntry.seq)).scalars():
        s = state.setdefault(entry.site_id, [1, "", 0, 0])
        if entry.seq != s[0]:
            report.add(entry.site_id, "fund gap" if entry.seq > s[0] else "fund duplicate seq",
                       f"seq {entry.seq}, expected {s[0]}", entry.id)
        if entry.prev_hash != s[1]:
            report.add(entry.site_id, "fund broken link", "prev_hash is not the previous entry's hash", entry.id)
        if entry_hash(canonical(entry), key) != entry.hash:
            report.add(entry.site_id, "fund bad hash", "the entry's content does not match its hash", entry.id)
        s[2] += entry.cash_fen
        if s[2] < 0:
            report.add(entry.site_id, "fund negative cash", f"cash {s[2]} fen after this entry", entry.id)
        s[0], s[1], s[3] = entry.seq + 1, entry.hash, s[3] + 1
    for site_id in set(state) | set(heads):
        s = state.get(site_id, [1, "", 0, 0])
        head = heads.get(site_id)
        if head is None or head.seq != s[0] - 1 or head.hash != s[1]:
            report.add(site_id, "fund head", f"head says seq {head.seq if head else None}, last entry {s[0] - 1}")
        report.sites[site_id].update(cash_fen=s[2], fund_entries=s[3])
