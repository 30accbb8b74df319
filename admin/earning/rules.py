"""积分细则: the catalog (admin edits), recording items for one or many households, evidence photos."""
import os
import secrets

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from admin import bp
from admin.auth import roles_required
from admin.earning.forms import RecordForm, ReverseEventForm, RuleForm
from admin.fields import refused
from admin.request_json import json_object
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import Household, Rule, RuleEvent, Site
from models.clock import local_today
from models.rules import CAP_PERIODS, RULE_UNITS
from services import database
from services.database import private_files
from services.earning import rules
from services.errors import DomainError, ValidationFailed
from services.households import cards
from services.staff.scope import allowed_site_ids, require_site, scope_filter

EVIDENCE_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG": ".png"}
STAFF = ("committee", "cadre", "auditor")

unscoped_arg("rule_id")  # the catalog is county-wide


@scoped_arg("event_id")
def _event_site(event_id):
    return db.session.execute(select(RuleEvent.site_id).where(RuleEvent.id == event_id)).scalar_one_or_none()


def scoped_sites() -> list[Site]:
    return list(db.session.execute(select(Site).where(scope_filter(current_user, Site.id)).order_by(Site.name)).scalars())


@bp.route("/rules")
@roles_required(*STAFF)
def rules_catalog():
    current = rules.current_rules()
    admin = current_user.has_role("admin")
    return render_template("admin/rules/catalog.html", rules=current, units=RULE_UNITS, periods=CAP_PERIODS,
                           can_edit=admin, can_seed=admin and not current,
                           can_record=current_user.has_role("admin", "committee", "cadre"))


@bp.route("/rules/seed", methods=["POST"])
@roles_required("admin")
def rules_seed():
    added = rules.seed_catalog(current_user)
    db.session.commit()
    flash(f"已载入初始积分细则 {added} 条" if added else "细则库已有内容,没有重复载入", "success")
    return redirect(url_for("admin.rules_catalog"))


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def rules_edit(rule_id=None):
    rule = db.get_or_404(Rule, rule_id) if rule_id else None
    form = RuleForm(data=_rule_values(rule) if rule else None)

    def page():
        return render_template("admin/rules/edit.html", rule=rule, form=form, units=RULE_UNITS,
                               periods=CAP_PERIODS, categories=rules.categories(),
                               versions=rules.versions_of(rule.series) if rule else [])

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    try:
        saved = rules.save_rule(current_user, _form_values(form), rule)
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash(f"已保存(第 {saved.version} 版)", "success")
    return redirect(url_for("admin.rules_catalog"))


def _rule_values(rule: Rule) -> dict:
    """The edit form's starting values: the current version of `rule`."""
    return {"category": rule.category.name, "name": rule.name, "points": rule.points, "unit": rule.unit,
            "cap_points": rule.cap_points, "cap_period": rule.cap_period,
            "evidence_required": rule.evidence_required, "note": rule.note}


def _form_values(form) -> dict:
    return {k: v for k, v in form.data.items() if k != "csrf_token"}


@bp.route("/rules/<int:rule_id>/retire", methods=["POST"])
@roles_required("admin")
def rules_retire(rule_id):
    rules.retire_rule(current_user, db.get_or_404(Rule, rule_id))
    db.session.commit()
    flash("已停用这条细则", "success")
    return redirect(url_for("admin.rules_catalog"))


@bp.route("/rules/record", methods=["GET", "POST"])
@roles_required("committee", "cadre")
def rules_record():
    form = RecordForm()

    def page():
        chosen = form.household_id.data or []
        picked = db.session.execute(select(Household).where(
            Household.id.in_(chosen), scope_filter(current_user, Household.site_id))).scalars() if chosen else []
        return render_template("admin/rules/record.html", sites=scoped_sites(), rules=rules.current_rules(),
                               form=form, today=local_today().isoformat(),
                               picked=[household_json(h) for h in picked])

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    evidence = None
    try:
        evidence = _save_evidence(form.evidence.data)
        events = rules.record(current_user, form.rule_id.data, form.household_id.data, event_date=form.event_date.data,
                              quantity=form.quantity.data or 1, note=form.note.data or "", evidence_file=evidence)
    except DomainError as error:
        if evidence:
            os.remove(os.path.join(evidence_dir(), evidence))
        return refused(page, error)
    db.session.commit()
    pending = sum(1 for e in events if e.status == "pending")
    flash(f"已记录 {len(events)} 户" + (f",其中 {pending} 户等待干部审批" if pending else ",积分已入账"), "success")
    return redirect(url_for("admin.rules_events"))


def evidence_dir() -> str:
    return private_files.private_dir(os.path.join(current_app.instance_path, "evidence"))


def _save_evidence(upload):
    if upload is None or not upload.filename:
        return None
    data = upload.read(8 * 1024 * 1024 + 1)
    if len(data) > 8 * 1024 * 1024:
        raise ValidationFailed("照片不能超过 8 MB")
    ext = next((e for magic, e in EVIDENCE_TYPES.items() if data.startswith(magic)), None)
    if ext is None:
        raise ValidationFailed("证明材料请上传 JPG 或 PNG 照片")
    name = secrets.token_hex(16) + ext
    private_files.write_private(os.path.join(evidence_dir(), name), data)
    return name


@bp.route("/rules/events/<int:event_id>/evidence")
@roles_required(*STAFF)
def rules_evidence(event_id):
    event = db.get_or_404(RuleEvent, event_id)
    require_site(current_user, event.site_id)
    if not event.evidence_file:
        abort(404)
    return send_file(os.path.join(evidence_dir(), os.path.basename(event.evidence_file)))


@bp.route("/rules/events")
@roles_required(*STAFF)
def rules_events():
    return _events_page()


def _events_page(form=None, event_id=None):
    """The recent items; a refused reversal (`form` for `event_id`) is shown again beside its row."""
    events = rules.recent_events(allowed_site_ids(current_user), limit=200)
    cadre = current_user.has_role("cadre")
    return render_template("admin/rules/events.html", events=events, reverse_form=form, reverse_id=event_id,
                           reversible={e.id for e in events if cadre and e.ledger_entry_id})


@bp.route("/rules/events/<int:event_id>/reverse", methods=["POST"])
@roles_required("cadre")
def rules_reverse(event_id):
    event = db.get_or_404(RuleEvent, event_id)
    form = ReverseEventForm()
    if not form.validate():
        return refused(lambda: _events_page(form, event.id))
    try:
        rules.reverse_event(current_user, event, form.reason.data)
    except DomainError as error:
        return refused(lambda: _events_page(form, event.id), error)
    db.session.commit()
    flash("已冲正", "success")
    return redirect(url_for("admin.rules_events"))


# ------------------------------------------------------------------ household pickers (JSON)
@bp.route("/earning/households")
@roles_required("committee", "cadre")
def earning_households():
    site_id = request.args.get("site_id", type=int)
    if site_id:
        require_site(current_user, site_id)
    q = (request.args.get("q") or "").strip()
    query = select(Household).where(Household.status == "active", scope_filter(current_user, Household.site_id))
    if site_id:
        query = query.where(Household.site_id == site_id)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Household.head_name.like(like), Household.head_initials.like(f"{q.lower()}%"),
                                Household.door_no.like(like), Household.phone.like(f"%{q}")))
    homes = db.session.execute(query.order_by(Household.building, Household.door_no).limit(300 if site_id else 30)).scalars()
    return jsonify([household_json(h) for h in homes])


@bp.route("/earning/scan", methods=["POST"])
@roles_required("committee", "cadre")
def earning_scan():
    """A scanned card (camera or USB scanner) -> the household, for the rule-recording picker."""
    scanned = json_object().get("token", "")
    if not isinstance(scanned, str):
        scanned = ""
    if "-" in scanned and len(scanned) <= 10:
        household = cards.card_by_short_code(scanned).household
    else:
        household = db.session.get(Household, database.run(cards.card_statement(scanned)).household_id)
    require_site(current_user, household.site_id)
    return jsonify(household_json(household))


def household_json(home: Household) -> dict:
    return {"id": home.id, "name": home.head_name, "building": home.building or "", "door_no": home.door_no or "",
            "site_id": home.site_id}
