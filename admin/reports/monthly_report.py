"""The monthly support report (月报) for a site or a township, on screen and as Excel / PDF."""
from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.reports.forms import ReportNarrativeForm, ReportSignForm
from admin.support import MANAGERS, READERS
from extensions import db
from models import Area
from services.errors import DomainError
from services.reports import monthly_report, report_notes
from services.staff.scope import allowed_site_ids, sites_in_scope
from services.support import responsibility as support


@bp.app_template_filter("report_rows")
def report_rows(rows) -> Markup:
    """A section's rows: each its label, then its figures (class "num"). Built here, not in Jinja loops:
    a township of 2,000 sites has 60,000 cells, whose output one by one took Jinja about 75 ms."""
    return Markup("".join(
        f'<tr><td class="">{escape(row[0])}</td>'
        + "".join(f'<td class="num">{value if type(value) is int else escape(value)}</td>' for value in row[1:])
        + "</tr>" for row in rows))


def _report(scope_arg=None, month_arg=None):
    """The report of the requested scope and month (opens on the whole township when the user's
    scope covers one, else on the first site), with its narrative when written."""
    year, month = support.parse_month(month_arg if month_arg is not None else request.args.get("month"))
    scope = scope_arg or request.args.get("scope") or next(iter(_scope_choices()), ("", ""))[0]
    ids, title = monthly_report.scope_sites(scope, allowed_site_ids(current_user))
    report = monthly_report.build(year, month, ids, title)
    report.note = report_notes.note_for(scope, year, month)
    return report, scope


def _scope_choices():
    """(scope, label) of every township and site the user may report on; made once per request (the
    page's default scope and its picker both ask)."""
    if "report_scope_choices" not in g:
        g.report_scope_choices = _read_scope_choices()
    return g.report_scope_choices


def _read_scope_choices():
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


def _page(report, scope, form=None):
    note = report.note
    manager = current_user.has_role("admin", *MANAGERS)
    if form is None:
        form = ReportNarrativeForm(formdata=None, obj=note)
    return render_template("admin/support/report.html", report=report, scope=scope, choices=_scope_choices(),
                           month=f"{report.year}-{report.month:02d}", heading=monthly_report.heading(report),
                           note=note, form=form, can_write=manager, sign_off=monthly_report.sign_off(report),
                           can_sign=manager and note is not None and not note.signed
                           and note.filled_by_id != current_user.id)


@bp.route("/support/report")
@roles_required(*READERS)
def support_report():
    report, scope = _report()
    return _page(report, scope)


@bp.route("/support/report/narrative", methods=["POST"])
@roles_required(*MANAGERS)
def support_report_narrative():
    form = ReportNarrativeForm()
    report, scope = _report(form.scope.data or "", form.month.data or "")
    try:
        form.validate()
        report_notes.save(scope, report.year, report.month, current_user, work_done=form.work_done.data,
                          issues=form.issues.data, next_steps=form.next_steps.data)
    except DomainError as error:
        return refused(lambda: _page(report, scope, form), error)
    db.session.commit()
    flash("汇报正文已保存,请另一位工作人员审核", "success")
    return redirect(url_for("admin.support_report", scope=scope, month=f"{report.year}-{report.month:02d}"))


@bp.route("/support/report/sign", methods=["POST"])
@roles_required(*MANAGERS)
def support_report_sign():
    form = ReportSignForm()
    report, scope = _report(form.scope.data or "", form.month.data or "")
    try:
        report_notes.sign(report.note, current_user)
    except DomainError as error:
        return refused(lambda: _page(report, scope), error)
    db.session.commit()
    flash("已审核签字,可以导出", "success")
    return redirect(url_for("admin.support_report", scope=scope, month=f"{report.year}-{report.month:02d}"))


@bp.route("/support/report.<fmt>")
@roles_required(*READERS)
def support_report_file(fmt):
    report, scope = _report()
    try:
        report_notes.require_signed(report.note)
    except DomainError as error:
        return refused(lambda: _page(report, scope), error)
    name = f"report-{report.year}-{report.month:02d}"
    if fmt == "xlsx":
        return Response(monthly_report.to_xlsx(report),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    if fmt == "pdf":
        return Response(monthly_report.to_pdf(report), mimetype="application/pdf",
                        headers={"Content-Disposition": f"inline; filename={name}.pdf"})
    return Response("unknown format", status=404)
