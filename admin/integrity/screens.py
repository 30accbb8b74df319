"""Integrity screens: recusal declarations, anomaly audit, two-person goods controls, stocktake (盘点),
the points fund (资金台账) and its dashboard and exports."""
from flask import request

from admin import bp
from extensions import db
from services.integrity import recusal


@bp.after_app_request
def _write_recusal_refusals(response):
    """A refusal rolled back with its request is written to the audit log here (also for the kiosk API)."""
    try:
        recusal.write_pending_refusals()
    except Exception:  # never turn a refusal page into a 500
        db.session.rollback()
    return response


def hold_stock_change(goods, form) -> bool:
    """Called by the goods page before a loss/adjustment: True when it went to the second-person queue
    (committed and flashed) or was refused (flashed); False when it is small and the page goes on."""
    from flask import flash
    from flask_login import current_user

    from services.supermarket import stocktake
    from services.errors import DomainError

    try:
        quantity = int(str(form.get("quantity")).strip())
    except (TypeError, ValueError):
        return False  # the goods service gives the clear message
    if abs(quantity) * goods.price <= stocktake.threshold():
        return False
    try:
        _, control = stocktake.change_stock(current_user, goods, quantity, form.get("kind"), form.get("note"))
        db.session.commit()
        flash(f"数量较大(价值 {control.points_value} 分),已提交,须由另一位工作人员复核后生效", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return True


def hold_void(row, reason) -> bool:
    """Called by the redemption page before a void: True when the void waits for a second person."""
    from flask import flash
    from flask_login import current_user

    from services.supermarket import stocktake
    from services.errors import DomainError

    if row.total_points <= stocktake.threshold():
        return False
    try:
        stocktake.request_void(current_user, row.id, reason)
        db.session.commit()
        flash("金额较大,作废申请已提交,须由另一位工作人员复核后生效", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return True


# ================================================================== screens
from datetime import date  # noqa: E402

from flask import abort, flash, redirect, render_template, send_file, url_for  # noqa: E402
from flask_login import current_user  # noqa: E402
from sqlalchemy import select  # noqa: E402

from admin.auth import roles_required  # noqa: E402
from admin.scope import chosen_site, scoped_arg  # noqa: E402
from models import Household, Site, StaffUser  # noqa: E402
from models.clock import local_today  # noqa: E402
from models.fund import CONTROL_KINDS, CONTROL_STATUSES, FUND_KINDS, FUND_SOURCES, GoodsControl, PointsAdjustment  # noqa: E402,E501
from models.fund import Stocktake  # noqa: E402
from models.goods import STOCK_SOURCES  # noqa: E402
from services.integrity import anomalies, fund, fund_exports  # noqa: E402
from services.supermarket import stocktake as stocktakes  # noqa: E402
from services.staff.scope import sites_in_scope, allowed_site_ids  # noqa: E402
from services.errors import DomainError, ValidationFailed  # noqa: E402

STAFF = ("cadre", "committee", "shopkeeper", "auditor")


@scoped_arg("control_id")
def _control_site(control_id):
    return db.session.execute(select(GoodsControl.site_id).where(GoodsControl.id == control_id)).scalar_one_or_none()


@scoped_arg("stocktake_id")
def _stocktake_site(stocktake_id):
    return db.session.execute(select(Stocktake.site_id).where(Stocktake.id == stocktake_id)).scalar_one_or_none()


@scoped_arg("adjustment_id")
def _adjustment_site(adjustment_id):
    return db.session.execute(select(PointsAdjustment.site_id)
                              .where(PointsAdjustment.id == adjustment_id)).scalar_one_or_none()




def _form_id(name: str) -> str:
    """The form value; an integer that cannot be an id (≤ 0, beyond the database integer) is refused here."""
    raw = (request.form.get(name) or "").strip()
    try:
        number = int(raw)
    except ValueError:
        return raw
    if not 0 < number < 2**31:
        raise ValidationFailed("所选的记录不存在,请刷新后重试")
    return raw


def _done(endpoint: str, message: str, **args):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **args))


def _failed(error: DomainError, endpoint: str, **args):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for(endpoint, **args))


# ------------------------------------------------------------------ recusal
@bp.route("/integrity/recusal", methods=["GET", "POST"])
@roles_required(*STAFF)
def integrity_recusal():
    if request.method == "POST":
        try:
            _form_id("user_id")
            user_id = request.form.get("user_id", type=int) or current_user.id
            recusal.declare(current_user, user_id, _form_id("household_id"), request.form.get("relation"))
            return _done("admin.integrity_recusal", "已登记回避:今后不能为这一户记分、评分、审批或办理")
        except DomainError as error:
            return _failed(error, "admin.integrity_recusal")
    mine = None if current_user.has_role("admin") else current_user.id
    rows = recusal.declarations(mine)
    users = {u.id: u for u in db.session.execute(select(StaffUser)).scalars()}
    homes = {h.id: h for h in db.session.execute(
        select(Household).where(Household.id.in_({r.household_id for r in rows} | {u.household_id for u in users.values()
                                                                                    if u.household_id}))).scalars()}
    return render_template("admin/integrity/recusal.html", rows=rows, users=users, homes=homes)


@bp.route("/integrity/recusal/withdraw", methods=["POST"])
@roles_required()
def integrity_recusal_withdraw():
    try:
        _form_id("declaration_id")
        recusal.withdraw(current_user, request.form.get("declaration_id", type=int))
        return _done("admin.integrity_recusal", "已撤销这条回避申报")
    except DomainError as error:
        return _failed(error, "admin.integrity_recusal")


# ------------------------------------------------------------------ anomalies
def _period():
    start, end = anomalies.default_period()
    try:
        start = date.fromisoformat(request.args["start"]) if request.args.get("start") else start
        end = date.fromisoformat(request.args["end"]) if request.args.get("end") else end
    except ValueError:
        abort(400, "日期格式应为 年-月-日")
    if end < start or (end - start).days > 400:
        abort(400, "核查期间应在 400 天以内,且结束不早于开始")
    return start, end


@bp.route("/integrity/anomalies")
@roles_required("auditor", "cadre", "committee")
def integrity_anomalies():
    start, end = _period()
    try:
        thresholds = anomalies.Thresholds.from_form(request.args)
    except DomainError as error:
        flash(error.message, "error")
        thresholds = anomalies.Thresholds()
    findings = anomalies.find(start, end, thresholds, allowed_site_ids(current_user))
    if request.args.get("open"):
        findings = [f for f in findings if f.check is None]
    return render_template("admin/integrity/anomalies.html", findings=findings, rules=anomalies.RULES,
                           t=thresholds, start=start, end=end, sites={s.id: s for s in sites_in_scope(current_user)})


@bp.route("/integrity/anomalies/check", methods=["POST"])
@roles_required("auditor", "cadre", "committee")
def integrity_anomaly_check():
    back = request.form.get("back") or url_for("admin.integrity_anomalies")
    if not back.startswith("/admin/"):
        back = url_for("admin.integrity_anomalies")
    try:
        anomalies.mark_checked(current_user, request.form.get("rule", ""), request.form.get("fingerprint", ""),
                               request.form.get("note"))
        db.session.commit()
        flash("已标记为已核查", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(back)


# ------------------------------------------------------------------ two-person controls
@bp.route("/integrity/controls")
@roles_required("shopkeeper", "cadre", "auditor")
def integrity_controls():
    status = request.args.get("status", "pending")
    rows = stocktakes.controls(current_user, status if status in CONTROL_STATUSES else None)
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    return render_template("admin/integrity/controls.html", rows=rows, names=names, kinds=CONTROL_KINDS,
                           statuses=CONTROL_STATUSES, status=status, threshold=stocktakes.threshold())


@bp.route("/integrity/controls/<int:control_id>/decide", methods=["POST"])
@roles_required("shopkeeper", "cadre")
def integrity_control_decide(control_id: int):
    try:
        stocktakes.decide(current_user, control_id, request.form.get("decision") == "confirm", request.form.get("note"))
        return _done("admin.integrity_controls", "已复核")
    except DomainError as error:
        return _failed(error, "admin.integrity_controls")


# ------------------------------------------------------------------ stocktake
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


# ------------------------------------------------------------------ points fund
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


# ------------------------------------------------------------------ points adjustments (maker-checker)
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


@bp.route("/integrity/entries")
@roles_required("auditor", "cadre", "committee")
def integrity_entries():
    """The ledger entries a finding is about (?ids=1,2,3), within the user's sites."""
    from models import LedgerEntry
    from models.clock import to_local
    from services.households.registry import LEDGER_KIND_LABELS as labels

    raw = (request.args.get("ids") or "").split(",")
    ids = sorted({int(x) for x in raw if x.strip().isdecimal() and 0 < int(x) < 2**31})[:500]
    query = select(LedgerEntry).where(LedgerEntry.id.in_(ids or [-1]))
    allowed = allowed_site_ids(current_user)
    if allowed is not None:
        query = query.where(LedgerEntry.site_id.in_(allowed or {-1}))
    rows = list(db.session.execute(query.order_by(LedgerEntry.id)).scalars())
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    homes = dict(db.session.execute(select(Household.id, Household.head_name)
                                    .where(Household.id.in_({r.household_id for r in rows} or {-1}))).all())
    return render_template("admin/integrity/entries.html", rows=rows, names=names, homes=homes, labels=labels,
                           to_local=to_local)
