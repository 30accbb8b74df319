"""Write the audit log of staff actions (who, what, when, before/after)."""
import json
from typing import Optional

from flask import has_request_context, request

from extensions import db
from models import AuditLog


def record(actor, action: str, obj_type: str, obj_id=None, *, before: Optional[dict] = None,
           after: Optional[dict] = None, site_id: Optional[int] = None) -> AuditLog:
    entry = AuditLog(
        actor_id=getattr(actor, "id", actor), action=action, object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id), site_id=site_id,
        before=_dump(before), after=_dump(after),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _dump(value: Optional[dict]) -> Optional[str]:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
