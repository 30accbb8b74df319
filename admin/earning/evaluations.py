"""五评五奖: configuration, rounds, the scoring grid, 公示 (PDF, objections) and posting."""
from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.request_json import json_object
from admin.scope import scoped_arg, unscoped_arg
from admin.earning.rules import scoped_sites
from extensions import db
from models import AwardType, Dimension, EvaluationRound, Objection
from models.clock import local_today
from services.earning import evaluations
from services.earning import notices
from services.staff.scope import scope_filter
from services.errors import ValidationFailed

VIEWERS = ("committee", "cadre", "auditor")

unscoped_arg("action")


@scoped_arg("round_id")
def _round_site(round_id):
    return db.session.execute(select(EvaluationRound.site_id).where(EvaluationRound.id == round_id)).scalar_one_or_none()


@bp.route("/evaluations")
@roles_required(*VIEWERS)
def evaluations_list():
    rounds = db.session.execute(
        select(EvaluationRound).where(scope_filter(current_user, EvaluationRound.site_id))
        .order_by(EvaluationRound.id.desc()).limit(200)
    ).scalars()
    return render_template("admin/evaluations/list.html", rounds=rounds)


@bp.route("/evaluations/config", methods=["GET", "POST"])
@roles_required("admin")
def evaluations_config():
    if request.method == "POST":
        form = request.form
        try:
            if form.get("id") and not (form["id"].isdecimal() and 0 < int(form["id"]) < 2**31):
                raise ValidationFailed("要修改的项目不存在,请刷新后重试")
            if form.get("what") == "dimension":
                dim = db.get_or_404(Dimension, int(form["id"])) if form.get("id") else None
                evaluations.save_dimension(current_user, {**form, "active": form.get("active") == "1"}, dim)
            else:
                award = db.get_or_404(AwardType, int(form["id"])) if form.get("id") else None
                evaluations.save_award_type(current_user, {**form, "active": form.get("active") == "1"}, award)
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("已保存;新设置从下一次开始评分的评议起生效", "success")
        return redirect(url_for("admin.evaluations_config"))
    if not evaluations.dimensions(False):
        evaluations.ensure_defaults()
        db.session.commit()
    return render_template("admin/evaluations/config.html", dimensions=evaluations.dimensions(False),
                           awards=evaluations.award_types(False))


@bp.route("/evaluations/new", methods=["GET", "POST"])
@roles_required("committee", "cadre")
def evaluations_new():
    if request.method == "POST":
        try:
            rnd = evaluations.create_round(current_user, request.form)
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            return redirect(url_for("admin.evaluations_detail", round_id=rnd.id))
    return render_template("admin/evaluations/new.html", sites=scoped_sites(), form=request.form)


@bp.route("/evaluations/<int:round_id>")
@roles_required(*VIEWERS)
def evaluations_detail(round_id):
    rnd = evaluations.get_round(current_user, round_id)
    return render_template(
        "admin/evaluations/detail.html", rnd=rnd, lines=notices.public_lines(rnd.id) if rnd.notice_end or
        rnd.status == "posted" else [], all_lines=evaluations.lines_of(rnd), objections=evaluations.objections(rnd),
        notice_over=notices.is_over(rnd.notice_end), notice_text=notices.period_text(rnd.notice_start, rnd.notice_end)
        if rnd.notice_start else "", summary=evaluations.posted_summary(rnd) if rnd.status == "posted" else None,
        open_objections=evaluations.open_objection_count(rnd), today=local_today())


@bp.route("/evaluations/<int:round_id>/<action>", methods=["POST"])
@roles_required("committee", "cadre")
def evaluations_action(round_id, action):
    rnd = evaluations.get_round(current_user, round_id)
    form = request.form
    messages = {"scoring": "已开始评分", "notice": "已开始公示", "post": "积分已全部入账", "cancel": "评议已取消",
                "objection": "异议已登记", "resolve": "异议已处理", "reverse": "已冲正这一户的评议积分"}
    if action not in messages:
        return Response(status=404)
    try:
        if action == "scoring":
            evaluations.start_scoring(current_user, rnd)
        elif action == "notice":
            evaluations.open_notice(current_user, rnd, int(form.get("days") or rnd.notice_days), form.get("contact"))
        elif action == "post":
            evaluations.post_round(current_user, rnd)
        elif action == "reverse":
            evaluations.reverse_household(current_user, rnd, int(form.get("household_id") or 0), form.get("reason", ""))
        elif action == "cancel":
            evaluations.cancel_round(current_user, rnd, form.get("reason", ""))
        elif action == "objection":
            evaluations.record_objection(current_user, rnd, int(form.get("line_id") or 0), form.get("content", ""),
                                         form.get("raised_by", ""))
        else:
            objection_id = int(form.get("objection_id") or 0)
            objection = db.get_or_404(Objection, objection_id if 0 < objection_id < 2**31 else 0)
            if objection.round_id != rnd.id:
                return Response(status=404)
            evaluations.resolve_objection(current_user, objection, form.get("upheld") == "1", form.get("resolution", ""))
    except ValueError:
        db.session.rollback()
        flash("输入有误", "error")
    except (ValidationFailed, evaluations.WrongState) as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
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
    try:
        household_id = int(body.get("household_id"))
        if "award_type_id" in body:
            evaluations.set_nomination(current_user, rnd, household_id, int(body["award_type_id"]), bool(body.get("on")))
        else:
            evaluations.set_score(current_user, rnd, household_id, int(body.get("dimension_id")), body.get("score"))
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed("请求数据有误") from None
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
