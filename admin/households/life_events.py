"""Household life events pages: 分户, 合户, 迁出/迁入, 换安置点, 户主变更, 成员增减.
Each POST is one transaction: the service flushes, the view commits once."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.support import _household
from extensions import db
from models import Household
from models.life_event import LifeEvent
from services import fields
from services.errors import ValidationFailed
from services.households import life_events as svc
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope

READERS = ("cadre", "committee", "auditor")
EDITORS = ("cadre",)
NEW_CARD = "已制发新卡(旧卡立即停用),请到一户一档打印新卡"


@bp.route("/life-events/")
@roles_required(*READERS)
def life_events_list():
    allowed = allowed_site_ids(current_user)
    query = select(LifeEvent).join(Household, Household.id == LifeEvent.household_id).order_by(LifeEvent.id.desc()).limit(200)
    if allowed is not None:
        query = query.where(Household.site_id.in_(allowed))
    return render_template("admin/life_events/list.html", events=db.session.execute(query).scalars().all())


@bp.route("/life-events/households/<int:household_id>")
@roles_required(*EDITORS)
def life_events_household(household_id):
    home = _household(household_id)
    neighbours = db.session.execute(select(Household).where(
        Household.site_id == home.site_id, Household.status == "active", Household.id != home.id)
        .order_by(Household.head_initials, Household.head_name)).scalars().all()
    return render_template("admin/life_events/household.html", home=home, sites=sites_in_scope(current_user), neighbours=neighbours,
                           members=[m for m in home.members if m.is_current], events=svc.events_of(home.id),
                           split_policies={k: v for k, v in svc.SPLIT_POLICIES.items() if k in svc.split_policies()},
                           default_policy=svc.split_policy(), move_out_policy=svc.MOVE_OUT_POLICIES[svc.move_out_policy()],
                           move_out_code=svc.move_out_policy())


def _ids(name):
    return [fields.record_id(v, "成员选择有误") for v in request.form.getlist(name)]


@bp.route("/life-events/households/<int:household_id>/<kind>", methods=["POST"])
@roles_required(*EDITORS)
def life_events_apply(household_id, kind):
    home = _household(household_id)
    form, note, day = request.form, request.form.get("note", ""), fields.day(request.form.get("event_date"), "办理日期", required=False)
    target = home
    if kind == "split":
        site_id = fields.record_id(form.get("site_id") or home.site_id, "请选择安置点")
        require_site(current_user, site_id)
        amount = fields.integer(form["amount"], "积分") if (form.get("amount") or "").strip() else None
        _, target, _ = svc.split(home, current_user, _ids("member_ids"), fields.record_id(form.get("new_head_id"), "请选择新户的户主"),
                                 policy=form.get("policy") or None, amount=amount, site_id=site_id,
                                 building=form.get("building"), door_no=form.get("door_no"), phone=form.get("phone"),
                                 note=note, event_date=day)
        flash(f"分户完成:新户户主 {target.head_name}。{NEW_CARD}", "success")
    elif kind == "merge":
        absorbed = _household(fields.record_id(form.get("absorbed_id"), "请填写被合并户的户号"))
        event = svc.merge(home, absorbed, current_user, note, day)
        flash(f"合户完成:{absorbed.head_name} 户并入,转入积分 {event.points} 分,原卡已作废", "success")
    elif kind == "move_site":
        site_id = fields.record_id(form.get("site_id"), "请选择新安置点")
        require_site(current_user, site_id)
        svc.move_site(home, site_id, current_user, form.get("building"), form.get("door_no"), note, day)
        flash("已迁到新安置点,积分和历史记录保留", "success")
    elif kind == "move_out":
        event = svc.move_out(home, current_user, note, day)
        flash(f"已办理迁出{f',作废积分 {event.points} 分' if event.points else ''}", "success")
    elif kind == "head_change":
        svc.change_head(home, fields.record_id(form.get("new_head_id"), "请选择新户主"), current_user, note, form.get("phone"), day)
        flash(f"户主已变更为 {home.head_name}。{NEW_CARD}", "success")
    elif kind == "member_add":
        svc.add_member(home, current_user, form.get("name", ""), form.get("relation") or "其他", form.get("id_number"), note, day)
        flash("已新增成员", "success")
    elif kind == "member_deceased":
        new_head = fields.record_id(form["new_head_id"], "请选择新户主") if form.get("new_head_id") else None
        _, token = svc.member_deceased(home, fields.record_id(form.get("member_id"), "请选择成员"), current_user, new_head, note, day)
        flash("已登记" + (f"。户主已变更。{NEW_CARD}" if token else ""), "success")
    else:
        raise ValidationFailed("未知的办理事项")
    db.session.commit()
    return redirect(url_for("admin.life_events_household", household_id=target.id))


@bp.route("/life-events/move-in", methods=["GET", "POST"])
@roles_required(*EDITORS)
def life_events_move_in():
    if request.method == "POST":
        form = request.form
        site_id = fields.record_id(form.get("site_id"), "请选择安置点")
        require_site(current_user, site_id)
        members = [{"name": n, "relation": r} for n, r in zip(form.getlist("member_name"), form.getlist("member_relation"))]
        _, home, _ = svc.move_in(current_user, site_id, form.get("head_name", ""), id_number=form.get("id_number"),
                                 phone=form.get("phone"), building=form.get("building"), door_no=form.get("door_no"),
                                 members=members, note=form.get("note", ""), event_date=fields.day(request.form.get("event_date"), "办理日期", required=False))
        db.session.commit()
        flash(f"已登记迁入:{home.head_name} 户。{NEW_CARD}", "success")
        return redirect(url_for("admin.life_events_household", household_id=home.id))
    return render_template("admin/life_events/move_in.html", sites=sites_in_scope(current_user))
