"""Staff users (系统管理员 only): list, create, edit roles and scope, disable, reset password."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.scope import unscoped_arg
from admin.staff.forms import StaffForm
from extensions import db
from models import Area, Site, StaffUser
from models.staff import ROLES
from services.errors import ValidationFailed
from services.staff import users as staff_users

unscoped_arg("staff_id")  # staff pages are admin-only and county-wide


@bp.route("/staff")
@roles_required("admin")
def staff_list():
    users = db.session.execute(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.username)).scalars().all()
    return render_template("admin/staff/list.html", users=users, roles=ROLES, **_scope_names())


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required("admin")
def staff_new():
    return _edit(None, StaffForm())


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def staff_edit(staff_id: int):
    user = db.get_or_404(StaffUser, staff_id)
    form = StaffForm(obj=user)
    if not form.is_submitted():
        form.roles.data = sorted(user.roles)
        form.areas.data = [s.area_id for s in user.scopes if s.area_id]
        form.sites.data = [s.site_id for s in user.scopes if s.site_id]
    return _edit(user, form)


def _edit(user, form: StaffForm):
    names = _scope_names()
    form.areas.choices = [(a.id, label) for a, label in names["area_options"]]
    form.sites.choices = [(s.id, f"{s.name}({s.code})") for s in names["site_options"]]
    if form.validate_on_submit():
        data = staff_users.StaffData(
            username=form.username.data, display_name=form.display_name.data, phone=form.phone.data or "",
            roles=form.roles.data, area_ids=form.areas.data or [], site_ids=form.sites.data or [],
            active=form.active.data, household_id=form.household_id.data or None,
            password=form.password.data or "")
        try:
            staff_users.save(current_user, user, data)
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff/form.html", form=form, user=user)


def _scope_names() -> dict:
    areas = db.session.execute(select(Area)).scalars().all()
    by_id = {a.id: a for a in areas}

    def label(area):
        parts, node = [], area
        while node is not None:
            parts.append(node.name)
            node = by_id.get(node.parent_id)
        return " / ".join(reversed(parts))

    options = sorted(((a, label(a)) for a in areas), key=lambda pair: pair[1])
    sites = db.session.execute(select(Site).order_by(Site.code)).scalars().all()
    return {"area_options": options, "site_options": sites, "area_labels": {a.id: l for a, l in options},
            "site_labels": {s.id: s.name for s in sites}}
