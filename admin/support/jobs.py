"""创业就业台账: the working-age members of the sites in scope with their employment, the classified
statistics per village, one member's record and subsidies, and the export."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused, refused_on_field
from admin.support import MANAGERS, READERS, attachment
from admin.support.forms import EmploymentForm, SubsidyForm
from extensions import db
from models import Member
from models.clock import local_today
from models.employment import EMPLOYMENT_STATUSES, SUBSIDY_KINDS
from services.errors import ValidationFailed
from services.staff.scope import require_site, sites_in_scope
from services.support import jobs


def _scope():
    """The sites listed (all in scope, or the one chosen) and the status filter."""
    sites = sites_in_scope(current_user)
    site_id = request.args.get("site_id", type=int)
    if site_id:
        require_site(current_user, site_id)
        sites = [s for s in sites if s.id == site_id]
    status = request.args.get("status")
    return sites, status if status in (*EMPLOYMENT_STATUSES, jobs.NOT_SURVEYED) else None


@bp.route("/support/jobs")
@roles_required(*READERS)
def support_jobs():
    sites, status = _scope()
    everyone = jobs.working_members([s.id for s in sites])
    counts, total = jobs.statistics(everyone, sites)  # the statistics always count every status
    return render_template("admin/support/jobs.html", rows=jobs.with_status(everyone, status), counts=counts, total=total,
                           sites=sites_in_scope(current_user), args=request.args, statuses=EMPLOYMENT_STATUSES,
                           not_surveyed=jobs.NOT_SURVEYED, working_age=jobs.WORKING_AGE)


@bp.route("/support/jobs/export.xlsx")
@roles_required(*READERS)
def support_jobs_export():
    sites, status = _scope()
    rows = jobs.working_members([s.id for s in sites], status)
    counts, total = jobs.statistics(rows, sites)
    data = jobs.export_xlsx(rows, counts, total, local_today())
    return attachment(data, "创业就业台账.xlsx")


def _member(member_id) -> Member:
    member = db.get_or_404(Member, member_id)
    require_site(current_user, member.household.site_id)
    return member


def _member_page(member, record, form, subsidy_form):
    """One member's record page: the employment form, the subsidies and the subsidy form."""
    def page():
        return render_template("admin/support/job_member.html", member=member, home=member.household,
                               form=form, subsidy_form=subsidy_form, subsidies=jobs.subsidies_of(member),
                               record=record, age=jobs.age_on(member.id_number, local_today()),
                               statuses=EMPLOYMENT_STATUSES, kinds=SUBSIDY_KINDS,
                               can_edit=current_user.has_role("admin", *MANAGERS))
    return page


@bp.route("/support/jobs/members/<int:member_id>", methods=["GET", "POST"])
@roles_required(*READERS)
def support_job_member(member_id):
    member = _member(member_id)
    record = jobs.record_of(member)
    form = EmploymentForm(obj=record)
    page = _member_page(member, record, form, SubsidyForm(prefix="subsidy"))
    if not form.is_submitted():
        return page()
    if not current_user.has_role("admin", *MANAGERS):
        flash("您的角色只能查看就业台账", "error")
        return page(), 403
    if not form.validate():
        return refused(page)
    try:
        jobs.save_employment(current_user, member, status=form.status.data or "", workplace=form.workplace.data,
                             since=form.since.data, training_taken=form.training_taken.data,
                             training_wanted=form.training_wanted.data)
    except ValidationFailed as error:
        return refused_on_field(form, error, page)
    db.session.commit()
    flash(f"已保存 {member.name} 的就业情况", "ok")
    return redirect(url_for("admin.support_job_member", member_id=member.id))


@bp.route("/support/jobs/members/<int:member_id>/subsidies", methods=["POST"])
@roles_required(*MANAGERS)
def support_job_subsidy(member_id):
    member = _member(member_id)
    subsidy_form = SubsidyForm(prefix="subsidy")
    record = jobs.record_of(member)
    page = _member_page(member, record, EmploymentForm(formdata=None, obj=record), subsidy_form)
    if not subsidy_form.validate():
        return refused(page)
    try:
        jobs.add_subsidy(current_user, member, kind=subsidy_form.kind.data or "", amount=subsidy_form.amount.data,
                         granted_on=subsidy_form.granted_on.data, note=subsidy_form.note.data)
    except ValidationFailed as error:
        return refused_on_field(subsidy_form, error, page)
    db.session.commit()
    flash("已登记补贴", "ok")
    return redirect(url_for("admin.support_job_member", member_id=member.id))
