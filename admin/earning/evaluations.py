"""五评五奖: configuration, rounds, the scoring grid, 公示 (PDF, objections) and posting."""
from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.earning.forms import (
    CancelRoundForm,
    EvaluationConfigForm,
    NoticeForm,
    ObjectionForm,
    ResolveForm,
    RoundForm,
    RoundReverseForm,
    StepForm,
)
from admin.earning.rules import scoped_sites
from admin.fields import refused
from admin.request_json import json_object
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import AwardType, Dimension, EvaluationRound, Objection
from models.clock import local_today
from models.evaluation import ROUND_STATUS_LABELS
from services import fields
from services.earning import evaluations, notices
from services.errors import DomainError, NotFound
from services.staff.scope import scope_filter

VIEWERS = ("committee", "cadre", "auditor")

#: the form of each step on the round page (by the `action` in its URL)
ACTION_FORMS = {"scoring": StepForm, "notice": NoticeForm, "post": StepForm, "cancel": CancelRoundForm,
                "objection": ObjectionForm, "resolve": ResolveForm, "reverse": RoundReverseForm}

unscoped_arg("action")


@scoped_arg("round_id")
def _round_site(round_id):
    return db.session.execute(select(EvaluationRound.site_id).where(EvaluationRound.id == round_id)).scalar_one_or_none()


@bp.route("/evaluations")
@roles_required(*VIEWERS)
def evaluations_list():
    query = select(EvaluationRound).where(scope_filter(current_user, EvaluationRound.site_id))
    status = request.args.get("status")
    if status in ROUND_STATUS_LABELS:  # ?status=scoring from the home page's lines
        query = query.where(EvaluationRound.status == status)
    rounds = db.session.execute(query.order_by(EvaluationRound.id.desc()).limit(200)).scalars()
    return render_template("admin/evaluations/list.html", rounds=rounds,
                           can_create=current_user.has_role("admin", "committee", "cadre"),
                           can_configure=current_user.has_role("admin"))


@bp.route("/evaluations/config", methods=["GET", "POST"])
@roles_required("admin")
def evaluations_config():
    form = EvaluationConfigForm()

    def page():
        return render_template("admin/evaluations/config.html", dimensions=evaluations.dimensions(False),
                               awards=evaluations.award_types(False), form=form if form.is_submitted() else None)

    if not form.is_submitted():
        if not evaluations.dimensions(False):
            evaluations.ensure_defaults()
            db.session.commit()
        return page()
    if not form.validate():
        return refused(page)
    values = {k: v for k, v in form.data.items() if k not in ("csrf_token", "id")}
    try:
        if form.what.data == "dimension":
            dim = db.get_or_404(Dimension, form.id.data) if form.id.data else None
            evaluations.save_dimension(current_user, values, dim)
        else:
            award = db.get_or_404(AwardType, form.id.data) if form.id.data else None
            evaluations.save_award_type(current_user, values, award)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash("已保存;新设置从下一次开始评分的评议起生效", "success")
    return redirect(url_for("admin.evaluations_config"))


@bp.route("/evaluations/new", methods=["GET", "POST"])
@roles_required("committee", "cadre")
def evaluations_new():
    form = RoundForm()

    def page():
        return render_template("admin/evaluations/new.html", sites=scoped_sites(), form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    try:
        rnd = evaluations.create_round(current_user, {k: v for k, v in form.data.items() if k != "csrf_token"})
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    return redirect(url_for("admin.evaluations_detail", round_id=rnd.id))


@bp.route("/evaluations/<int:round_id>")
@roles_required(*VIEWERS)
def evaluations_detail(round_id):
    return _detail_page(evaluations.get_round(current_user, round_id))


def _detail_page(rnd, action=None, form=None):
    """The round page; a refused step (`form` of `action`) is shown again with its errors and values."""
    forms = {name: cls(formdata=None) for name, cls in ACTION_FORMS.items()}
    forms["notice"] = NoticeForm(formdata=None, data={"days": rnd.notice_days, "contact": rnd.contact})
    if action is not None:
        forms[action] = form
    cadre = current_user.has_role("cadre")
    scorer = current_user.has_role("admin", "committee", "cadre")
    notice_over = notices.is_over(rnd.notice_end)
    open_objections = evaluations.open_objection_count(rnd)
    objections = evaluations.objections(rnd)
    return render_template(
        "admin/evaluations/detail.html", rnd=rnd, lines=notices.public_lines(rnd.id) if rnd.notice_end or
        rnd.status == "posted" else [], all_lines=evaluations.lines_of(rnd), objections=objections,
        notice_over=notice_over, notice_text=notices.period_text(rnd.notice_start, rnd.notice_end)
        if rnd.notice_start else "", summary=evaluations.posted_summary(rnd) if rnd.status == "posted" else None,
        open_objections=open_objections, today=local_today(), forms=forms, refused_action=action, approver=cadre,
        can_start_scoring=rnd.status == "draft" and scorer, can_open_notice=rnd.status == "scoring" and cadre,
        can_post=rnd.status == "notice" and cadre and notice_over and not open_objections,
        can_cancel=rnd.status in ("draft", "scoring", "notice") and current_user.has_role("cadre", "admin"),
        can_object=rnd.status == "notice" and scorer, can_reverse=rnd.status == "posted" and cadre,
        can_resolve={o.id for o in objections if cadre and o.status == "open"})


@bp.route("/evaluations/<int:round_id>/<action>", methods=["POST"])
@roles_required("committee", "cadre")
def evaluations_action(round_id, action):
    rnd = evaluations.get_round(current_user, round_id)
    messages = {"scoring": "已开始评分", "notice": "已开始公示", "post": "积分已全部入账", "cancel": "评议已取消",
                "objection": "异议已登记", "resolve": "异议已处理", "reverse": "已冲正这一户的评议积分"}
    if action not in messages:
        raise NotFound("没有这个操作")
    form = ACTION_FORMS[action]()
    if not form.validate():
        return refused(lambda: _detail_page(rnd, action, form))
    try:
        if action == "scoring":
            evaluations.start_scoring(current_user, rnd)
        elif action == "notice":
            evaluations.open_notice(current_user, rnd, form.days.data or rnd.notice_days, form.contact.data)
        elif action == "post":
            evaluations.post_round(current_user, rnd)
        elif action == "reverse":
            evaluations.reverse_household(current_user, rnd, form.household_id.data, form.reason.data or "")
        elif action == "cancel":
            evaluations.cancel_round(current_user, rnd, form.reason.data or "")
        elif action == "objection":
            evaluations.record_objection(current_user, rnd, form.line_id.data, form.content.data or "",
                                         form.raised_by.data or "")
        else:
            objection = db.get_or_404(Objection, form.objection_id.data)
            if objection.round_id != rnd.id:
                raise NotFound("这条异议不属于这次评议")
            evaluations.resolve_objection(current_user, objection, form.upheld.data == "1", form.resolution.data or "")
    except DomainError as error:
        return refused(lambda: _detail_page(rnd, action, form), error)
    db.session.commit()
    flash(messages[action], "success")
    return redirect(url_for("admin.evaluations_detail", round_id=round_id))


@bp.route("/evaluations/<int:round_id>/grid")
@roles_required("committee", "cadre")
def evaluations_grid(round_id):
    rnd = evaluations.get_round(current_user, round_id)
    homes = evaluations.households(rnd)
    data = evaluations.grid(rnd)
    totals = {h.id: evaluations.row_total(rnd, h.id) for h in homes}
    return render_template("admin/evaluations/grid.html", rnd=rnd, homes=homes, scores=data["scores"],
                           nominations=data["nominations"], totals=totals, editable=rnd.status == "scoring")


@bp.route("/evaluations/<int:round_id>/cell", methods=["POST"])
@roles_required("committee", "cadre")
def evaluations_cell(round_id):
    """One grid change (JSON): {"household_id", "dimension_id", "score"} or {"household_id", "award_type_id", "on"}."""
    rnd = evaluations.get_round(current_user, round_id)
    body = json_object()
    household_id = fields.record_id(body.get("household_id"), "请选择住户")
    if "award_type_id" in body:
        award_type_id = fields.record_id(body["award_type_id"], "这次评议没有这个奖项")
        evaluations.set_nomination(current_user, rnd, household_id, award_type_id, body.get("on") is True)
    else:
        dimension_id = fields.record_id(body.get("dimension_id"), "这次评议没有这个维度")
        evaluations.set_score(current_user, rnd, household_id, dimension_id, body.get("score"))
    total = evaluations.row_total(rnd, household_id)
    db.session.commit()
    return jsonify({"ok": True, **total})


@bp.route("/evaluations/<int:round_id>/notice.pdf")
@roles_required(*VIEWERS)
def evaluations_notice_pdf(round_id):
    rnd = evaluations.get_round(current_user, round_id)
    if not rnd.notice_start:
        flash("还没有开始公示", "error")
        return redirect(url_for("admin.evaluations_detail", round_id=round_id))
    pdf = notices.notice_pdf(rnd)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="notice-round-{rnd.id}.pdf"'})
