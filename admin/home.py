"""The staff home page: households and outstanding points in the user's scope."""
from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from admin import bp
from extensions import db
from models import Household, Site
from services.staff.scope import scope_filter


@bp.route("/")
@login_required
def dashboard():
    in_scope = scope_filter(current_user, Household.site_id)
    totals = db.session.execute(
        select(func.count(Household.id), func.coalesce(func.sum(Household.balance), 0))
        .where(in_scope, Household.status == "active")
    ).one()
    sites = db.session.execute(
        select(Site.name, func.count(Household.id), func.coalesce(func.sum(Household.balance), 0))
        .join(Household, Household.site_id == Site.id)
        .where(in_scope).group_by(Site.name).order_by(Site.name)
    ).all()
    return render_template("admin/dashboard.html", households=totals[0], outstanding=totals[1], sites=sites)

