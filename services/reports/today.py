"""What waits for whom today: the counts behind each role's home page (docs/decisions.md#day-one).

Each function takes the staff user and counts in the user's scope only; the home page
(admin/home.py) turns every count into a line with a link."""
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import (
    EvaluationRound,
    HonorList,
    HonorObjection,
    KioskDevice,
    Objection,
    Problem,
    Redemption,
)
from models.clock import local_today, utcnow
from models.ledger import LedgerVerifyRun
from services.earning import approvals, notices
from services.staff.scope import allowed_site_ids

#: a kiosk that has not called in for this long is reported on the shopkeeper's home page
KIOSK_SILENT = timedelta(hours=1)


def _in(query, column, sites: Optional[set[int]]):
    return query if sites is None else query.where(column.in_(sites or {-1}))


def _count(query) -> int:
    return db.session.execute(query).scalar_one()


# ------------------------------------------------------------------ committee
def rounds_to_score(user) -> list[EvaluationRound]:
    """Rounds in the scoring stage at the user's sites."""
    query = _in(select(EvaluationRound).where(EvaluationRound.status == "scoring"), EvaluationRound.site_id,
                allowed_site_ids(user))
    return list(db.session.execute(query.order_by(EvaluationRound.id)).scalars())


# ------------------------------------------------------------------ cadre
def rounds_ready_to_post(user, now: Optional[datetime] = None) -> list[EvaluationRound]:
    """Rounds whose 公示 has ended (posting is allowed once their objections are settled)."""
    query = _in(select(EvaluationRound).where(EvaluationRound.status == "notice"), EvaluationRound.site_id,
                allowed_site_ids(user))
    return [r for r in db.session.execute(query.order_by(EvaluationRound.id)).scalars()
            if notices.is_over(r.notice_end, now)]


def honor_lists_ready_to_publish(user, now: Optional[datetime] = None) -> list[HonorList]:
    query = _in(select(HonorList).where(HonorList.status == "notice"), HonorList.site_id, allowed_site_ids(user))
    return [lst for lst in db.session.execute(query.order_by(HonorList.id)).scalars()
            if notices.is_over(lst.notice_end, now)]


def open_objections(user) -> list[tuple[str, int, int]]:
    """Rounds and honor lists with objections not yet decided: [("round" | "honor", id, open count)]."""
    sites = allowed_site_ids(user)
    rounds = _in(select(Objection.round_id, func.count(Objection.id))
                 .join(EvaluationRound, EvaluationRound.id == Objection.round_id)
                 .where(Objection.status == "open").group_by(Objection.round_id), EvaluationRound.site_id, sites)
    honors = _in(select(HonorObjection.list_id, func.count(HonorObjection.id))
                 .join(HonorList, HonorList.id == HonorObjection.list_id)
                 .where(HonorObjection.status == "open").group_by(HonorObjection.list_id), HonorList.site_id, sites)
    return ([("round", rid, n) for rid, n in db.session.execute(rounds.order_by(Objection.round_id))]
            + [("honor", lid, n) for lid, n in db.session.execute(honors.order_by(HonorObjection.list_id))])


def pending_approvals(user) -> int:
    return approvals.pending_counts(user)["total"]


def overdue_visits(user) -> int:
    """Households this month's visit plan still owes a visit (services/support/visits.py)."""
    from services.support import visits

    today = local_today()
    return len(visits.coverage(today.year, today.month, allowed_site_ids(user)).overdue)


def problems_to_close(user) -> int:
    """Problems rectified and waiting for a cadre's check and 销号."""
    return _count(_in(select(func.count(Problem.id)).where(Problem.status == "resolved"), Problem.site_id,
                      allowed_site_ids(user)))


# ------------------------------------------------------------------ shopkeeper
def low_stock(user) -> int:
    from services.supermarket import goods

    return len(goods.low_stock(allowed_site_ids(user)))


def silent_kiosks(user, now: Optional[datetime] = None) -> int:
    """Paired kiosks that have not called in for an hour (or never since pairing)."""
    cutoff = (now or utcnow()) - KIOSK_SILENT
    query = select(func.count(KioskDevice.id)).where(
        KioskDevice.status == "active",
        KioskDevice.last_seen_at.is_(None) | (KioskDevice.last_seen_at < cutoff))
    return _count(_in(query, KioskDevice.site_id, allowed_site_ids(user)))


def redemptions_today(user) -> dict:
    """Today's (local day) redemptions that stand: how many and how many points."""
    from services.support.problems import local_midnight_utc

    today = local_today()
    start, end = local_midnight_utc(today), local_midnight_utc(today + timedelta(days=1))
    query = select(func.count(Redemption.id), func.coalesce(func.sum(Redemption.total_points), 0)).where(
        Redemption.status == "done", Redemption.created_at >= start, Redemption.created_at < end)
    count, points = db.session.execute(_in(query, Redemption.site_id, allowed_site_ids(user))).one()
    return {"count": count, "points": int(points)}


# ------------------------------------------------------------------ auditor
def unchecked_findings(user) -> tuple[int, Optional[datetime]]:
    """Findings at the user's sites that nobody has marked 已核查, of the newest finished anomaly run
    with the default thresholds (the checks run in the background: services/integrity/anomaly_runs.py),
    and when it finished (None: never run)."""
    from models import AnomalyRun
    from services.integrity import anomalies, anomaly_runs

    run = db.session.execute(select(AnomalyRun).where(
        AnomalyRun.state == "done", AnomalyRun.thresholds == anomaly_runs.thresholds_key(anomalies.Thresholds.from_form({})))
        .order_by(AnomalyRun.id.desc()).limit(1)).scalar_one_or_none()
    if run is None:
        return 0, None
    found = anomaly_runs.findings_of(run, allowed_site_ids(user))
    return sum(1 for f in found if f.check is None), run.finished_at


@dataclass
class VerifyRun:
    at: datetime
    ok: bool
    problems: int


def last_verify() -> Optional[VerifyRun]:
    """The newest finished run of the 账本校验 page (services/ledger/verify_runs.py)."""
    run = db.session.execute(select(LedgerVerifyRun).where(LedgerVerifyRun.state != "running")
                             .order_by(LedgerVerifyRun.id.desc()).limit(1)).scalar_one_or_none()
    if run is None:
        return None
    report = json.loads(run.report or "{}")
    return VerifyRun(run.finished_at, bool(run.ok), int(report.get("problem_count") or 0))
