"""Staff pages for follow-up support (后续扶持): the dashboard, 包保, visits, 问题台账, 防返贫监测.

Every route: @roles_required AND a site-scope check through services/staff/scope.py. This package
holds what the topic modules share: the role groups, the scope of URL arguments, the household lookup."""
from datetime import date

from flask import request
from flask_login import current_user

from admin import bp
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import Household
from models.clock import to_local
from models.household import HOUSEHOLD_TAGS
from models.support import (
    CADRE_LEVELS,
    MONITORING_STEPS,
    MONITORING_TYPES,
    PROBLEM_CATEGORIES,
    PROBLEM_SOURCES,
    PROBLEM_STATUSES,
    REACHED_BY,
    SITUATION_AREAS,
    MonitoringCase,
    Problem,
    Responsibility,
    SupportPhoto,
    Visit,
)
from services.errors import ValidationFailed
from services.staff.scope import require_site
from services.support import responsibility as support

READERS = ("cadre", "committee", "auditor")
VISITORS = ("cadre", "committee")
MANAGERS = ("cadre",)


# ------------------------------------------------------------------ scope of URL arguments
def _site_of(model):
    def resolve(object_id):
        row = db.session.get(model, object_id)
        return row.site_id if row else None
    return resolve


for _name, _model in (("visit_id", Visit), ("photo_id", SupportPhoto), ("problem_id", Problem),
                      ("case_id", MonitoringCase)):
    scoped_arg(_name)(_site_of(_model))


@scoped_arg("row_id")
def _responsibility_site(row_id):
    row = db.session.get(Responsibility, row_id)
    return row.household.site_id if row else None


#: a 包保 cadre serves households anywhere; the reassign view checks the households' sites
unscoped_arg("cadre_id")


# ------------------------------------------------------------------ helpers


def _household(household_id) -> Household:
    home = db.get_or_404(Household, household_id)
    require_site(current_user, home.site_id)
    return home


def _date(name, default=None, required_message=None):
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required_message:
            raise ValidationFailed(required_message)
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("日期格式应为 2026-11-23")


def _int(value, message="请选择"):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(message)
    if not -2**31 < number < 2**31:  # an id or amount beyond the database integer: refuse, do not 500
        raise ValidationFailed(message)
    return number


def _month_arg():
    return support.parse_month(request.args.get("month"))


@bp.app_template_global()
def local_time(moment) -> str:
    """Naive UTC from the database -> local 'YYYY-MM-DD HH:MM'."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@bp.app_template_global()
def support_labels():
    return {"statuses": PROBLEM_STATUSES, "categories": PROBLEM_CATEGORIES, "tags": HOUSEHOLD_TAGS,
            "types": MONITORING_TYPES, "steps": MONITORING_STEPS, "levels": CADRE_LEVELS,
            "areas": SITUATION_AREAS, "reached": REACHED_BY, "sources": PROBLEM_SOURCES}

