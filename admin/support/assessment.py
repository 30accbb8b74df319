"""考核: the yearly assessment table of villages and departments, each score's records, the export."""
from flask import abort, render_template, request
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.support import READERS, attachment
from models.clock import local_today
from services.errors import ValidationFailed
from services.staff.scope import allowed_site_ids
from services.support import assessment


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= local_today().year:
        abort(404)
    return year


@bp.route("/support/assessment")
@roles_required(*READERS)
def support_assessment():
    year = _year()
    towns, depts = assessment.assess(year, allowed_site_ids(current_user))
    return render_template("admin/support/assessment.html", year=year, towns=towns, depts=depts,
                           weights=assessment.WEIGHTS, labels=assessment.MEASURE_LABELS,
                           as_of=assessment.year_span(year)[1], this_year=local_today().year)


@bp.route("/support/assessment/records")
@roles_required(*READERS)
def support_assessment_records():
    year = _year()
    measure = request.args.get("measure")
    kind, key = request.args.get("kind"), request.args.get("key", "")
    if measure not in assessment.WEIGHTS or kind not in ("village", "department"):
        raise ValidationFailed("请在考核表上点开要查看的那一项得分")
    allowed = allowed_site_ids(current_user)
    units = assessment.villages(allowed) if kind == "village" else assessment.departments() if kind == "department" else []
    unit = next((u for u in units if u.key == key), None)
    if unit is None:
        abort(404)
    rows = assessment.drill_down(unit, measure, year, allowed)
    return render_template("admin/support/assessment_records.html", year=year, unit=unit, measure=measure,
                           label=assessment.MEASURE_LABELS[measure], rows=rows)


@bp.route("/support/assessment.xlsx")
@roles_required(*READERS)
def support_assessment_export():
    year = _year()
    towns, depts = assessment.assess(year, allowed_site_ids(current_user))
    return attachment(assessment.export_xlsx(year, towns, depts, local_today()), f"{year}-kaohe.xlsx")
