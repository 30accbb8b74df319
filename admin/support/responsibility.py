"""包保: cadres, assigning households to them, ending and handing over responsibility."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.support import MANAGERS, READERS, _date, _household, _int
from extensions import db
from models.support import (
    Responsibility,
    SupportCadre,
)
from services.errors import ValidationFailed
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services.support import responsibility as support


def _cadre_choices():
    return db.session.execute(select(SupportCadre).where(SupportCadre.active).order_by(SupportCadre.name)).scalars().all()


@bp.route("/support/cadres", methods=["GET", "POST"])
@roles_required(*READERS)
def support_cadres():
    if request.method == "POST":
        if not current_user.has_role("admin", *MANAGERS):
            abort(403)
        form = request.form
        staff_id = _int(form["staff_user_id"]) if form.get("staff_user_id") else None
        cadre = support.create_cadre(current_user, form.get("name"), form.get("phone"), form.get("level", "village"),
                                     form.get("unit"), staff_id)
        db.session.commit()
        flash(f"已登记包保责任人 {cadre.name}", "success")
        return redirect(url_for("admin.support_cadres"))
    cadres = db.session.execute(select(SupportCadre).order_by(SupportCadre.active.desc(), SupportCadre.name)).scalars().all()
    return render_template("admin/support/cadres.html", cadres=cadres, loads=support.cadre_loads(),
                           quota=support.quota(), sites=sites_in_scope(current_user))


@bp.route("/support/households/<int:household_id>/assign", methods=["POST"])
@roles_required(*MANAGERS)
def support_assign(household_id):
    home = _household(household_id)
    cadre = db.get_or_404(SupportCadre, _int(request.form.get("cadre_id"), "请选择包保责任人"))
    support.assign(home, cadre, current_user, _date("start_date"))
    warning = support.quota_warning(cadre)
    db.session.commit()
    flash(f"已安排 {cadre.name} 包保", "success")
    if warning:
        flash("⚠ " + warning, "error")
    return redirect(url_for("admin.support_household", household_id=home.id))


@bp.route("/support/responsibilities/<int:row_id>/end", methods=["POST"])
@roles_required(*MANAGERS)
def support_unassign(row_id):
    row = db.get_or_404(Responsibility, row_id)
    require_site(current_user, row.household.site_id)
    support.end_responsibility(row, current_user, request.form.get("reason", ""))
    db.session.commit()
    flash("包保关系已结束(历史保留)", "success")
    return redirect(url_for("admin.support_household", household_id=row.household_id))


@bp.route("/support/bulk-assign", methods=["POST"])
@roles_required(*MANAGERS)
def support_bulk_assign():
    site_id = _int(request.form.get("site_id"), "请选择安置点")
    require_site(current_user, site_id)
    cadre = db.get_or_404(SupportCadre, _int(request.form.get("cadre_id"), "请选择包保责任人"))
    rows = support.bulk_assign(cadre, current_user, site_id, request.form.get("building") or None,
                               only_priority=request.form.get("all_households") != "1")
    warning = support.quota_warning(cadre)
    db.session.commit()
    flash(f"已为 {cadre.name} 安排 {len(rows)} 户", "success")
    if warning:
        flash("⚠ " + warning, "error")
    return redirect(url_for("admin.support_cadres"))


@bp.route("/support/cadres/<int:cadre_id>/reassign", methods=["POST"])
@roles_required(*MANAGERS)
def support_reassign(cadre_id):
    old = db.get_or_404(SupportCadre, cadre_id)
    new = db.get_or_404(SupportCadre, _int(request.form.get("to_cadre_id"), "请选择接手的包保责任人"))
    allowed = allowed_site_ids(current_user)
    if allowed is not None:
        sites = {r.household.site_id for r in db.session.execute(select(Responsibility).where(
            Responsibility.cadre_id == old.id, Responsibility.end_date.is_(None))).scalars()}
        if not sites <= allowed:
            raise ValidationFailed("这位干部包保的住户有不在您管理范围内的,请联系上级办理")
    rows = support.reassign_cadre(old, new, current_user, request.form.get("reason") or "调离")
    db.session.commit()
    flash(f"{old.name} 的 {len(rows)} 户已转给 {new.name}", "success")
    return redirect(url_for("admin.support_cadres"))

