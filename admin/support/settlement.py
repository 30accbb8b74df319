"""包保 by kind: settlement leaders (安置点包保), 分类包保 of causes by departments, a household's causes,
and the coverage of each kind beside the 1-to-1 包保."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused, refused_on_field
from admin.support import MANAGERS, READERS, _household
from admin.support.forms import CauseAssignForm, CausesForm, LeaderForm
from extensions import db
from models import Site
from models.settlement import CAUSES
from services.errors import ValidationFailed
from services.staff.scope import require_site, sites_in_scope
from services.support import plans, settlement


def _page(leader_form=None, leader_site_id=None, cause_form=None):
    def page():
        sites = sites_in_scope(current_user)
        can_manage = current_user.has_role("admin", *MANAGERS)
        cov = settlement.coverage(sites)
        counts = {row.site.id: row.households for row in cov.sites}
        return render_template(
            "admin/support/settlements.html", cov=cov, threshold=settlement.threshold(), can_manage=can_manage,
            choices=settlement.leader_choices_by_site(sites, counts) if can_manage else {},
            leader_form=leader_form or LeaderForm(formdata=None), leader_site_id=leader_site_id,
            cause_form=cause_form or CauseAssignForm(formdata=None), causes=CAUSES,
            towns=[t for t in plans.townships_in_scope(current_user) if plans.can_manage(current_user, t.id)],
            departments=settlement.department_cadres())
    return page


@bp.route("/support/settlements")
@roles_required(*READERS)
def support_settlements():
    return _page()()


@bp.route("/support/settlements/<int:site_id>/leader", methods=["POST"])
@roles_required(*MANAGERS)
def support_settlement_leader(site_id):
    site = db.get_or_404(Site, site_id)
    require_site(current_user, site.id)
    form = LeaderForm()
    page = _page(leader_form=form, leader_site_id=site.id)
    if not form.validate():
        return refused(page)
    try:
        row = settlement.set_leader(current_user, site, form.cadre_id.data, form.start_date.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash(f"{site.name} 的包保领导为 {row.cadre.name}", "ok")
    return redirect(url_for("admin.support_settlements"))


@bp.route("/support/settlements/causes", methods=["POST"])
@roles_required(*MANAGERS)
def support_cause_assign():
    form = CauseAssignForm()
    page = _page(cause_form=form)
    if not form.validate():
        return refused(page)
    try:
        row = settlement.assign_cause(current_user, area_id=form.area_id.data, cause=form.cause.data or "",
                                      cadre_id=form.cadre_id.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash(f"{row.cadre.unit} 承担 {row.area.name} {row.cause_label}户的分类包保", "ok")
    return redirect(url_for("admin.support_settlements"))


@bp.route("/support/households/<int:household_id>/causes", methods=["GET", "POST"])
@roles_required(*READERS)
def support_household_causes(household_id):
    home = _household(household_id)
    form = CausesForm(data={"causes": settlement.causes_of(home.id)})

    def page():
        return render_template("admin/support/household_causes.html", home=home, form=form, causes=CAUSES,
                               can_edit=current_user.has_role("admin", *MANAGERS))

    if not form.is_submitted():
        return page()
    if not current_user.has_role("admin", *MANAGERS):
        flash("您的角色只能查看", "error")
        return page(), 403
    form = CausesForm()
    try:
        settlement.set_causes(current_user, home, form.causes.data or [])
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash("已保存致贫/风险原因", "ok")
    return redirect(url_for("admin.support_household", household_id=home.id))
