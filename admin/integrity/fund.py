"""The points fund (资金台账): dashboard, ledger and its exports, points adjustments (maker-checker)."""
from flask import abort, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import _done, _first_error
from admin.integrity.forms import AdjustmentForm, DecisionForm, FundLedgerForm
from admin.scope import chosen_site, scoped_arg
from extensions import db
from models import StaffUser
from models.clock import local_today
from models.fund import FUND_KINDS, FUND_SOURCES, PointsAdjustment
from models.goods import STOCK_SOURCES
from services.errors import DomainError
from services.integrity import fund, fund_counties, fund_exports
from services.staff.scope import sites_in_scope


@scoped_arg("adjustment_id")
def _adjustment_site(adjustment_id):
    return db.session.execute(select(PointsAdjustment.site_id)
                              .where(PointsAdjustment.id == adjustment_id)).scalar_one_or_none()

@bp.route("/integrity/fund")
@roles_required("cadre", "auditor", "shopkeeper")
def integrity_fund():
    data = fund_counties.page(current_user, request.args.get("county_id", "").strip() or None)
    return render_template("admin/integrity/fund.html", data=data, yuan=fund.yuan)


@bp.route("/integrity/fund/ledger", methods=["GET", "POST"])
@roles_required("cadre", "auditor", "shopkeeper")
def integrity_fund_ledger():
    site = chosen_site()
    if request.method == "POST":
        return _record(site)
    year = request.args.get("year", type=int) or local_today().year
    fmt = request.args.get("format")
    if fmt:
        book = (fund_exports.goods_book if request.args.get("book") == "goods" else fund_exports.fund_book)(site, year)
        name = f"{book.title.replace(' ', '-')}"
        if fmt == "xlsx":
            return send_file(fund_exports.to_excel(book), as_attachment=True, download_name=f"{name}.xlsx",
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if fmt == "pdf":
            import io

            return send_file(io.BytesIO(fund_exports.to_pdf(book)), as_attachment=True, download_name=f"{name}.pdf",
                             mimetype="application/pdf")
        abort(400)
    return _ledger_page(site, year, FundLedgerForm(formdata=None))


def _record(site):
    """资金到账, 入库单计价 or 冲正 at `site`; a refusal shows the page again with the form's errors."""
    if not current_user.has_role("admin", "cadre", "shopkeeper"):
        abort(403)
    form = FundLedgerForm()
    page = lambda: _ledger_page(site, local_today().year, form)  # noqa: E731
    if not form.validate():
        return refused(page)
    try:
        if form.action.data == "money":
            fund.receive_money(current_user, site.id, form.amount.data, form.source.data, form.source_name.data,
                               form.reference.data, form.entry_date.data, form.note.data)
        elif form.action.data == "value":
            fund.value_stock_in(current_user, form.movement_id.data, form.unit_cost.data, form.reference.data,
                                form.note.data)
        else:
            entry = db.session.get(fund.FundEntry, form.entry_id.data)
            if entry is None or entry.site_id != site.id:
                abort(404)
            fund.reverse(current_user, entry.id, form.reason.data)
    except DomainError as error:
        return refused(page, error)
    return _done("admin.integrity_fund_ledger", "已记入资金台账", site_id=site.id)


def _ledger_page(site, year: int, form: FundLedgerForm):
    entries = fund.entries(site.id, year)
    reverser = current_user.has_role("admin", "cadre")
    return render_template("admin/integrity/fund_ledger.html", site=site, sites=sites_in_scope(current_user),
                           entries=entries, year=year, kinds=FUND_KINDS, sources=FUND_SOURCES,
                           labels={**STOCK_SOURCES, **FUND_SOURCES},
                           unvalued=fund.unvalued_stock_ins(site.id), yuan=fund.yuan,
                           cash=fund.cash_balance(site.id), today=local_today(), form=form,
                           can_record=current_user.has_role("admin", "cadre", "shopkeeper"),
                           can_reverse={e.id for e in entries if reverser and e.kind != "reversal"})


@bp.route("/integrity/adjustments", methods=["GET", "POST"])
@roles_required("cadre")
def integrity_adjustments():
    form = AdjustmentForm()
    if not form.is_submitted():
        return _adjustments_page(form)
    if not form.validate():
        return refused(lambda: _adjustments_page(form))
    try:
        fund.request_adjustment(current_user, form.household_id.data, form.points.data, form.reason.data)
    except DomainError as error:
        return refused(lambda: _adjustments_page(form), error)
    return _done("admin.integrity_adjustments", "调整申请已提交,须由另一位工作人员复核后入账")


def _adjustments_page(form: AdjustmentForm):
    rows = fund.pending_adjustments(current_user)
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    return render_template("admin/integrity/adjustments.html", rows=rows, names=names, form=form,
                           can_request=current_user.has_role("admin"),
                           can_decide={a.id for a in rows if a.requested_by_id != current_user.id})


@bp.route("/integrity/adjustments/<int:adjustment_id>/decide", methods=["POST"])
@roles_required("cadre")
def integrity_adjustment_decide(adjustment_id: int):
    form = DecisionForm()
    page = lambda: _adjustments_page(AdjustmentForm(formdata=None))  # noqa: E731
    if not form.validate():
        return refused(page, _first_error(form))
    try:
        fund.decide_adjustment(current_user, adjustment_id, form.decision.data == "confirm", form.note.data)
    except DomainError as error:
        return refused(page, error)
    return _done("admin.integrity_adjustments", "已复核")
