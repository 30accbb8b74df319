"""后续扶持 dashboard and one household's support page."""
from flask import render_template
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.support import MANAGERS, READERS, VISITORS, _cadre_choices, _household
from admin.support.forms import AssignForm, MonitoringNewForm
from models.clock import local_today
from models.household import PRIORITY_TAGS, mask_id_number
from services.staff.scope import allowed_site_ids
from services.support import monitoring, problems, visits
from services.support import responsibility as support


@bp.route("/support/")
@roles_required(*READERS)
def support_home():
    allowed = allowed_site_ids(current_user)
    today = local_today()
    cov = visits.coverage(today.year, today.month, allowed)
    return render_template(
        "admin/support/home.html", cov=cov, today=today,
        unassigned=support.priority_without_responsibility(allowed),
        overdue_problems=problems.list_problems(allowed, overdue_only=True),
        cases=[c for c in monitoring.cases(allowed) if c.status in monitoring.OPEN_STATUSES])


@bp.route("/support/households/<int:household_id>")
@roles_required(*READERS)
def support_household(household_id):
    return household_page(_household(household_id))


def household_page(home, assign_form=None, monitoring_form=None):
    """One household's support page; a refused assign / monitoring form is shown again with its errors."""
    from services.households.life_events import events_of

    rows = support.responsibilities_of(home.id)
    active = home.status == "active"
    manager = current_user.has_role("admin", *MANAGERS)
    return render_template(
        "admin/support/household.html", home=home, rows=rows,
        cadres=_cadre_choices(), visit_list=visits.visits_of(home.id), mask_id=mask_id_number,
        problem_list=problems.list_problems(None, household_id=home.id), case=monitoring.open_case_of(home.id),
        events=events_of(home.id),
        unassigned_priority=bool(set(home.tags) & PRIORITY_TAGS) and not any(r.end_date is None for r in rows),
        can_visit=active and current_user.has_role("admin", *VISITORS), can_manage=manager,
        can_assign=active and manager, assign_form=assign_form or AssignForm(),
        monitoring_form=monitoring_form or MonitoringNewForm())
