"""Household life events pages: 分户, 合户, 迁出/迁入, 换安置点, 户主变更, 成员增减.
Each POST is one transaction: the service flushes, the view commits once."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.households.forms import LIFE_EVENT_FORMS, MoveInForm
from admin.support import _household
from extensions import db
from models import Household
from models.life_event import LifeEvent
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.households import life_events as svc
from services.households.registry import text_match
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
    return _household_page(_household(household_id))


def _household_page(home: Household, kind: str = "", form=None):
    """One household's life-event page: a blank form per kind, or the refused `form` of `kind` again."""
    merge_q = (request.args.get("merge_q") or "").strip()
    query = select(Household).where(Household.site_id == home.site_id, Household.status == "active",
                                    Household.id != home.id)
    if merge_q:
        query = query.where(text_match(merge_q))
    neighbours = db.session.execute(query.order_by(Household.head_initials, Household.head_name)).scalars().all()
    forms = {k: form if k == kind and form is not None else cls(formdata=None) for k, cls in LIFE_EVENT_FORMS.items()}
    if kind != "split":
        forms["split"].site_id.data, forms["split"].building.data = home.site_id, home.building
    return render_template("admin/life_events/household.html", home=home, sites=sites_in_scope(current_user),
                           neighbours=neighbours, members=[m for m in home.members if m.is_current],
                           events=svc.events_of(home.id), forms=forms, can_change=home.status == "active",
                           split_policies={k: v for k, v in svc.SPLIT_POLICIES.items() if k in svc.split_policies()},
                           default_policy=svc.split_policy(), move_out_policy=svc.MOVE_OUT_POLICIES[svc.move_out_policy()],
                           move_out_code=svc.move_out_policy(), merge_q=merge_q)


@bp.route("/life-events/households/<int:household_id>/<kind>", methods=["POST"])
@roles_required(*EDITORS)
def life_events_apply(household_id, kind):
    home = _household(household_id)
    if kind not in LIFE_EVENT_FORMS:
        raise ValidationFailed("未知的办理事项")
    form = LIFE_EVENT_FORMS[kind]()
    page = lambda: _household_page(home, kind, form)  # noqa: E731
    if not form.validate():
        return refused(page)
    try:
        target, message = _apply(home, kind, form)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.life_events_household", household_id=target.id))


def _apply(home: Household, kind: str, form) -> tuple[Household, str]:
    """Do the life event of a validated form; returns the household to show next and the message."""
    note, day = form.note.data or "", form.event_date.data
    if kind == "split":
        site_id = form.site_id.data or home.site_id
        require_site(current_user, site_id)
        _, target, _ = svc.split(home, current_user, form.member_ids.data, form.new_head_id.data,
                                 policy=form.policy.data or None, amount=form.amount.data, site_id=site_id,
                                 building=form.building.data, door_no=form.door_no.data, phone=form.phone.data,
                                 note=note, event_date=day)
        return target, f"分户完成:新户户主 {target.head_name}。{NEW_CARD}"
    if kind == "merge":
        absorbed = _household(form.absorbed_id.data)
        event = svc.merge(home, absorbed, current_user, note, day)
        return home, f"合户完成:{absorbed.head_name} 户并入,转入积分 {event.points} 分,原卡已作废"
    if kind == "move_site":
        require_site(current_user, form.site_id.data)
        svc.move_site(home, form.site_id.data, current_user, form.building.data, form.door_no.data, note, day)
        return home, "已迁到新安置点,积分和历史记录保留"
    if kind == "move_out":
        event = svc.move_out(home, current_user, note, day)
        return home, f"已办理迁出{f',作废积分 {event.points} 分' if event.points else ''}"
    if kind == "head_change":
        svc.change_head(home, form.new_head_id.data, current_user, note, form.phone.data, day)
        return home, f"户主已变更为 {home.head_name}。{NEW_CARD}"
    if kind == "member_add":
        svc.add_member(home, current_user, form.name.data, form.relation.data or "其他", form.id_number.data, note, day)
        return home, "已新增成员"
    _, token = svc.member_deceased(home, form.member_id.data, current_user, form.new_head_id.data, note, day)
    return home, "已登记" + (f"。户主已变更。{NEW_CARD}" if token else "")


@bp.route("/life-events/move-in", methods=["GET", "POST"])
@roles_required(*EDITORS)
def life_events_move_in():
    form = MoveInForm()

    def page():
        return render_template("admin/life_events/move_in.html", sites=sites_in_scope(current_user), form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    require_site(current_user, form.site_id.data)
    members = [{"name": n, "relation": r} for n, r in zip(form.member_name.data, form.member_relation.data)]
    try:
        _, home, _ = svc.move_in(current_user, form.site_id.data, form.head_name.data, id_number=form.id_number.data,
                                 phone=form.phone.data, building=form.building.data, door_no=form.door_no.data,
                                 members=members, note=form.note.data or "", event_date=form.event_date.data)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"已登记迁入:{home.head_name} 户。{NEW_CARD}", "success")
    return redirect(url_for("admin.life_events_household", household_id=home.id))
