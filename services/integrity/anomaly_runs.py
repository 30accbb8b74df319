"""Anomaly runs (docs/decisions.md#anomaly-runs): the checks of services/integrity/anomalies.py read a
period's entries, events and redemptions, seconds at county scale, so they never run inside a request.
A run is started from the 异常核查 page, runs in the background over every site (admin/integrity/
anomalies.py starts it, as verify's runs are started) and stores its findings; the page shows those of
the user's sites, with the checks (已核查) as they are now."""
import json
from dataclasses import asdict, fields
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import AnomalyRun
from models.clock import utcnow
from services.errors import DomainError
from services.integrity import anomalies

#: a run still "running" after this long died with its process; a new one may start
STALE_AFTER = timedelta(hours=1)
#: the Finding fields a run stores (not the check: that is read when the page is shown)
_STORED = tuple(f.name for f in fields(anomalies.Finding) if f.name != "check")


class AnomalyRunning(DomainError):
    code = "anomaly_run_running"
    status = 409
    message = "这一期间的异常核查正在进行,请稍后刷新查看结果"


def thresholds_key(thresholds: anomalies.Thresholds) -> str:
    return json.dumps(asdict(thresholds), sort_keys=True)


def latest(start: date, end: date, thresholds: anomalies.Thresholds) -> Optional[AnomalyRun]:
    """The newest run of exactly this period and these thresholds."""
    return db.session.execute(
        select(AnomalyRun).where(AnomalyRun.period_start == start, AnomalyRun.period_end == end,
                                 AnomalyRun.thresholds == thresholds_key(thresholds))
        .order_by(AnomalyRun.id.desc()).limit(1)).scalar_one_or_none()


def start_run(user, start: date, end: date, thresholds: anomalies.Thresholds) -> AnomalyRun:
    """A new run, state "running" (flushed); refused while one of the same period and thresholds runs."""
    last = latest(start, end, thresholds)
    if last is not None and last.state == "running" and utcnow() - last.started_at < STALE_AFTER:
        raise AnomalyRunning()
    run = AnomalyRun(requested_by=getattr(user, "id", None), state="running", period_start=start, period_end=end,
                     thresholds=thresholds_key(thresholds))
    db.session.add(run)
    db.session.flush()
    return run


def compute(run_id: int) -> str:
    """The findings of the run's period, every site, as the JSON the run stores (a read: no writes)."""
    run = db.session.get(AnomalyRun, run_id)
    thresholds = anomalies.Thresholds(**json.loads(run.thresholds))
    found = anomalies.find(run.period_start, run.period_end, thresholds, None, with_checks=False)
    return json.dumps([{name: getattr(f, name) for name in _STORED} for f in found], ensure_ascii=False)


def finish(run_id: int, findings: Optional[str], error: Optional[str] = None) -> None:
    run = db.session.get(AnomalyRun, run_id)
    run.finished_at = utcnow()
    run.state = "failed" if findings is None else "done"
    run.findings = findings if findings is not None else json.dumps({"error": error}, ensure_ascii=False)
    db.session.flush()


def findings_of(run: AnomalyRun, site_ids: Optional[set[int]]) -> list[anomalies.Finding]:
    """A finished run's findings at `site_ids` (None = every site; a finding of no site only then),
    each with its check as it is now."""
    if run is None or run.state != "done":
        return []
    out = [anomalies.Finding(**row) for row in json.loads(run.findings)
           if site_ids is None or row["site_id"] in site_ids]
    anomalies.attach_checks(out)
    return out

