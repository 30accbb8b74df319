"""Year-end policy page: the configured policy per county, a dry run, and the one real run."""
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from extensions import db
from models.clock import local_today
from services.ledger import exports as ledger_exports
from services.ledger import year_end
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed

PREVIEW_ROWS = 500


def _county_and_year(source):
    counties = year_end.counties()
    raw = source.get("county_id", "")
    county = year_end.get_county(raw) if raw else (counties[0] if counties else None)
    try:
        year = int(source.get("year") or local_today().year - 1)
    except ValueError:
        raise ValidationFailed("年份必须是数字") from None
    if not 2000 <= year <= 2100:
        raise ValidationFailed("年份不对")
    return counties, county, year


@bp.route("/year-end")
@roles_required()
def year_end_page():
    counties, county, year = _county_and_year(request.args)
    plan = year_end.dry_run(county, year) if county else None
    return render_template("admin/year_end/index.html", counties=counties, county=county, year=year, plan=plan,
                           done=year_end.find_run(county, year) if county else None, runs=year_end.runs(),
                           preview=PREVIEW_ROWS)


@bp.route("/year-end/dry-run.xlsx")
@roles_required()
def year_end_dry_run_xlsx():
    _counties, county, year = _county_and_year(request.args)
    if county is None:
        raise NotFound("没有这个县")
    data = ledger_exports.to_xlsx(year_end.plan_table(year_end.dry_run(county, year)))
    response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = quote(f"{county.name}{year}年末处理试算.xlsx")
    response.headers["Content-Disposition"] = f"attachment; filename=\"year-end.xlsx\"; filename*=UTF-8''{name}"
    return response


@bp.route("/year-end/run", methods=["POST"])
@roles_required()
def year_end_run():
    _counties, county, year = _county_and_year(request.form)
    if county is None:
        raise NotFound("没有这个县")
    target = url_for("admin.year_end_page", county_id=county.id, year=year)
    if not request.form.get("confirm"):
        flash("请勾选“我已核对试算结果”后再执行", "error")
        return redirect(target)
    if year_end.find_run(county, year) is not None:
        flash(f"{county.name}{year}年的年末处理已经执行过,不会重复执行", "error")
        return redirect(target)
    try:
        record = year_end.run(current_user, county, year)
        db.session.commit()
        flash(f"年末处理已执行:{record.policy_label},{record.households} 户共 {record.points} 分过期", "success")
    except Forbidden:
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(target)
