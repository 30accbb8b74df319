"""The audit log viewer (审计): every staff action that changed data, filterable, read-only."""
import json
from datetime import date, datetime, time, timedelta, timezone

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.staff.forms import AuditFilterForm
from extensions import db
from models import AuditLog, Site, StaffUser
from models.clock import local_zone
from services.staff.scope import allowed_site_ids

PER_PAGE = 50


@bp.route("/audit")
@roles_required("auditor")
def audit_log():
    form = AuditFilterForm(request.args)
    users = db.session.execute(select(StaffUser).order_by(StaffUser.username)).scalars().all()
    form.actor.choices = [(0, "全部")] + [(u.id, f"{u.display_name}({u.username})") for u in users]
    query = select(AuditLog).where(*_scope()).order_by(AuditLog.id.desc())
    if form.validate():
        query = query.where(*_filters(form))
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    actions = db.session.execute(select(AuditLog.action).distinct().order_by(AuditLog.action)).scalars().all()
    return render_template("admin/audit/list.html", form=form, page=page, users={u.id: u for u in users},
                           actions=actions, fmt=_fmt, args=request.args.to_dict(),
                           site_names=dict(db.session.execute(select(Site.id, Site.name)).all()))


def _scope() -> list:
    """County-wide auditors see everything; a site-scoped auditor sees the entries of its sites."""
    allowed = allowed_site_ids(current_user)
    if allowed is None:
        return []
    all_sites = set(db.session.execute(select(Site.id)).scalars())
    return [] if all_sites <= allowed else [AuditLog.site_id.in_(allowed)]


def _filters(form: AuditFilterForm) -> list:
    clauses = []
    if form.actor.data:
        clauses.append(AuditLog.actor_id == form.actor.data)
    if form.action.data:
        clauses.append(AuditLog.action.like(f"{form.action.data.strip()}%"))
    if form.object_type.data:
        clauses.append(AuditLog.object_type == form.object_type.data.strip())
    if form.object_id.data:
        clauses.append(AuditLog.object_id == form.object_id.data.strip())
    if form.date_from.data:
        clauses.append(AuditLog.at >= _utc(form.date_from.data, 0))
    if form.date_to.data:
        clauses.append(AuditLog.at < _utc(form.date_to.data, 1))
    return clauses


def _utc(day: date, plus_days: int) -> datetime:
    """Local midnight of `day` (+n days) as naive UTC."""
    local = datetime.combine(day + timedelta(days=plus_days), time(),
                             tzinfo=local_zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _fmt(text):
    """before/after JSON as 'key: value' lines."""
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    if not isinstance(data, dict):
        return [str(data)]
    return [f"{k}: {v}" for k, v in data.items()]
