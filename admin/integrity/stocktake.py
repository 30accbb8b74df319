"""盘点: the monthly stocktake sheet, its counts and posting, and stock mismatches."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.integrity import _done, _failed
from admin.scope import chosen_site, scoped_arg
from extensions import db
from models import Site
from models.clock import local_today
from models.fund import Stocktake
from services.errors import DomainError
from services.staff.scope import sites_in_scope
from services.supermarket import stocktake as stocktakes


@scoped_arg("stocktake_id")
def _stocktake_site(stocktake_id):
    return db.session.execute(select(Stocktake.site_id).where(Stocktake.id == stocktake_id)).scalar_one_or_none()


@bp.route("/integrity/stocktake", methods=["GET", "POST"])
@roles_required("shopkeeper", "cadre", "auditor")
def integrity_stocktake():
    site = chosen_site()
    if request.method == "POST":
        if not current_user.has_role("admin", "shopkeeper", "cadre"):
            abort(403)
        try:
            year, month = (int(x) for x in (request.form.get("month") or "").split("-"))
        except ValueError:
            flash("月份格式应为 2026-01", "error")
            return redirect(url_for("admin.integrity_stocktake", site_id=site.id))
        try:
            take = stocktakes.open_stocktake(current_user, site.id, year, month)
            return _done("admin.integrity_stocktake_sheet", "已生成盘点表,请逐项填写实盘数量", stocktake_id=take.id)
        except DomainError as error:
            return _failed(error, "admin.integrity_stocktake", site_id=site.id)
    rows = [m for m in stocktakes.mismatches(current_user)]
    takes = list(db.session.execute(select(Stocktake).where(Stocktake.site_id == site.id)
                                    .order_by(Stocktake.year.desc(), Stocktake.month.desc())).scalars())
    return render_template("admin/integrity/stocktake.html", site=site, sites=sites_in_scope(current_user), rows=rows, takes=takes,
                           month=local_today().strftime("%Y-%m"))


@bp.route("/integrity/stocktake/<int:stocktake_id>", methods=["GET", "POST"])
@roles_required("shopkeeper", "cadre", "auditor")
def integrity_stocktake_sheet(stocktake_id: int):
    take = stocktakes.get_stocktake(stocktake_id)
    if request.method == "POST":
        if not current_user.has_role("admin", "shopkeeper", "cadre"):
            abort(403)
        counts = {k[6:]: v for k, v in request.form.items() if k.startswith("count-")}
        reasons = {k[7:]: v for k, v in request.form.items() if k.startswith("reason-")}
        try:
            stocktakes.record_counts(current_user, take, counts, reasons)
            if request.form.get("action") == "post":
                result = stocktakes.post_stocktake(current_user, take)
                return _done("admin.integrity_stocktake_sheet",
                             f"盘点已过账:{result['posted']} 项差异已调整,{result['pending']} 项等待复核",
                             stocktake_id=take.id)
            return _done("admin.integrity_stocktake_sheet", "已保存", stocktake_id=take.id)
        except DomainError as error:
            return _failed(error, "admin.integrity_stocktake_sheet", stocktake_id=take.id)
    return render_template("admin/integrity/stocktake_sheet.html", take=take, site=db.session.get(Site, take.site_id))


