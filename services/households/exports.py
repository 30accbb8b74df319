"""一户一档 exports too large to write inside a request (docs/decisions.md#background-exports).

Up to `IN_REQUEST_LIMIT` households the sheet is written in the request (a county's 6,000 take well
under a second). Above it a `HouseholdExport` is made and filled by a background thread on a read
snapshot; the page of the export refreshes itself until the file is ready. The same filter asked again
by the same user within `REUSE_FOR` gets the export already made (or being made), not a second run.
Exports are kept for `KEEP_FOR`, then removed when the next one is made."""
import json
from dataclasses import asdict
from datetime import timedelta
from typing import Optional

from sqlalchemy import delete, func, select

from extensions import db
from models import Household, HouseholdExport, StaffUser
from models.clock import utcnow
from services.errors import NotFound
from services.households import excel
from services.households import registry as svc

IN_REQUEST_LIMIT = 10_000
REUSE_FOR = timedelta(minutes=10)
KEEP_FOR = timedelta(days=1)
#: an export still "running" after this long died with its process; asking again starts a new one
STALE_AFTER = timedelta(hours=1)


def filter_key(flt: svc.HouseholdFilter) -> str:
    return json.dumps(asdict(flt), sort_keys=True, ensure_ascii=False)


def filter_of(export: HouseholdExport) -> svc.HouseholdFilter:
    fields = json.loads(export.filter)
    if fields.get("imported") is not None:
        fields["imported"] = tuple(fields["imported"])
    return svc.HouseholdFilter(**fields)


def count(user, flt: svc.HouseholdFilter) -> int:
    """How many households the export of `flt` would hold."""
    chosen = svc.search(user, flt).with_only_columns(Household.id).order_by(None).subquery()
    return db.session.execute(select(func.count()).select_from(chosen)).scalar_one()


def start(user, flt: svc.HouseholdFilter, households: int) -> tuple[HouseholdExport, bool]:
    """(export, True) for a new running export (flushed) the caller starts in the background after its
    commit; (export, False) for this user's recent export of the same filter, running or done."""
    now = utcnow()
    key = filter_key(flt)
    recent = db.session.execute(
        select(HouseholdExport).where(HouseholdExport.requested_by == user.id, HouseholdExport.filter == key,
                                      HouseholdExport.state != "failed", HouseholdExport.started_at >= now - REUSE_FOR)
        .order_by(HouseholdExport.id.desc()).limit(1)).scalar_one_or_none()
    if recent is not None and not (recent.state == "running" and now - recent.started_at >= STALE_AFTER):
        return recent, False
    db.session.execute(delete(HouseholdExport).where(HouseholdExport.started_at < now - KEEP_FOR))
    export = HouseholdExport(requested_by=user.id, state="running", filter=key, households=households, started_at=now)
    db.session.add(export)
    db.session.flush()
    return export, True


def compute(export_id: int) -> bytes:
    """The sheet of the export's filter as its requester may see it now (a read: no writes)."""
    export = db.session.get(HouseholdExport, export_id)
    user = db.session.get(StaffUser, export.requested_by)
    return excel.export(svc.search(user, filter_of(export)))


def finish(export_id: int, data: Optional[bytes], error: Optional[str] = None) -> None:
    export = db.session.get(HouseholdExport, export_id)
    export.finished_at = utcnow()
    export.state = "failed" if data is None else "done"
    export.data, export.error = data, error
    db.session.flush()


def get_for(user, export_id: int) -> HouseholdExport:
    """The export if `user` asked for it and it is still kept; otherwise NotFound."""
    export = db.session.get(HouseholdExport, export_id)
    if export is None or export.requested_by != user.id or utcnow() - export.started_at >= KEEP_FOR:
        raise NotFound("这份导出不存在或已过期(导出文件保留一天),请回到住户列表重新导出")
    return export
