"""Staff pages for follow-up support (后续扶持): the dashboard, 包保, visits, 问题台账, 防返贫监测.

Every route: @roles_required AND a site-scope check through services/staff/scope.py. This package
holds what the topic modules share: the role groups, the scope of URL arguments, the household lookup."""

from urllib.parse import quote

from flask import Response, request
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import Household
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
    SupportCadre,
    SupportPhoto,
    Visit,
)
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(data: bytes, filename: str, mimetype: str = XLSX) -> Response:
    """A download of `data` under its Chinese file name (RFC 5987 encoded)."""
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def _month_arg():
    return support.parse_month(request.args.get("month"))


@bp.app_template_global()
def support_labels():
    return {"statuses": PROBLEM_STATUSES, "categories": PROBLEM_CATEGORIES, "tags": HOUSEHOLD_TAGS,
            "types": MONITORING_TYPES, "steps": MONITORING_STEPS, "levels": CADRE_LEVELS,
            "areas": SITUATION_AREAS, "reached": REACHED_BY, "sources": PROBLEM_SOURCES}


def _cadre_choices():
    """The active 包保 cadres, by name."""
    return db.session.execute(select(SupportCadre).where(SupportCadre.active).order_by(SupportCadre.name)).scalars().all()
