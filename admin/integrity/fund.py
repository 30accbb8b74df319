"""The points fund (资金台账): dashboard, ledger and its exports, points adjustments (maker-checker)."""
from flask import abort, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.integrity import _done, _failed, _form_id
from admin.scope import chosen_site, scoped_arg
from extensions import db
from models import StaffUser
from models.clock import local_today
from models.fund import FUND_KINDS, FUND_SOURCES, PointsAdjustment
from models.goods import STOCK_SOURCES
from services.errors import DomainError
from services.integrity import fund, fund_exports
from services.staff.scope import sites_in_scope


@scoped_arg("adjustment_id")
def _adjustment_site(adjustment_id):
    return db.session.execute(select(PointsAdjustment.site_id)
                              .where(PointsAdjustment.id == adjustment_id)).scalar_one_or_none()

@bp.route("/integrity/fund")
@roles_required("cadre", "auditor", "shopkeeper")
def integrity_fund():
    return render_template("admin/integrity/fund.html", data=fund.dashboard(current_user), yuan=fund.yuan)


@bp.route("/integrity/fund/ledger", methods=["GET", "POST"])
@roles_required("cadre", "auditor", "shopkeeper")
def integrity_fund_ledger():
    site = chosen_site()
    if request.method == "POST":
        if not current_user.has_role("admin", "cadre", "shopkeeper"):
            abort(403)
        form = request.form
        try:
            action = form.get("action")
            if action == "money":
                fund.receive_money(current_user, site.id, form.get("amount"), form.get("source"),
                                   form.get("source_name"), form.get("reference"), form.get("entry_date"),
                                   form.get("note"))
            elif action == "value":
                fund.value_stock_in(current_user, form.get("movement_id", type=int), form.get("unit_cost"),
                                    form.get("reference"), form.get("note"))
            elif action == "reverse":
                entry = db.session.get(fund.FundEntry, form.get("entry_id", type=int) or 0)
                if entry is None or entry.site_id != site.id:
                    abort(404)
                fund.reverse(current_user, entry.id, form.get("reason"))
            else:
                abort(400)
            return _done("admin.integrity_fund_ledger", "已记入资金台账", site_id=site.id)
        except DomainError as error:
            return _failed(error, "admin.integrity_fund_ledger", site_id=site.id)
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
    return render_template("admin/integrity/fund_ledger.html", site=site, sites=sites_in_scope(current_user),
                           entries=fund.entries(site.id, year), year=year, kinds=FUND_KINDS, sources=FUND_SOURCES,
                           labels={**STOCK_SOURCES, **FUND_SOURCES},
                           unvalued=fund.unvalued_stock_ins(site.id), yuan=fund.yuan,
                           cash=fund.cash_balance(site.id), today=local_today())


@bp.route("/integrity/adjustments", methods=["GET", "POST"])
@roles_required("cadre")
def integrity_adjustments():
    if request.method == "POST":
        try:
            _form_id("household_id")
            fund.request_adjustment(current_user, request.form.get("household_id", type=int) or 0,
                                    request.form.get("points"), request.form.get("reason"))
            return _done("admin.integrity_adjustments", "调整申请已提交,须由另一位工作人员复核后入账")
        except DomainError as error:
            return _failed(error, "admin.integrity_adjustments")
    rows = fund.pending_adjustments(current_user)
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    return render_template("admin/integrity/adjustments.html", rows=rows, names=names)


@bp.route("/integrity/adjustments/<int:adjustment_id>/decide", methods=["POST"])
@roles_required("cadre")
def integrity_adjustment_decide(adjustment_id: int):
    try:
        fund.decide_adjustment(current_user, adjustment_id, request.form.get("decision") == "confirm",
                               request.form.get("note"))
        return _done("admin.integrity_adjustments", "已复核")
    except DomainError as error:
        return _failed(error, "admin.integrity_adjustments")

