"""包保: cadres, assigning households to them, ending and handing over responsibility."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.support import MANAGERS, READERS, _household
from admin.support.dashboard import household_page
from admin.support.forms import (
    AssignForm,
    BulkAssignForm,
    CadreForm,
    ReassignForm,
    UnassignForm,
)
from extensions import db
from models.support import Responsibility, SupportCadre
from services.errors import DomainError, Forbidden, ValidationFailed
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services.support import responsibility as support


@bp.route("/support/cadres", methods=["GET", "POST"])
@roles_required(*READERS)
def support_cadres():
    form = CadreForm()
    if form.is_submitted():
        if not current_user.has_role("admin", *MANAGERS):
            abort(403)
        if not form.validate():
            return refused(lambda: _cadres_page(form))
        try:
            cadre = support.create_cadre(current_user, form.name.data, form.phone.data, form.level.data or "village",
                                         form.unit.data, form.staff_user_id.data, form.area_id.data)
        except DomainError as error:
            return refused(lambda: _cadres_page(form), error)
        db.session.commit()
        flash(f"已登记包保责任人 {cadre.name}", "success")
        return redirect(url_for("admin.support_cadres"))
    return _cadres_page(form)


def _cadres_page(form, bulk_form=None):
    cadres = db.session.execute(select(SupportCadre).order_by(SupportCadre.active.desc(), SupportCadre.name)).scalars().all()
    loads = support.cadre_loads()
    manager = current_user.has_role("admin", *MANAGERS)
    sites = sites_in_scope(current_user)
    areas = {a.id: a for s in sites for a in (s.area, s.area.parent) if a is not None and a.level != "county"}
    return render_template("admin/support/cadres.html", cadres=cadres, loads=loads, quota=support.quota(),
                           sites=sites, areas=sorted(areas.values(), key=lambda a: (a.level != "township", a.id)), form=form, bulk_form=bulk_form or BulkAssignForm(),
                           can_manage=manager,
                           can_reassign={c.id for c in cadres if manager and c.active and loads.get(c.id, 0)},
                           over_quota={c.id for c in cadres if loads.get(c.id, 0) > support.quota()})


@bp.route("/support/households/<int:household_id>/assign", methods=["POST"])
@roles_required(*MANAGERS)
def support_assign(household_id):
    home = _household(household_id)
    form = AssignForm()
    if not form.validate():
        return refused(lambda: household_page(home, assign_form=form))
    cadre = db.get_or_404(SupportCadre, form.cadre_id.data)
    try:
        support.assign(home, cadre, current_user, form.start_date.data)
    except DomainError as error:
        return refused(lambda: household_page(home, assign_form=form), error)
    warning = support.quota_warning(cadre)
    db.session.commit()
    flash(f"已安排 {cadre.name} 包保", "success")
    if warning:
        flash(warning, "error")
    return redirect(url_for("admin.support_household", household_id=home.id))


@bp.route("/support/responsibilities/<int:row_id>/end", methods=["POST"])
@roles_required(*MANAGERS)
def support_unassign(row_id):
    row = db.get_or_404(Responsibility, row_id)
    require_site(current_user, row.household.site_id)
    form = UnassignForm()
    try:
        form.validate()
        support.end_responsibility(row, current_user, form.reason.data or "")
    except DomainError as error:
        return refused(lambda: household_page(row.household), error)
    db.session.commit()
    flash("包保关系已结束(历史保留)", "success")
    return redirect(url_for("admin.support_household", household_id=row.household_id))


@bp.route("/support/bulk-assign", methods=["POST"])
@roles_required(*MANAGERS)
def support_bulk_assign():
    form = BulkAssignForm()
    if not form.validate():
        return refused(lambda: _cadres_page(CadreForm(formdata=None), form))
    require_site(current_user, form.site_id.data)
    cadre = db.get_or_404(SupportCadre, form.cadre_id.data)
    try:
        rows = support.bulk_assign(cadre, current_user, form.site_id.data, (form.building.data or "").strip() or None,
                                   only_priority=form.all_households.data != "1")
    except DomainError as error:
        return refused(lambda: _cadres_page(CadreForm(formdata=None), form), error)
    warning = support.quota_warning(cadre)
    db.session.commit()
    flash(f"已为 {cadre.name} 安排 {len(rows)} 户", "success")
    if warning:
        flash(warning, "error")
    return redirect(url_for("admin.support_cadres"))


@bp.route("/support/cadres/<int:cadre_id>/reassign", methods=["POST"])
@roles_required(*MANAGERS)
def support_reassign(cadre_id):
    old = db.get_or_404(SupportCadre, cadre_id)
    form = ReassignForm()
    if not form.validate():
        return refused(lambda: _cadres_page(CadreForm(formdata=None)), ValidationFailed(form.to_cadre_id.errors[0]))
    new = db.get_or_404(SupportCadre, form.to_cadre_id.data)
    allowed = allowed_site_ids(current_user)
    if allowed is not None:
        sites = {r.household.site_id for r in db.session.execute(select(Responsibility).where(
            Responsibility.cadre_id == old.id, Responsibility.end_date.is_(None))).scalars()}
        if not sites <= allowed:
            return refused(lambda: _cadres_page(CadreForm(formdata=None)),
                           Forbidden("这位干部包保的住户有不在您管理范围内的,请联系上级办理"))
    try:
        rows = support.reassign_cadre(old, new, current_user, (form.reason.data or "").strip() or "调离")
    except DomainError as error:
        return refused(lambda: _cadres_page(CadreForm(formdata=None)), error)
    db.session.commit()
    flash(f"{old.name} 的 {len(rows)} 户已转给 {new.name}", "success")
    return redirect(url_for("admin.support_cadres"))
