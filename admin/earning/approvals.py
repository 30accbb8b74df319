"""Maker-checker queue: approve or reject pending rule items and activity points."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.earning.forms import DecideForm
from admin.fields import refused
from admin.scope import unscoped_arg
from extensions import db
from services.earning import approvals
from services.errors import DomainError

# item_id's site depends on `kind`; services.earning.approvals.decide checks the scope of the item itself
unscoped_arg("item_id")


@bp.app_context_processor
def _pending_approvals():
    """`pending_approvals()` for the nav and dashboard (counts in the user's scope)."""
    def pending():
        if not current_user.is_authenticated or not current_user.has_role("cadre", "admin"):
            return None
        return approvals.pending_counts(current_user)
    return {"pending_approvals": pending}


@bp.route("/approvals")
@roles_required("cadre")
def approvals_queue():
    return _queue_page()


def _queue_page(form=None, kind=None, item_id=None):
    """The queue; a refused decision (`form` for `kind`/`item_id`) is shown again beside its row."""
    return render_template(
        "admin/approvals/queue.html", counts=approvals.pending_counts(current_user),
        thresholds=approvals.thresholds(current_user),
        rule_events=approvals.pending_rule_events(current_user), signins=approvals.pending_signins(current_user),
        refused_form=form, refused_item=(kind, item_id),
    )


@bp.route("/approvals/<kind>/<int:item_id>", methods=["POST"])
@roles_required("cadre")
def approvals_decide(kind, item_id):
    form = DecideForm()
    if not form.validate():
        return refused(lambda: _queue_page(form, kind, item_id))
    approve = form.decision.data == "approve"
    try:
        approvals.decide(current_user, kind, item_id, approve, form.note.data or "")
    except DomainError as error:
        return refused(lambda: _queue_page(form, kind, item_id), error)
    db.session.commit()
    flash("已审批通过,积分已入账" if approve else "已驳回", "success")
    return redirect(url_for("admin.approvals_queue"))
