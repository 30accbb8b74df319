"""Year-end policy page: the configured policy per county, a dry run, and the one real run."""
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.ledger.forms import YearEndQueryForm, YearEndRunForm
from extensions import db
from models.clock import local_today
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.ledger import exports as ledger_exports
from services.ledger import year_end

PREVIEW_ROWS = 500


def _county_and_year():
    """The county and year of the query string: the first county and last year when left out; a bad
    value is refused (400) with the field's message."""
    form = YearEndQueryForm(request.args)
    if not form.validate():
        raise ValidationFailed(next(iter(form.errors.values()))[0])
    counties = year_end.counties()
    if form.county_id.data is not None:
        county = year_end.get_county(form.county_id.data)
    else:
        county = counties[0] if counties else None
    return counties, county, form.year.data or local_today().year - 1


@bp.route("/year-end")
@roles_required()
def year_end_page():
    counties, county, year = _county_and_year()
    return _page(counties, county, year, YearEndRunForm(formdata=None))


def _page(counties, county, year: int, form: YearEndRunForm):
    plan = year_end.dry_run(county, year) if county else None
    done = year_end.find_run(county, year) if county else None
    return render_template("admin/year_end/index.html", counties=counties, county=county, year=year, plan=plan,
                           done=done, runs=year_end.runs(), preview=PREVIEW_ROWS, form=form,
                           can_run=plan is not None and done is None)


@bp.route("/year-end/dry-run.xlsx")
@roles_required()
def year_end_dry_run_xlsx():
    _counties, county, year = _county_and_year()
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
    form = YearEndRunForm()
    county_ok = form.county_id.validate(form) and form.year.validate(form)
    if not county_ok:
        raise ValidationFailed(next(iter(form.errors.values()))[0])
    county = year_end.get_county(form.county_id.data)
    year = form.year.data
    target = url_for("admin.year_end_page", county_id=county.id, year=year)
    if year_end.find_run(county, year) is not None:
        flash(f"{county.name}{year}年的年末处理已经执行过,不会重复执行", "error")
        return redirect(target)
    page = lambda: _page(year_end.counties(), county, year, form)  # noqa: E731
    if not form.validate():
        return refused(page)
    try:
        record = year_end.run(current_user, county, year)
    except year_end.AlreadyRun:
        db.session.rollback()  # another administrator's run won the race: the same answer as above
        flash(f"{county.name}{year}年的年末处理已经执行过,不会重复执行", "error")
        return redirect(target)
    except Forbidden:
        raise
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"年末处理已执行:{record.policy_label},{record.households} 户共 {record.points} 分过期", "success")
    return redirect(target)
