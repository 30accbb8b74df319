"""Verify runs started from the 账本校验 page: a full verify never runs inside a request; a job runs it
(admin/ledger/verify.py starts it in the background) and its report is stored for the page to show."""
import json
import re
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import Household, LedgerVerifyRun, Site
from models.clock import utcnow
from services.errors import DomainError

#: a run still "running" after this long died with its process; a new one may start
STALE_AFTER = timedelta(hours=2)

#: verify's problem kinds (services/ledger/verify.py, services/integrity/fund_verify.py) in Chinese
PROBLEM_LABELS = {
    "gap": "记录缺号", "duplicate seq": "记录重号", "fork": "记录分叉", "broken link": "链条断开",
    "bad hash": "记录内容被改(哈希不符)", "balance_after": "记录余额不符", "negative": "余额为负",
    "balance drift": "户余额与明细不符", "seq head": "账本头序号不符", "hash head": "账本头哈希不符",
    "head signature": "账本头签名不符", "orphan": "无主记录", "transfers": "转入转出不平",
    "sealed household missing": "封存过的户不见了", "rolled back": "账本被回退(比封存时少)",
    "sealed entry changed": "封存过的记录被改", "missing entry": "来源单据的账目不见了",
    "seal refused": "封存文件无效",
    "allowance drift": "离线额度与账目不符", "allowance moves": "终端离线额度与移动记录不符",
    "allowance source": "离线额度账目没有对应的移动记录", "allowance entry missing": "离线额度移动记录没有账目",
    "points": "积分发放与兑换不平", "purchase": "采购记录不符", "stock": "库存与出入库不符",
    "stock slip": "入库单不符", "stock value": "库存金额为负", "fund gap": "资金台账缺号",
    "fund broken link": "资金台账链条断开", "fund bad hash": "资金台账记录被改", "fund head": "资金台账头不符",
    "fund negative cash": "资金为负",
}


#: verify's English details (services/ledger/verify.py) as the page says them: pattern -> Chinese template
_DETAILS = [(re.compile(pattern), template) for pattern, template in (
    (r"^entry of an unknown household$", "这条记录所属的户不存在"),
    (r"^sealed at seq (\d+), the household row is gone$", r"封存时有第 \1 条记录,现在这一户整户不见了"),
    (r"^seq (\d+), expected (\d+)$", r"序号 \1,应为 \2"),
    (r"^prev_hash points at an earlier entry, not the last one$", "上一条哈希指向更早的记录,而不是最后一条"),
    (r"^prev_hash matches no entry of this household$", "上一条哈希对不上这一户的任何记录"),
    (r"^the entry's content does not match its hash$", "记录内容与其哈希不符"),
    (r"^says (-?\d+), running sum (-?\d+)$", r"记录写 \1,逐条累计为 \2"),
    (r"^running balance (-?\d+)$", r"累计余额 \1"),
    (r"^seq (\d+) differs from the sealed entry$", r"第 \1 条与封存时不同"),
    (r"^the head \(seq (\d+)\) is not signed with the ledger key$", r"账本头(第 \1 条)不是用账本密钥签名的"),
    (r"^sealed at seq (\d+), the ledger now ends at seq (\d+)$", r"封存时到第 \1 条,现在只到第 \2 条"),
    (r"^cached (-?\d+), Σ entries (-?\d+)$", r"户余额 \1,明细合计 \2"),
    (r"^household says (\d+), last entry (\d+)$", r"户上记第 \1 条,最后一条是第 \2 条"),
    (r"^household's last hash differs from its last entry$", "户上记的末条哈希与最后一条记录不同"),
    (r"^kiosks hold (-?\d+), allowance entries say (-?\d+)$", r"终端暂存 \1 分,离线额度账目合计 \2 分"),
    (r"^kiosk (\d+) holds (-?\d+), its moves say (-?\d+)$", r"终端 \1 为本户暂存 \2 分,额度移动记录合计 \3 分"),
    (r"^the entry's source is not an allowance move of this household and points$",
     "这条离线额度账目的来源不是本户、同分数的额度移动记录"),
    (r"^allowance move (\d+) has no ledger entry$", r"离线额度移动记录 \1 没有对应的账目"),
    (r"^(\w+) (\d+) names entry (\d+), which is gone$",
     lambda m: f"{SOURCE_LABELS.get(m[1], m[1])} {m[2]} 记着账目 {m[3]},这条账目已不存在"),
)]
#: the tables whose rows name a ledger entry (services/ledger/verify.py source_columns)
SOURCE_LABELS = {"rule_event": "细则记录", "redemption": "兑换单", "round_line": "评议得分", "round_nomination": "评比提名",
                 "activity_signin": "活动签到", "points_adjustment": "积分调整"}


def chinese_detail(detail: str) -> str:
    """A verify detail in Chinese for the page (the CLI prints the English one)."""
    for pattern, template in _DETAILS:
        if pattern.match(detail):
            return pattern.sub(template, detail)
    return detail


class VerifyRunning(DomainError):
    code = "verify_running"
    status = 409
    message = "账本校验正在进行,请稍后刷新查看结果"


def latest_run() -> LedgerVerifyRun | None:
    return db.session.execute(
        select(LedgerVerifyRun).order_by(LedgerVerifyRun.id.desc()).limit(1)).scalar_one_or_none()


def start_run(user) -> LedgerVerifyRun:
    """A new run, state "running" (flushed); refused while another is running."""
    last = latest_run()
    if last is not None and last.state == "running" and utcnow() - last.started_at < STALE_AFTER:
        raise VerifyRunning()
    run = LedgerVerifyRun(requested_by=getattr(user, "id", None), state="running")
    db.session.add(run)
    db.session.flush()
    return run


def report_document(report, fund, seal_error: str | None = None) -> dict:
    """What the page shows, as stored: counts, problems (at most 500), per-site sums, fund checks, seal."""
    problems = [{"kind": p.kind, "household_id": p.household_id, "site_id": None, "entry_id": p.entry_id,
                 "detail": chinese_detail(p.detail)} for p in report.problems]
    problems += [{"kind": p.kind, "household_id": None, "site_id": p.site_id, "entry_id": p.entry_id,
                  "detail": p.detail} for p in fund.problems]
    if seal_error:
        problems.insert(0, {"kind": "seal refused", "household_id": None, "site_id": None, "entry_id": None,
                            "detail": seal_error})
    return {
        "households": report.households, "entries": report.entries, "ledger_ok": report.ok, "fund_ok": fund.ok,
        "problem_count": len(problems), "problems": problems[:500],
        "by_site": {str(site): dict(kinds) for site, kinds in report.by_site.items()},
        "fund_sites": {str(site): dict(values) for site, values in fund.sites.items()},
        "seal": report.seal,
    }


def finish_run(run_id: int, document: dict | None, error: str | None = None) -> None:
    run = db.session.get(LedgerVerifyRun, run_id)
    run.finished_at = utcnow()
    run.state = "failed" if document is None else "done"
    run.ok = None if document is None else (not document["problems"])
    run.report = json.dumps(document if document is not None else {"error": error}, ensure_ascii=False)
    db.session.flush()


def names_for(document: dict) -> tuple[dict, dict]:
    """(site id -> name, household id -> (head name, site name)) for the sites and households a report names."""
    site_ids = {int(s) for s in document.get("by_site", {})} | {int(s) for s in document.get("fund_sites", {})}
    site_ids |= {p["site_id"] for p in document.get("problems", []) if p["site_id"]}
    household_ids = {p["household_id"] for p in document.get("problems", []) if p["household_id"]}
    sites = dict(db.session.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids | {0}))).all())
    rows = db.session.execute(select(Household.id, Household.head_name, Household.site_id)
                              .where(Household.id.in_(household_ids | {0}))).all()
    more = {r.site_id for r in rows} - set(sites)
    if more:
        sites.update(db.session.execute(select(Site.id, Site.name).where(Site.id.in_(more))).all())
    households = {r.id: (r.head_name, sites.get(r.site_id, "")) for r in rows}
    return sites, households
