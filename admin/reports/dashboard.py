"""Reports: the dashboard (site or county) and the ledger exports (Excel / PDF)."""
from datetime import date
from urllib.parse import quote

from flask import Response, current_app, flash, render_template, request
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from extensions import db
from models import Household, Site
from services.earning import month_notice
from services.errors import Forbidden, NotFound, ValidationFailed
from services.households.registry import LEDGER_KIND_LABELS, visible_sites
from services.ledger import exports as ledger_exports
from services.ledger import year_end
from services.reports import dashboard as reports
from services.reports import report_totals
from services.staff.scope import allowed_site_ids, require_site

DASHBOARD_ROLES = ("cadre", "auditor")
EXPORT_ROLES = ("cadre", "auditor", "shopkeeper")


def _filters() -> reports.Filters:
    """Dates and site from the query string; a bad date is reported and the default used."""
    site_id = request.args.get("site_id", "").strip()
    if site_id:
        if not site_id.isdigit():
            raise ValidationFailed("安置点编号不对")
        require_site(current_user, int(site_id))
        sites = {int(site_id)}
    else:
        sites = allowed_site_ids(current_user)
        county_id = request.args.get("county_id", "").strip()
        if county_id:
            in_county = year_end.county_site_ids(year_end.get_county(county_id))
            sites = in_county if sites is None else sites & in_county
    flt = reports.default_filters(sites)
    for name in ("start", "end"):
        raw = request.args.get(name, "").strip()
        if raw:
            try:
                setattr(flt, name, date.fromisoformat(raw))
            except ValueError:
                flash(f"日期“{raw}”格式不对(应为 2026-01-31),已改用默认日期", "error")
    if flt.end < flt.start:
        flash("结束日期早于开始日期,已对调", "error")
        flt.start, flt.end = flt.end, flt.start
    if (flt.end - flt.start).days > 3660:
        raise ValidationFailed("日期范围请不要超过十年")
    return flt


@bp.route("/reports")
@roles_required(*DASHBOARD_ROLES)
def reports_dashboard():
    flt = _filters()
    board = reports.dashboard(flt)
    if report_totals.tail_size() > report_totals.FOLD_AFTER:  # the entries read live have grown: fold them
        report_totals.fold_in_background(current_app._get_current_object())
    return render_template("admin/reports/dashboard.html", board=board, flt=flt, charts=_charts(board),
                           sites=visible_sites(current_user), site_id=request.args.get("site_id", ""),
                           counties=year_end.counties(), county_id=request.args.get("county_id", ""),
                           kind_labels=LEDGER_KIND_LABELS)


def _charts(board: reports.Dashboard) -> dict:
    """Chart.js specs; every chart's numbers are also in the table beside it."""
    months = [m.month for m in board.months]
    return {
        "months": {"type": "bar", "labels": months, "datasets": [
            {"label": "发放", "data": [m.issued for m in board.months], "color": "#b3261e"},
            {"label": "兑换", "data": [m.redeemed for m in board.months], "color": "#d4a017"},
            {"label": "扣减", "data": [m.deducted for m in board.months], "color": "#555555"}]},
        "categories": {"type": "bar", "horizontal": True, "labels": [c for c, _ in board.by_category],
                       "datasets": [{"label": "积分", "data": [v for _, v in board.by_category], "color": "#b3261e"}]},
        "rules": {"type": "bar", "horizontal": True, "labels": [r["rule"] for r in board.by_rule],
                  "datasets": [{"label": "积分", "data": [r["points"] for r in board.by_rule], "color": "#1b6e20"}]},
        "goods": {"type": "bar", "horizontal": True, "labels": [g["name"] for g in board.top_goods],
                  "datasets": [{"label": "数量", "data": [g["quantity"] for g in board.top_goods], "color": "#d4a017"}]},
    }


@bp.route("/reports/exports")
@roles_required(*EXPORT_ROLES)
def reports_exports():
    flt = reports.default_filters()
    return render_template("admin/reports/exports.html", sites=visible_sites(current_user), flt=flt,
                           types=ledger_exports.LEDGER_TYPES, month=flt.end.strftime("%Y-%m"))


@bp.route("/reports/export")
@roles_required(*EXPORT_ROLES)
def reports_export():
    flt = _filters()
    kind, fmt = request.args.get("type", "site"), request.args.get("format", "xlsx")
    if kind not in ledger_exports.LEDGER_TYPES or fmt not in ("xlsx", "pdf"):
        raise ValidationFailed("请选择台账类型和文件格式")
    if kind != "redemption" and not current_user.has_role("admin", *DASHBOARD_ROLES):
        raise Forbidden("超市管理员只能导出兑换台账")
    if kind == "household":
        table = ledger_exports.household_ledger(_household_in_scope(), flt.start, flt.end)
    elif kind == "site":
        table = ledger_exports.site_ledger(flt.site_ids, flt.start, flt.end)
    else:
        table = ledger_exports.redemption_ledger(flt.site_ids, flt.start, flt.end)
    ledger_exports.check_size(table, fmt)
    data = ledger_exports.to_xlsx(table) if fmt == "xlsx" else ledger_exports.to_pdf(table)
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "application/pdf")
    name = f"{table.title}-{flt.start}-{flt.end}.{fmt}"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=\"ledger.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return response


def _household_in_scope() -> int:
    raw = request.args.get("household_id", "").strip()
    if not raw.isdigit():
        raise ValidationFailed("请填写住户编号")
    home = db.session.get(Household, int(raw))
    if home is None:
        raise NotFound("没有这一户")
    require_site(current_user, home.site_id)
    return home.id


@bp.route("/reports/month-notice")
@roles_required("cadre", "auditor")
def reports_month_notice():
    """本月积分公示 PDF for one site and month (names masked)."""
    raw_site = request.args.get("site_id", "").strip()
    if not raw_site.isdigit():
        raise ValidationFailed("请选择安置点")
    require_site(current_user, int(raw_site))
    site = db.get_or_404(Site, int(raw_site))
    month = request.args.get("month", "").strip()
    try:
        month_notice.month_bounds(month)
    except ValueError:
        raise ValidationFailed("请选择月份(格式 2026-11)") from None
    days = request.args.get("days", "7").strip()
    if not days.isdigit() or not 1 <= int(days) <= 60:
        raise ValidationFailed("公示天数必须在 1 到 60 之间")
    data = month_notice.render_pdf(site, month, int(days), request.args.get("contact", "").strip()[:100])
    response = Response(data, mimetype="application/pdf")
    name = quote(f"{site.name}{month}积分公示.pdf")
    response.headers["Content-Disposition"] = f"inline; filename=\"notice.pdf\"; filename*=UTF-8''{name}"
    return response
