"""一户一档 archive exports: one household's PDF, a village's zip (站存 + 报县 sets), the list of villages.
Every export goes to the audit log, with whether identity numbers were shown in full."""

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.scope import COUNTY_WIDE, scoped_arg
from admin.support import _household, attachment
from extensions import db
from models import Area, Household
from services.staff import audit
from services.staff.scope import allowed_site_ids, sites_by_village
from services.support import archive, settlement

EXPORTERS = ("cadre", "auditor")


# a village is checked against the user's sites in the view (its sites in scope, or 403)
@scoped_arg("area_id")
def _area_exists(area_id):
    return COUNTY_WIDE if db.session.get(Area, area_id) else None


def _villages():
    """(village area, its sites in scope, active household count) for the villages the user reaches."""
    villages = sites_by_village(allowed_site_ids(current_user))
    counts = settlement.household_counts([s.id for _area, sites in villages for s in sites])
    return [(area, sites, sum(counts.get(s.id, 0) for s in sites)) for area, sites in villages]


@bp.route("/support/archive")
@roles_required(*EXPORTERS)
def support_archive():
    return render_template("admin/support/archive.html", villages=_villages(),
                           full_ids=archive.may_see_full_ids(current_user))


@bp.route("/support/archive/households/<int:household_id>.pdf")
@roles_required(*EXPORTERS)
def support_archive_household(household_id):
    home = _household(household_id)
    full = archive.may_see_full_ids(current_user)
    data = archive.household_pdf(home, full)
    audit.record(current_user, "archive.export", "household", home.id, site_id=home.site_id,
                 after={"导出": "一户一档", "完整身份证号": full})
    db.session.commit()
    return attachment(data, f"一户一档_{home.head_name}.pdf", "application/pdf")


@bp.route("/support/archive/villages/<int:area_id>.zip")
@roles_required(*EXPORTERS)
def support_archive_village(area_id):
    found = next(((area, sites) for area, sites, _n in _villages() if area.id == area_id), None)
    if found is None:
        abort(403)
    area, sites = found
    homes = db.session.execute(select(Household).where(Household.site_id.in_([s.id for s in sites]),
                                                       Household.status == "active")
                               .order_by(Household.site_id, Household.id)).scalars().all()
    full = archive.may_see_full_ids(current_user)
    data = archive.village_zip(homes, area.name, full)
    audit.record(current_user, "archive.export_village", "area", area.id,
                 after={"导出": "一户一档(站存+报县)", "户数": len(homes), "完整身份证号": full})
    db.session.commit()
    return attachment(data, f"{area.name}_一户一档.zip", "application/zip")
