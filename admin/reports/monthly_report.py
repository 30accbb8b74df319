"""The monthly support report (月报) for a site or a township, on screen and as Excel / PDF."""
from flask import Response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.support import READERS
from extensions import db
from models import Area
from services.reports import monthly_report
from services.staff.scope import allowed_site_ids, sites_in_scope
from services.support import responsibility as support


def _report():
    year, month = support.parse_month(request.args.get("month"))
    # opens on the whole township when the user's scope covers one, else on the first site
    scope = request.args.get("scope") or next(iter(_scope_choices()), ("", ""))[0]
    ids, title = monthly_report.scope_sites(scope, allowed_site_ids(current_user))
    return monthly_report.build(year, month, ids, title), scope


def _scope_choices():
    sites = sites_in_scope(current_user)
    allowed = allowed_site_ids(current_user)
    townships = db.session.execute(select(Area).where(Area.level == "township").order_by(Area.id)).scalars().all()
    choices = []
    for town in townships:
        try:
            monthly_report.scope_sites(f"area:{town.id}", allowed)
            choices.append((f"area:{town.id}", f"{town.name}(全镇)"))
        except Exception:  # noqa: BLE001 - out of scope: not offered
            pass
    return choices + [(f"site:{s.id}", s.name) for s in sites]


@bp.route("/support/report")
@roles_required(*READERS)
def support_report():
    report, scope = _report()
    return render_template("admin/support/report.html", report=report, scope=scope, choices=_scope_choices(),
                           month=f"{report.year}-{report.month:02d}", heading=monthly_report.heading(report))


@bp.route("/support/report.<fmt>")
@roles_required(*READERS)
def support_report_file(fmt):
    report, _ = _report()
    name = f"report-{report.year}-{report.month:02d}"
    if fmt == "xlsx":
        return Response(monthly_report.to_xlsx(report),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    if fmt == "pdf":
        return Response(monthly_report.to_pdf(report), mimetype="application/pdf",
                        headers={"Content-Disposition": f"inline; filename={name}.pdf"})
    return Response("unknown format", status=404)

