"""一户一档: household list, detail, create / edit / move-out, passbook PDF."""
import re

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.households.forms import ActionForm, CardPrintForm, HouseholdForm, MoveOutForm
from extensions import db
from models import Household
from models.household import HOUSEHOLD_TAGS, SENSITIVE_TAGS, mask_id_number, mask_phone
from services.errors import ValidationFailed
from services.households import cards as cards_service
from services.households import registry as svc
from services.households.life_events import MOVE_OUT_POLICIES, move_out_policy
from services.ledger.passbook_pdf import render_passbook
from services.staff.scope import allowed_site_ids
from services.supermarket import allowances

#: who may look at the register; who may change it
READERS = ("cadre", "committee", "shopkeeper", "auditor")
EDITORS = ("cadre",)


def list_filter() -> svc.HouseholdFilter:
    """The list's filters from the query string; bad numbers are ignored with a message."""
    args = request.args
    flt = svc.HouseholdFilter(q=args.get("q", "").strip()[:64], tag=args.get("tag", "") if args.get("tag") in HOUSEHOLD_TAGS else "",
                              status=args.get("status", "active") if args.get("status", "active") in ("", *svc.STATUS_LABELS) else "active")
    for name in ("site_id", "min_balance", "max_balance"):
        raw = args.get(name, "").strip()
        if raw:
            if raw.isdigit():
                setattr(flt, name, int(raw))
            else:
                flash(f"筛选条件“{raw}”不是数字,已忽略", "error")
    imported = re.fullmatch(r"(\d{1,12})-(\d{1,12})", args.get("imported", "").strip())
    if imported:
        flt.imported = (int(imported.group(1)), int(imported.group(2)))
    return flt


#: roles that see a household's phone numbers and hardship tags in full; a shopkeeper sees them masked
#: and without those tags (docs/decisions.md#privacy)
PRIVATE_READERS = ("admin", "cadre", "committee", "auditor")


def _privacy() -> dict:
    full = current_user.has_role(*PRIVATE_READERS)
    return {"phone_of": (lambda phone: phone or "") if full else mask_phone,
            "shown_tags": (lambda tags: tags) if full else (lambda tags: [t for t in tags if t not in SENSITIVE_TAGS])}


@bp.route("/households")
@roles_required(*READERS)
def households():
    flt = list_filter()
    full = current_user.has_role(*PRIVATE_READERS)
    if not full and flt.tag in SENSITIVE_TAGS:
        flt.tag = ""
    tags = HOUSEHOLD_TAGS if full else {k: v for k, v in HOUSEHOLD_TAGS.items() if k not in SENSITIVE_TAGS}
    awaiting = (cards_service.households_awaiting_handover(allowed_site_ids(current_user))
                if current_user.has_role("admin", "cadre") else [])
    page = db.paginate(svc.search(current_user, flt), page=request.args.get("page", 1, type=int),
                       per_page=svc.PER_PAGE, error_out=False)
    return render_template("admin/households/list.html", page=page, flt=flt, sites=svc.visible_sites(current_user),
                           tags=tags, awaiting_handover=awaiting, statuses=svc.STATUS_LABELS, mask_id=mask_id_number,
                           print_form=CardPrintForm(), args=request.args.to_dict(), **_privacy())


@bp.route("/households/<int:household_id>")
@roles_required(*READERS)
def household_detail(household_id: int):
    home = db.get_or_404(Household, household_id)
    entries = svc.ledger_page(home, request.args.get("page", 1, type=int))
    return render_template("admin/households/detail.html", home=home, entries=entries, card=svc.current_card(home), cards=svc.cards_of(home),
                           held_out=allowances.held_out(home.id),
                           tags=HOUSEHOLD_TAGS, kinds=svc.LEDGER_KIND_LABELS, statuses=svc.STATUS_LABELS,
                           card_statuses=svc.CARD_STATUS_LABELS, mask_id=mask_id_number,
                           move_form=MoveOutForm(), action_form=ActionForm(), print_form=CardPrintForm(),
                           move_out_policy=MOVE_OUT_POLICIES.get(move_out_policy(), ''), **_privacy())


@bp.route("/households/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def household_new():
    form = HouseholdForm()
    _site_choices(form)
    if request.method == "GET":
        form.members.append_entry()
    return _save(form, None)


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def household_edit(household_id: int):
    home = db.get_or_404(Household, household_id)
    form = HouseholdForm() if request.method == "POST" else _form_for(home)
    _site_choices(form)
    return _save(form, home)


def _save(form: HouseholdForm, home):
    warnings = []
    if form.validate_on_submit():
        data = _data_from(form)
        errors = svc.validate(data)
        warnings = svc.duplicate_warnings(svc.normalize_id(data.head_id_number), svc.normalize_phone(data.phone),
                                          home.id if home else None)
        if errors:
            flash("请改正标出的问题后再保存", "error")
            for name, message in errors.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [*field.errors, message]
                else:
                    flash(message, "error")
        elif warnings and not form.confirm_duplicates.data:
            flash("发现可能重复登记的住户,请核实后勾选“我已核实,仍然保存”再提交", "error")
        else:
            saved = svc.update(current_user, home, data) if home else svc.create(current_user, data)
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("admin.household_detail", household_id=saved.id))
    return render_template("admin/households/form.html", form=form, home=home, warnings=warnings)


def _form_for(home: Household) -> HouseholdForm:
    form = HouseholdForm(obj=home, data={"tags": home.tags})
    form.tags.data = home.tags
    form.head_id_number.data = home.head_id_number or ""
    while len(form.members):
        form.members.pop_entry()
    for member in home.members:
        if member.relation != "户主":
            form.members.append_entry({"id": member.id, "name": member.name, "relation": member.relation,
                                       "id_number": member.id_number or "", "phone": member.phone or "",
                                       "is_current": member.is_current})
    form.members.append_entry()
    return form


def _site_choices(form: HouseholdForm) -> None:
    form.site_id.choices = [(s.id, f"{s.name}({s.code})") for s in svc.visible_sites(current_user)]


def _data_from(form: HouseholdForm) -> svc.HouseholdData:
    members = [svc.MemberData(name=m.form.name.data or "", relation=m.form.relation.data,
                              id_number=svc.normalize_id(m.form.id_number.data),
                              phone=svc.normalize_phone(m.form.phone.data), is_current=bool(m.form.is_current.data),
                              id=int(m.form.id.data) if (m.form.id.data or "").isdigit() else None)
               for m in form.members]
    members = [m for m in members if m.id or m.name.strip()]
    return svc.HouseholdData(
        site_id=form.site_id.data, head_name=form.head_name.data or "", head_id_number=svc.normalize_id(form.head_id_number.data),
        phone=svc.normalize_phone(form.phone.data), building=form.building.data or "", door_no=form.door_no.data or "",
        note=form.note.data or "", tags=list(form.tags.data or []), members=members)


@bp.route("/households/<int:household_id>/move-out", methods=["POST"])
@roles_required(*EDITORS)
def household_move_out(household_id: int):
    home = db.get_or_404(Household, household_id)
    form = MoveOutForm()
    if not form.validate_on_submit():
        raise ValidationFailed("请填写迁出原因")
    svc.move_out(current_user, home, form.reason.data)
    db.session.commit()
    flash("已办理迁出,这一户的积分卡已停用", "success")
    return redirect(url_for("admin.household_detail", household_id=home.id))


@bp.route("/households/<int:household_id>/passbook.pdf")
@roles_required(*READERS)
def household_passbook(household_id: int):
    home = db.get_or_404(Household, household_id)
    pdf = render_passbook(home, with_proof=request.args.get("proof") == "1")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=passbook-{home.id}.pdf"})
