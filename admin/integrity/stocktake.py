"""盘点: the monthly stocktake sheet, its counts and posting, and stock mismatches."""
from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.integrity import _done
from admin.integrity.forms import StocktakeOpenForm, stocktake_sheet_form
from admin.scope import chosen_site, scoped_arg
from extensions import db
from models import Site
from models.clock import local_today
from models.fund import Stocktake
from services.errors import DomainError
from services.staff.scope import sites_in_scope
from services.supermarket import stocktake as stocktakes

#: who may open, count and post a stocktake (auditors only read)
COUNTERS = ("admin", "shopkeeper", "cadre")


@scoped_arg("stocktake_id")
def _stocktake_site(stocktake_id):
    return db.session.execute(select(Stocktake.site_id).where(Stocktake.id == stocktake_id)).scalar_one_or_none()


@bp.route("/integrity/stocktake", methods=["GET", "POST"])
@roles_required("shopkeeper", "cadre", "auditor")
def integrity_stocktake():
    site = chosen_site()
    form = StocktakeOpenForm()
    if not form.is_submitted():
        return _page(site, form)
    if not current_user.has_role(*COUNTERS):
        abort(403)
    if not form.validate():
        return refused(lambda: _page(site, form))
    try:
        take = stocktakes.open_stocktake(current_user, site.id, *form.month.data)
    except DomainError as error:
        return refused(lambda: _page(site, form), error)
    return _done("admin.integrity_stocktake_sheet", "已生成盘点表,请逐项填写实盘数量", stocktake_id=take.id)


def _page(site: Site, form: StocktakeOpenForm):
    rows = list(stocktakes.mismatches(current_user))
    takes = list(db.session.execute(select(Stocktake).where(Stocktake.site_id == site.id)
                                    .order_by(Stocktake.year.desc(), Stocktake.month.desc())).scalars())
    return render_template("admin/integrity/stocktake.html", site=site, sites=sites_in_scope(current_user), rows=rows,
                           takes=takes, form=form, month=form.month._value() or local_today().strftime("%Y-%m"),
                           can_open=current_user.has_role(*COUNTERS))


@bp.route("/integrity/stocktake/<int:stocktake_id>", methods=["GET", "POST"])
@roles_required("shopkeeper", "cadre", "auditor")
def integrity_stocktake_sheet(stocktake_id: int):
    take = stocktakes.get_stocktake(stocktake_id)
    form = stocktake_sheet_form(take)(data={**{f"count-{line.goods_id}": line.counted_qty for line in take.lines},
                                            **{f"reason-{line.goods_id}": line.reason for line in take.lines}})
    if not form.is_submitted():
        return _sheet_page(take, form)
    if not current_user.has_role(*COUNTERS):
        abort(403)
    if not form.validate():
        return refused(lambda: _sheet_page(take, form))
    try:
        stocktakes.record_counts(current_user, take, form.counts(), form.reasons())
        if form.action.data == "post":
            result = stocktakes.post_stocktake(current_user, take)
            return _done("admin.integrity_stocktake_sheet",
                         f"盘点已过账:{result['posted']} 项差异已调整,{result['pending']} 项等待复核",
                         stocktake_id=take.id)
    except DomainError as error:
        return refused(lambda: _sheet_page(stocktakes.get_stocktake(stocktake_id), form), error)
    return _done("admin.integrity_stocktake_sheet", "已保存", stocktake_id=take.id)


def _sheet_page(take: Stocktake, form):
    """The sheet; the inputs show the typed values of a refused form, else the saved counts."""
    editable = take.status == "draft"
    return render_template("admin/integrity/stocktake_sheet.html", take=take, site=db.session.get(Site, take.site_id),
                           form=form, editable=editable, can_post=editable and current_user.has_role(*COUNTERS))
