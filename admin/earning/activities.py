"""Volunteer activities: create, the sign-in screen (card scan or search), close and post points."""
from flask import flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.earning.forms import ActivityForm
from admin.earning.rules import scoped_sites
from admin.fields import refused
from admin.request_json import json_object
from admin.scope import scoped_arg
from extensions import db
from models import Activity, ActivitySignIn
from services import fields
from services.earning import activities
from services.errors import DomainError
from services.staff.scope import require_site, scope_filter

STAFF = ("committee", "cadre")


@scoped_arg("activity_id")
def _activity_site(activity_id):
    return db.session.execute(select(Activity.site_id).where(Activity.id == activity_id)).scalar_one_or_none()


@scoped_arg("signin_id")
def _signin_site(signin_id):
    return db.session.execute(select(Activity.site_id).join(ActivitySignIn, ActivitySignIn.activity_id == Activity.id)
                              .where(ActivitySignIn.id == signin_id)).scalar_one_or_none()


def _activity(activity_id: int) -> Activity:
    activity = db.get_or_404(Activity, activity_id)
    require_site(current_user, activity.site_id)
    return activity


@bp.route("/activities")
@roles_required(*STAFF, "auditor")
def activities_list():
    rows = db.session.execute(
        select(Activity).where(scope_filter(current_user, Activity.site_id))
        .order_by(Activity.starts_at.desc()).limit(200)
    ).scalars()
    return render_template("admin/activities/list.html", activities=rows,
                           can_create=current_user.has_role("admin", *STAFF))


@bp.route("/activities/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def activities_new():
    form = ActivityForm()

    def page():
        return render_template("admin/activities/new.html", sites=scoped_sites(), form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    try:
        activity = activities.create(current_user, {k: v for k, v in form.data.items() if k != "csrf_token"})
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash("活动已创建", "success")
    return redirect(url_for("admin.activities_detail", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>")
@roles_required(*STAFF, "auditor")
def activities_detail(activity_id):
    activity = _activity(activity_id)
    return render_template("admin/activities/detail.html", activity=activity, summary=activities.summary(activity),
                           closed=activity.status == "closed",
                           can_run=activity.status == "open" and current_user.has_role("admin", *STAFF))


@bp.route("/activities/<int:activity_id>/signin")
@roles_required(*STAFF)
def activities_signin(activity_id):
    activity = _activity(activity_id)
    rows = [activities.signin_json(s) for s in reversed(activity.signins)]
    return render_template("admin/activities/signin.html", activity=activity, rows=rows,
                           can_sign_in=activity.status == "open")


@bp.route("/activities/<int:activity_id>/signin/scan", methods=["POST"])
@roles_required(*STAFF)
def activities_signin_scan(activity_id):
    """JSON {"token"} (a scanned card) or {"household_id"} (picked from the list)."""
    activity = _activity(activity_id)
    body = json_object()
    if body.get("household_id"):
        household_id = fields.record_id(body["household_id"], "户号不对,请从名单中选择")
        signin = activities.sign_in_manual(current_user, activity, household_id)
    else:
        signin = activities.sign_in_card(current_user, activity, str(body.get("token", "")))
    db.session.commit()
    return jsonify({"ok": True, "signin": activities.signin_json(signin), "count": activities.signin_count(activity)})


@bp.route("/activities/<int:activity_id>/signin/<int:signin_id>/remove", methods=["POST"])
@roles_required(*STAFF)
def activities_signin_remove(activity_id, signin_id):
    activity = _activity(activity_id)
    signin = db.get_or_404(ActivitySignIn, signin_id)
    if signin.activity_id != activity.id:
        return jsonify({"error": "not_found", "message": "没有这条签到"}), 404
    activities.remove_signin(current_user, signin)
    db.session.commit()
    flash("已删除这条签到", "success")
    return redirect(url_for("admin.activities_detail", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/close", methods=["POST"])
@roles_required(*STAFF)
def activities_close(activity_id):
    result = activities.close(current_user, _activity(activity_id))
    db.session.commit()
    flash(f"活动已结束:{result['participants']} 户签到,{result['posted']} 户已入账"
          + (f",{result['pending']} 户等待审批" if result["pending"] else "")
          + (f",{result['capped']} 户因每月上限少计" if result["capped"] else ""), "success")
    return redirect(url_for("admin.activities_detail", activity_id=activity_id))


@bp.route("/activities/<int:activity_id>/cancel", methods=["POST"])
@roles_required(*STAFF)
def activities_cancel(activity_id):
    activities.cancel(current_user, _activity(activity_id))
    db.session.commit()
    flash("活动已取消", "success")
    return redirect(url_for("admin.activities_detail", activity_id=activity_id))
