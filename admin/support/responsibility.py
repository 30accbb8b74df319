"""后续扶持 pages: dashboard, 包保, the phone-first visit form, coverage, 问题台账, 监测, monthly report.

Every route: @roles_required AND a site-scope check through services/staff/scope.py."""
import base64
import os
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from admin import bp
from admin.auth import roles_required
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import Household
from models.clock import local_today, to_local
from models.household import HOUSEHOLD_TAGS, PRIORITY_TAGS, mask_id_number
from models.support import (
    CADRE_LEVELS, MONITORING_STEPS, MONITORING_TYPES, PROBLEM_CATEGORIES, PROBLEM_SOURCES, PROBLEM_STATUSES,
    REACHED_BY, SITUATION_AREAS, MonitoringCase, Problem, Responsibility, SupportCadre, SupportPhoto, Visit,
)
from services.support import monitoring
from services.support import problems
from services.support import responsibility as support
from services.support import visits
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope
from services import database
from services.households.cards import CardUnusable, card_by_short_code, card_statement
from services.errors import NotFound, ValidationFailed

READERS = ("cadre", "committee", "auditor")
VISITORS = ("cadre", "committee")
MANAGERS = ("cadre",)


# ------------------------------------------------------------------ scope of URL arguments
def _site_of(model):
    def resolve(object_id):
        row = db.session.get(model, object_id)
        return row.site_id if row else None
    return resolve


for _name, _model in (("visit_id", Visit), ("photo_id", SupportPhoto), ("problem_id", Problem),
                      ("case_id", MonitoringCase)):
    scoped_arg(_name)(_site_of(_model))


@scoped_arg("row_id")
def _responsibility_site(row_id):
    row = db.session.get(Responsibility, row_id)
    return row.household.site_id if row else None


#: a 包保 cadre serves households anywhere; the reassign view checks the households' sites
unscoped_arg("cadre_id")


# ------------------------------------------------------------------ helpers


def _household(household_id) -> Household:
    home = db.get_or_404(Household, household_id)
    require_site(current_user, home.site_id)
    return home


def _date(name, default=None, required_message=None):
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required_message:
            raise ValidationFailed(required_message)
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("日期格式应为 2026-11-23")


def _int(value, message="请选择"):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(message)
    if not -2**31 < number < 2**31:  # an id or amount beyond the database integer: refuse, do not 500
        raise ValidationFailed(message)
    return number


def _month_arg():
    return support.parse_month(request.args.get("month"))


@bp.app_template_global()
def local_time(moment) -> str:
    """Naive UTC from the database -> local 'YYYY-MM-DD HH:MM'."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@bp.app_template_global()
def support_labels():
    return {"statuses": PROBLEM_STATUSES, "categories": PROBLEM_CATEGORIES, "tags": HOUSEHOLD_TAGS,
            "types": MONITORING_TYPES, "steps": MONITORING_STEPS, "levels": CADRE_LEVELS,
            "areas": SITUATION_AREAS, "reached": REACHED_BY, "sources": PROBLEM_SOURCES}


# ------------------------------------------------------------------ dashboard
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
    from services.households.life_events import events_of

    home = _household(household_id)
    return render_template(
        "admin/support/household.html", home=home, rows=support.responsibilities_of(home.id),
        cadres=_cadre_choices(), visit_list=visits.visits_of(home.id), mask_id=mask_id_number,
        problem_list=problems.list_problems(None, household_id=home.id), case=monitoring.open_case_of(home.id),
        events=events_of(home.id), priority=bool(set(home.tags) & PRIORITY_TAGS))


# ------------------------------------------------------------------ 包保
def _cadre_choices():
    return db.session.execute(select(SupportCadre).where(SupportCadre.active).order_by(SupportCadre.name)).scalars().all()


@bp.route("/support/cadres", methods=["GET", "POST"])
@roles_required(*READERS)
def support_cadres():
    if request.method == "POST":
        if not current_user.has_role("admin", *MANAGERS):
            abort(403)
        form = request.form
        staff_id = _int(form["staff_user_id"]) if form.get("staff_user_id") else None
        cadre = support.create_cadre(current_user, form.get("name"), form.get("phone"), form.get("level", "village"),
                                     form.get("unit"), staff_id)
        db.session.commit()
        flash(f"已登记包保责任人 {cadre.name}", "success")
        return redirect(url_for("admin.support_cadres"))
    cadres = db.session.execute(select(SupportCadre).order_by(SupportCadre.active.desc(), SupportCadre.name)).scalars().all()
    return render_template("admin/support/cadres.html", cadres=cadres, loads=support.cadre_loads(),
                           quota=support.quota(), sites=sites_in_scope(current_user))


@bp.route("/support/households/<int:household_id>/assign", methods=["POST"])
@roles_required(*MANAGERS)
def support_assign(household_id):
    home = _household(household_id)
    cadre = db.get_or_404(SupportCadre, _int(request.form.get("cadre_id"), "请选择包保责任人"))
    support.assign(home, cadre, current_user, _date("start_date"))
    warning = support.quota_warning(cadre)
    db.session.commit()
    flash(f"已安排 {cadre.name} 包保", "success")
    if warning:
        flash("⚠ " + warning, "error")
    return redirect(url_for("admin.support_household", household_id=home.id))


@bp.route("/support/responsibilities/<int:row_id>/end", methods=["POST"])
@roles_required(*MANAGERS)
def support_unassign(row_id):
    row = db.get_or_404(Responsibility, row_id)
    require_site(current_user, row.household.site_id)
    support.end_responsibility(row, current_user, request.form.get("reason", ""))
    db.session.commit()
    flash("包保关系已结束(历史保留)", "success")
    return redirect(url_for("admin.support_household", household_id=row.household_id))


@bp.route("/support/bulk-assign", methods=["POST"])
@roles_required(*MANAGERS)
def support_bulk_assign():
    site_id = _int(request.form.get("site_id"), "请选择安置点")
    require_site(current_user, site_id)
    cadre = db.get_or_404(SupportCadre, _int(request.form.get("cadre_id"), "请选择包保责任人"))
    rows = support.bulk_assign(cadre, current_user, site_id, request.form.get("building") or None,
                               only_priority=request.form.get("all_households") != "1")
    warning = support.quota_warning(cadre)
    db.session.commit()
    flash(f"已为 {cadre.name} 安排 {len(rows)} 户", "success")
    if warning:
        flash("⚠ " + warning, "error")
    return redirect(url_for("admin.support_cadres"))


@bp.route("/support/cadres/<int:cadre_id>/reassign", methods=["POST"])
@roles_required(*MANAGERS)
def support_reassign(cadre_id):
    old = db.get_or_404(SupportCadre, cadre_id)
    new = db.get_or_404(SupportCadre, _int(request.form.get("to_cadre_id"), "请选择接手的包保责任人"))
    allowed = allowed_site_ids(current_user)
    if allowed is not None:
        sites = {r.household.site_id for r in db.session.execute(select(Responsibility).where(
            Responsibility.cadre_id == old.id, Responsibility.end_date.is_(None))).scalars()}
        if not sites <= allowed:
            raise ValidationFailed("这位干部包保的住户有不在您管理范围内的,请联系上级办理")
    rows = support.reassign_cadre(old, new, current_user, request.form.get("reason") or "调离")
    db.session.commit()
    flash(f"{old.name} 的 {len(rows)} 户已转给 {new.name}", "success")
    return redirect(url_for("admin.support_cadres"))


# ------------------------------------------------------------------ visits
def _find_households(q: str):
    """Scan (card URL/token), short code, name, pinyin initials, phone or 门牌 — within scope."""
    q = (q or "").strip()
    if not q:
        return []
    allowed = allowed_site_ids(current_user)
    home = None
    try:
        home = db.session.get(Household, database.run(card_statement(q)).household_id)
    except CardUnusable:
        try:
            home = card_by_short_code(q).household
        except NotFound:
            pass
    if home is not None:
        homes = [home]
    else:
        like = f"%{q}%"
        homes = db.session.execute(select(Household).where(
            Household.status == "active",
            or_(Household.head_name.like(like), Household.head_initials == q.lower(),
                Household.phone.like(like), Household.door_no.like(like))).order_by(Household.id).limit(30)).scalars().all()
    return [h for h in homes if allowed is None or h.site_id in allowed]


@bp.route("/support/visits/new", methods=["GET", "POST"])
@roles_required(*VISITORS)
def support_visit_new():
    home = _household(_int(request.values["household_id"])) if request.values.get("household_id") else None
    if home is None:
        q = request.args.get("q", "")
        return render_template("admin/support/visit_find.html", q=q, found=_find_households(q))
    values = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            visit = visits.record_visit(home, current_user, **_visit_fields())
            db.session.commit()
            flash(f"已保存 {home.head_name} 户的走访记录", "success")
            return redirect(url_for("admin.support_visit_detail", visit_id=visit.id))
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return render_template("admin/support/visit_form.html", home=home, values=values, today=local_today(),
                           backdate_days=visits.backdate_days(), me=current_user.display_name)


def _visit_fields() -> dict:
    form = request.form
    met = form.get("met", "1") == "1"
    situation = {a: {"status": form[f"s_{a}"], "note": form.get(f"n_{a}", "")}
                 for a in SITUATION_AREAS if form.get(f"s_{a}")}
    signature = None
    data_url = form.get("signature", "")
    if data_url.startswith("data:image/png;base64,"):
        try:
            signature = base64.b64decode(data_url.split(",", 1)[1], validate=True)
        except ValueError:
            raise ValidationFailed("签名图片无法读取,请重新签名")
    new_problems = [{"category": form.get(f"p_category_{i}"), "description": form.get(f"p_description_{i}")}
                    for i in (1, 2) if (form.get(f"p_description_{i}") or "").strip()]
    return dict(visit_date=_date("visit_date", required_message="请填写走访日期"), visitors=form.get("visitors"),
                met=met, met_person=form.get("met_person"), reached_by=form.get("reached_by") or None,
                situation=situation, suggestions=form.get("suggestions"), actions=form.get("actions"),
                confirm_name=form.get("confirm_name"), signature_png=signature,
                backdate_reason=form.get("backdate_reason"),
                photos=[f.read() for f in request.files.getlist("photos") if f and f.filename],
                problems=new_problems)


@bp.route("/support/visits/<int:visit_id>")
@roles_required(*READERS)
def support_visit_detail(visit_id):
    visit = db.get_or_404(Visit, visit_id)
    require_site(current_user, visit.site_id)
    return render_template("admin/support/visit_detail.html", visit=visit, situation=visits.situation_of(visit),
                           photos=support.photos_of("visit", visit.id),
                           problem_list=db.session.execute(select(Problem).where(Problem.visit_id == visit.id)).scalars().all())


@bp.route("/support/visits")
@roles_required(*READERS)
def support_visits():
    year, month = _month_arg()
    first, last = support.month_range(year, month)
    allowed = allowed_site_ids(current_user)
    query = select(Visit).where(Visit.visit_date.between(first, last)).order_by(Visit.visit_date.desc(), Visit.id.desc())
    if allowed is not None:
        query = query.where(Visit.site_id.in_(allowed))
    return render_template("admin/support/visits.html", visit_list=db.session.execute(query.limit(500)).scalars().all(),
                           month=f"{year}-{month:02d}")


@bp.route("/support/coverage")
@roles_required(*READERS)
def support_coverage():
    year, month = _month_arg()
    cov = visits.coverage(year, month, allowed_site_ids(current_user))
    return render_template("admin/support/coverage.html", cov=cov, month=f"{year}-{month:02d}")


@bp.route("/support/photos/<int:photo_id>")
@roles_required(*READERS)
def support_photo(photo_id):
    photo = db.get_or_404(SupportPhoto, photo_id)
    require_site(current_user, photo.site_id)
    return send_file(os.path.join(support.upload_dir(), photo.filename), mimetype="image/jpeg", max_age=3600)


@bp.route("/support/visits/<int:visit_id>/signature")
@roles_required(*READERS)
def support_signature(visit_id):
    visit = db.get_or_404(Visit, visit_id)
    require_site(current_user, visit.site_id)
    if not visit.signature_file:
        abort(404)
    return send_file(os.path.join(support.upload_dir(), visit.signature_file), mimetype="image/png")

