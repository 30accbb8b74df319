"""五评五奖 rounds: draft → scoring → 公示 (notice) → posted, or cancelled.

Posting writes every entry of the round in one transaction through the ledger, idempotent per
(round, household): round:{id}:{hh}:score and round:{id}:{hh}:award:{type} (docs/decisions.md#idempotency-keys, docs/decisions.md#awards-and-honors)."""
import json
import re
from datetime import date, datetime
from typing import Optional

from sqlalchemy import func, select, update

from extensions import db
from models import (
    EvaluationRound,
    Household,
    Objection,
    RoundLine,
    RoundNomination,
    RoundScore,
)
from models.clock import local_today, utcnow
from services import fields, ledger
from services.earning import notices
from services.earning.evaluation_config import (  # noqa: F401  (re-exported for callers)
    award_types,
    dimensions,
    ensure_defaults,
    save_award_type,
    save_dimension,
)
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.integrity.recusal import ensure_not_recused
from services.staff import audit
from services.staff.scope import require_site

#: allowed transitions (anything else is refused)
TRANSITIONS = {
    "draft": {"scoring", "cancelled"},
    "scoring": {"notice", "cancelled"},
    "notice": {"posted", "scoring", "cancelled"},
    "posted": set(),
    "cancelled": set(),
}


class WrongState(DomainError):
    code = "wrong_state"
    status = 409
    message = "评议当前的状态不允许这个操作"


# ------------------------------------------------------------------ rounds
def create_round(actor, data: dict) -> EvaluationRound:
    site_id = fields.integer(data.get("site_id"), "安置点", 1, 10**9)
    require_site(actor, site_id)
    title = fields.text(data.get("title"), "评议期次", 64)
    start, end = fields.day(data.get("period_start"), "开始日期"), fields.day(data.get("period_end"), "结束日期")
    if end < start:
        raise ValidationFailed("结束日期不能早于开始日期")
    days = fields.integer(data.get("notice_days") or 7, "公示天数", 1, notices.MAX_NOTICE_DAYS)
    rnd = EvaluationRound(site_id=site_id, title=title, period_start=start, period_end=end, notice_days=days,
                          contact=(data.get("contact") or "").strip()[:200] or None, created_by_id=actor.id)
    db.session.add(rnd)
    db.session.flush()
    audit.record(actor, "round.create", "evaluation_round", rnd.id, site_id=site_id, after={"title": title})
    return rnd


def get_round(actor, round_id: int) -> EvaluationRound:
    rnd = db.session.get(EvaluationRound, round_id)
    if rnd is None:
        raise NotFound("没有这次评议")
    require_site(actor, rnd.site_id)
    return rnd


def start_scoring(actor, rnd: EvaluationRound) -> None:
    """draft → scoring: snapshot the active dimensions and award types."""
    require_site(actor, rnd.site_id)
    dims, awards = dimensions(), award_types()
    if not dims:
        raise ValidationFailed("还没有配置评议维度")
    _transition(rnd, "draft", "scoring")
    rnd.config_json = json.dumps({
        "dimensions": [{"id": d.id, "name": d.name, "max_score": d.max_score, "points_per_score": d.points_per_score}
                       for d in dims],
        "awards": [{"id": a.id, "name": a.name, "bonus_points": a.bonus_points} for a in awards],
    }, ensure_ascii=False)
    _log(actor, rnd, "round.scoring")


def households(rnd: EvaluationRound) -> list[Household]:
    """The site's active households in notice-board order: 1栋, 2栋 … 10栋 (numbers compared as numbers)."""
    homes = db.session.execute(
        select(Household).where(Household.site_id == rnd.site_id, Household.status == "active")
    ).scalars()
    return sorted(homes, key=lambda h: (_natural(h.building), _natural(h.door_no), h.id))


def _natural(text: Optional[str]) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text or "") if part]


def grid(rnd: EvaluationRound) -> dict:
    """Scores {(hh, dim): score} and nominations {(hh, award)} of the round."""
    scores = {(s.household_id, s.dimension_id): s.score for s in db.session.execute(
        select(RoundScore).where(RoundScore.round_id == rnd.id)).scalars()}
    noms = {(n.household_id, n.award_type_id) for n in db.session.execute(
        select(RoundNomination).where(RoundNomination.round_id == rnd.id)).scalars()}
    return {"scores": scores, "nominations": noms}


def set_score(actor, rnd: EvaluationRound, household_id: int, dimension_id: int, score) -> int:
    home = _scoring_household(actor, rnd, household_id)
    dim = next((d for d in rnd.config["dimensions"] if d["id"] == dimension_id), None)
    if dim is None:
        raise ValidationFailed("这次评议没有这个维度")
    score = fields.integer(score, f"“{dim['name']}”得分", 0, dim["max_score"])
    cell = db.session.execute(select(RoundScore).where(
        RoundScore.round_id == rnd.id, RoundScore.household_id == home.id, RoundScore.dimension_id == dimension_id)
    ).scalar_one_or_none()
    if cell is None:
        cell = RoundScore(round_id=rnd.id, household_id=home.id, dimension_id=dimension_id, scored_by_id=actor.id)
        db.session.add(cell)
    cell.score, cell.scored_by_id = score, actor.id
    db.session.flush()
    return row_total(rnd, home.id)


def set_nomination(actor, rnd: EvaluationRound, household_id: int, award_type_id: int, on: bool) -> None:
    home = _scoring_household(actor, rnd, household_id)
    award = next((a for a in rnd.config["awards"] if a["id"] == award_type_id), None)
    if award is None:
        raise ValidationFailed("这次评议没有这个奖项")
    existing = db.session.execute(select(RoundNomination).where(
        RoundNomination.round_id == rnd.id, RoundNomination.household_id == home.id,
        RoundNomination.award_type_id == award_type_id)).scalar_one_or_none()
    if on and existing is None:
        db.session.add(RoundNomination(round_id=rnd.id, household_id=home.id, award_type_id=award_type_id,
                                       bonus_points=award["bonus_points"], nominated_by_id=actor.id))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.flush()


def row_total(rnd: EvaluationRound, household_id: int) -> dict:
    per = {d["id"]: d["points_per_score"] for d in rnd.config["dimensions"]}
    cells = db.session.execute(select(RoundScore).where(
        RoundScore.round_id == rnd.id, RoundScore.household_id == household_id)).scalars()
    total = points = 0
    for cell in cells:
        if cell.dimension_id in per:
            total += cell.score
            points += cell.score * per[cell.dimension_id]
    return {"total_score": total, "points": points}


def _scoring_household(actor, rnd: EvaluationRound, household_id: int) -> Household:
    require_site(actor, rnd.site_id)
    if rnd.status != "scoring":
        raise WrongState(f"评议{rnd.status_label},不能修改评分")
    if not actor.has_role("committee", "cadre"):
        raise Forbidden("只有评议会成员或干部可以评分")
    home = db.session.get(Household, household_id)
    if home is None or home.site_id != rnd.site_id or home.status != "active":
        raise ValidationFailed("这一户不在本次评议的安置点")
    ensure_not_recused(actor, home.id, "evaluation.grid")
    if actor.household_id is not None and actor.household_id == home.id:
        raise Forbidden("这是您自己家,请回避,由其他成员评分")
    return home


# ------------------------------------------------------------------ 公示
def open_notice(actor, rnd: EvaluationRound, days: Optional[int] = None, contact: Optional[str] = None,
                today: Optional[date] = None) -> None:
    """scoring → notice: freeze the lines and start an N-day notice today (the approver does this)."""
    _require_approver(actor, rnd)
    if days is not None:
        rnd.notice_days = fields.integer(days, "公示天数", 1, notices.MAX_NOTICE_DAYS)
    if contact is not None and contact.strip():
        rnd.contact = contact.strip()[:200]
    _transition(rnd, "scoring", "notice")
    rnd.notice_start, rnd.notice_end = notices.notice_window(today or local_today(), rnd.notice_days)
    rnd.notice_opened_by_id = actor.id
    _freeze_lines(rnd)
    _log(actor, rnd, "round.notice", notice_start=rnd.notice_start, notice_end=rnd.notice_end)


def _freeze_lines(rnd: EvaluationRound) -> None:
    data = grid(rnd)
    awards = {a["id"]: a for a in rnd.config["awards"]}
    lines = {line.household_id: line for line in lines_of(rnd)}
    for home in households(rnd):
        totals = row_total(rnd, home.id)
        won = [awards[a] for (h, a) in sorted(data["nominations"]) if h == home.id and a in awards]
        line = lines.get(home.id) or RoundLine(round_id=rnd.id, household_id=home.id)
        line.total_score, line.points = totals["total_score"], totals["points"]
        line.awards_text = "、".join(a["name"] for a in won)
        line.award_points = sum(a["bonus_points"] for a in won)
        db.session.add(line)
    db.session.flush()


def lines_of(rnd: EvaluationRound) -> list[RoundLine]:
    return list(db.session.execute(select(RoundLine).where(RoundLine.round_id == rnd.id).order_by(RoundLine.id)).scalars())


def record_objection(actor, rnd: EvaluationRound, line_id: int, content: str, raised_by: str = "") -> Objection:
    require_site(actor, rnd.site_id)
    if rnd.status != "notice":
        raise WrongState("只有公示期间可以登记异议")
    line = db.session.get(RoundLine, line_id)
    if line is None or line.round_id != rnd.id:
        raise ValidationFailed("请选择异议针对的住户")
    ensure_not_recused(actor, line.household_id, "evaluation.objection")
    content = (content or "").strip()
    if not content or len(content) > 1000:
        raise ValidationFailed("请填写异议内容(1000 字以内)")
    objection = Objection(round_id=rnd.id, line_id=line.id, content=content, recorded_by_id=actor.id,
                          raised_by=(raised_by or "").strip()[:64] or None)
    db.session.add(objection)
    db.session.flush()
    _log(actor, rnd, "round.objection", objection_id=objection.id, line_id=line.id)
    return objection


def resolve_objection(actor, objection: Objection, upheld: bool, resolution: str) -> None:
    """Rejected: the reason is recorded. Upheld: the round goes back to scoring so the line can be
    corrected, and a new 公示 must run before posting."""
    rnd = db.session.get(EvaluationRound, objection.round_id)
    _require_approver(actor, rnd)
    ensure_not_recused(actor, db.session.get(RoundLine, objection.line_id).household_id, "evaluation.objection")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed("请填写处理意见" if upheld else "请填写不成立的理由")
    claimed = db.session.execute(
        update(Objection).where(Objection.id == objection.id, Objection.status == "open")
        .values(status="upheld" if upheld else "rejected", resolution=resolution, resolved_by_id=actor.id,
                resolved_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise WrongState("这条异议已经处理过了")
    db.session.refresh(objection)
    if upheld and rnd.status == "notice":
        _transition(rnd, "notice", "scoring")
        rnd.notice_start = rnd.notice_end = None
    _log(actor, rnd, "round.objection_resolved", objection_id=objection.id, upheld=upheld)


def objections(rnd: EvaluationRound) -> list[Objection]:
    return list(db.session.execute(select(Objection).where(Objection.round_id == rnd.id).order_by(Objection.id)).scalars())


def open_objection_count(rnd: EvaluationRound) -> int:
    return db.session.execute(select(func.count(Objection.id)).where(
        Objection.round_id == rnd.id, Objection.status == "open")).scalar_one()


# ------------------------------------------------------------------ posting
def post_round(actor, rnd: EvaluationRound, now: Optional[datetime] = None) -> dict:
    """notice → posted, all entries in this transaction. A second submit returns the first result."""
    _require_approver(actor, rnd)
    if rnd.status == "posted":
        return posted_summary(rnd)
    if rnd.status != "notice":
        raise WrongState(f"评议{rnd.status_label},只有公示结束的评议可以入账")
    if not notices.is_over(rnd.notice_end, now):
        raise WrongState(f"公示期({notices.period_text(rnd.notice_start, rnd.notice_end)})还没有结束,"
                         f"公示结束后才能入账")
    if open_objection_count(rnd):
        raise WrongState("还有未处理的异议,处理完后才能入账")
    if not _claim(rnd, "notice", "posted"):
        db.session.refresh(rnd)
        if rnd.status == "posted":
            return posted_summary(rnd)
        raise WrongState("评议状态刚被其他人改变,请刷新")
    rnd.posted_by_id, rnd.posted_at = actor.id, utcnow()
    _post_entries(actor, rnd)
    _log(actor, rnd, "round.posted", **posted_summary(rnd))
    return posted_summary(rnd)


def _post_entries(actor, rnd: EvaluationRound) -> None:
    note = f"{rnd.title}五评五奖"
    for line in lines_of(rnd):
        if line.points:
            entry = ledger.post(line.household_id, line.points, "evaluation", ledger.Source("round_line", line.id),
                                actor, f"{note}:评分 {line.total_score}", f"round:{rnd.id}:{line.household_id}:score",
                                effective_date=rnd.period_end)
            line.ledger_entry_id = entry.id
    for nom in db.session.execute(select(RoundNomination).where(RoundNomination.round_id == rnd.id)
                                  .order_by(RoundNomination.id)).scalars():
        entry = ledger.post(nom.household_id, nom.bonus_points, "award", ledger.Source("round_nomination", nom.id),
                            actor, f"{note}:{nom.award_type.name}",
                            f"round:{rnd.id}:{nom.household_id}:award:{nom.award_type_id}",
                            effective_date=rnd.period_end)
        nom.ledger_entry_id = entry.id
    db.session.flush()


def posted_summary(rnd: EvaluationRound) -> dict:
    lines = lines_of(rnd)
    noms = db.session.execute(select(RoundNomination).where(RoundNomination.round_id == rnd.id)).scalars().all()
    return {"households": sum(1 for line in lines if line.points or line.awards_text),
            "points": sum(line.points for line in lines), "awards": len(noms),
            "award_points": sum(n.bonus_points for n in noms)}


def reverse_household(actor, rnd: EvaluationRound, household_id: int, reason: str) -> list:
    """Correct a posted round for one household: reverse its score and award entries
    (keys reverse:{entry_id}); the round itself stays read-only."""
    _require_approver(actor, rnd)
    ensure_not_recused(actor, household_id, "evaluation.reverse")
    if rnd.status != "posted":
        raise WrongState("只有已入账的评议需要冲正;未入账的请在评分阶段修改")
    from models import LedgerEntry

    entry_ids = [line.ledger_entry_id for line in lines_of(rnd) if line.household_id == household_id]
    entry_ids += list(db.session.execute(select(RoundNomination.ledger_entry_id).where(
        RoundNomination.round_id == rnd.id, RoundNomination.household_id == household_id)).scalars())
    entries = [db.session.get(LedgerEntry, i) for i in entry_ids if i]
    if not entries:
        raise ValidationFailed("这一户在本次评议中没有入账的积分")
    reversals = [ledger.reverse(entry, actor, f"{rnd.title}评议更正:{(reason or '').strip()}") for entry in entries] \
        if (reason or "").strip() else None
    if reversals is None:
        raise ValidationFailed("请填写冲正原因")
    _log(actor, rnd, "round.reversed", household_id=household_id, reason=reason)
    return reversals


def cancel_round(actor, rnd: EvaluationRound, reason: str) -> None:
    require_site(actor, rnd.site_id)
    if not actor.has_role("cadre", "admin"):
        raise Forbidden("只有干部或管理员可以取消评议")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写取消原因")
    if rnd.status == "posted":
        raise WrongState("已入账的评议不能取消,更正请用冲正")
    _transition(rnd, rnd.status, "cancelled")
    rnd.cancelled_reason = reason[:500]
    _log(actor, rnd, "round.cancelled", reason=reason)


# ------------------------------------------------------------------ helpers
def _require_approver(actor, rnd: EvaluationRound) -> None:
    require_site(actor, rnd.site_id)
    if not actor.has_role("cadre"):
        raise Forbidden("只有村/社区干部(审批人)可以做这一步")


def _transition(rnd: EvaluationRound, from_status: str, to_status: str) -> None:
    if rnd.status != from_status or to_status not in TRANSITIONS[from_status]:
        raise WrongState(f"评议{rnd.status_label},不能改为“{_label(to_status)}”")
    if not _claim(rnd, from_status, to_status):
        raise WrongState("评议状态刚被其他人改变,请刷新")


def _claim(rnd: EvaluationRound, from_status: str, to_status: str) -> bool:
    """Conditional UPDATE: only one request moves a round out of a state."""
    claimed = db.session.execute(
        update(EvaluationRound).where(EvaluationRound.id == rnd.id, EvaluationRound.status == from_status)
        .values(status=to_status).execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        rnd.status = to_status
        db.session.flush()
    return claimed == 1


def _label(status: str) -> str:
    from models.evaluation import ROUND_STATUS_LABELS

    return ROUND_STATUS_LABELS[status]


def _log(actor, rnd: EvaluationRound, action: str, **after) -> None:
    audit.record(actor, action, "evaluation_round", rnd.id, site_id=rnd.site_id, after=after or None)

