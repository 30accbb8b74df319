"""走访: the phone-first visit form, visit records, coverage, photos and signatures."""
import base64
import os

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import or_, select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.support import (
    READERS,
    VISITORS,
    _household,
    _month_arg,
    attachment,
)
from admin.support.forms import VisitForm
from admin.support.problems import _scope_title
from extensions import db
from models import Household
from models.clock import local_today
from models.support import (
    REACHED_BY,
    SITUATION_AREAS,
    Problem,
    SupportPhoto,
    Visit,
)
from services import database, fields
from services.errors import DomainError, NotFound, ValidationFailed
from services.households.cards import CardUnusable, card_by_short_code, card_statement
from services.staff.scope import allowed_site_ids, require_site
from services.support import exports, visits
from services.support import responsibility as support


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
    raw_home = request.values.get("household_id")
    if not raw_home:
        q = request.args.get("q", "")
        return render_template("admin/support/visit_find.html", q=q, found=_find_households(q))
    home = _household(fields.record_id(raw_home, "请选择住户"))
    form = VisitForm()

    def page():
        return render_template("admin/support/visit_form.html", home=home, form=form, today=local_today(),
                               backdate_days=visits.backdate_days(), me=current_user.display_name)

    if not form.is_submitted():
        return page()
    valid = form.validate()
    if not (_problem_categories_chosen(form) and valid):
        return refused(page)
    try:
        visit = visits.record_visit(home, current_user, **_visit_fields(form))
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"已保存 {home.head_name} 户的走访记录", "success")
    return redirect(url_for("admin.support_visit_detail", visit_id=visit.id))


def _problem_categories_chosen(form: VisitForm) -> bool:
    """A problem written on the visit form needs its category chosen: none is assumed."""
    chosen = True
    for i in (1, 2):
        if (getattr(form, f"p_description_{i}").data or "").strip() and not getattr(form, f"p_category_{i}").data:
            getattr(form, f"p_category_{i}").errors = ["请选择问题类别"]
            chosen = False
    return chosen


def _visit_fields(form: VisitForm) -> dict:
    """The keyword arguments of visits.record_visit from a validated form; a bad signature is refused."""
    value = lambda name: getattr(form, name).data  # noqa: E731
    situation = {a: {"status": value(f"s_{a}"), "note": value(f"n_{a}") or ""}
                 for a in SITUATION_AREAS if value(f"s_{a}")}
    signature = None
    data_url = form.signature.data or ""
    if data_url.startswith("data:image/png;base64,"):
        try:
            signature = base64.b64decode(data_url.split(",", 1)[1], validate=True)
        except ValueError:
            raise ValidationFailed("签名图片无法读取,请重新签名") from None
    new_problems = [{"category": value(f"p_category_{i}"), "description": value(f"p_description_{i}")}
                    for i in (1, 2) if (value(f"p_description_{i}") or "").strip()]
    return dict(visit_date=form.visit_date.data, visitors=form.visitors.data,
                met=(form.met.data or "1") == "1", met_person=form.met_person.data,
                reached_by=form.reached_by.data or None,
                situation=situation, suggestions=form.suggestions.data, actions=form.actions.data,
                confirm_name=form.confirm_name.data, signature_png=signature,
                backdate_reason=form.backdate_reason.data,
                photos=[f.read() for f in form.photos.data or [] if f and f.filename],
                problems=new_problems)


@bp.route("/support/visits/<int:visit_id>")
@roles_required(*READERS)
def support_visit_detail(visit_id):
    visit = db.get_or_404(Visit, visit_id)
    require_site(current_user, visit.site_id)
    day = visit.visit_date
    keepers = [r.cadre for r in support.responsibilities_of(visit.household_id)
               if r.start_date <= day and (r.end_date is None or r.end_date > day)]
    return render_template("admin/support/visit_detail.html", visit=visit, situation=visits.situation_of(visit),
                           keepers=keepers,
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


@bp.route("/support/visits/export.xlsx")
@roles_required(*READERS)
def support_visits_export():
    year, month = _month_arg()
    first, last = support.month_range(year, month)
    allowed = allowed_site_ids(current_user)
    query = select(Visit).where(Visit.visit_date.between(first, last)).order_by(Visit.site_id, Visit.visit_date, Visit.id)
    if allowed is not None:
        query = query.where(Visit.site_id.in_(allowed))
    data = exports.visits_xlsx(db.session.execute(query).scalars().all(), year, month, local_today(), _scope_title())
    return attachment(data, f"走访记录-{year}-{month:02d}.xlsx")


@bp.route("/support/coverage/export.xlsx")
@roles_required(*READERS)
def support_coverage_export():
    year, month = _month_arg()
    cov = visits.coverage(year, month, allowed_site_ids(current_user))
    return attachment(exports.coverage_xlsx(cov, local_today(), _scope_title()), f"走访覆盖-{year}-{month:02d}.xlsx")


@bp.route("/support/households/<int:household_id>/visit-sheet")
@roles_required(*READERS)
def support_visit_sheet(household_id):
    """The per-household monthly 走访 sheet, printed and signed by the household and the cadre."""
    year, month = _month_arg()
    return render_template("admin/support/visit_sheet.html", s=exports.month_sheet(_household(household_id), year, month),
                           labels=REACHED_BY, month=f"{year}-{month:02d}")


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

