"""光荣榜 pages: lists, editing with candidates, 公示/objections/publish, poster, 村喇叭."""
import os
from functools import wraps

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.honors.forms import (
    BroadcastForm,
    ButtonForm,
    CitationForm,
    EntryForm,
    HonorNewForm,
    MoveForm,
    NoticeForm,
    ObjectionForm,
    ResolveForm,
    SectionForm,
    WithdrawForm,
)
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import HonorList
from services.earning import notices
from services.earning.evaluations import award_types
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.honors import broadcast, poster
from services.honors import lists as honors
from services.households.registry import visible_sites

READERS = ("cadre", "committee", "auditor")
EDITORS = ("cadre",)
unscoped_arg("entry_id", "objection_id", "size", "section_id")


@scoped_arg("list_id")
def _list_site(list_id):
    return db.session.execute(db.select(HonorList.site_id).where(HonorList.id == list_id)).scalar_one_or_none()


def _action(message: str, form_class):
    """POST views on one list: the form is parsed first (a refusal shows the list page again, 400);
    the view runs with it, commits once and flashes `message`; a domain error (not 403/404) shows the
    page again with its own status and nothing written."""
    def decorator(view):
        @wraps(view)
        def wrapped(list_id, *args, **kwargs):
            lst = honors.get_list(current_user, list_id)
            form = form_class()
            page = lambda: _detail_page(lst, view.__name__, form, kwargs)  # noqa: E731
            if not form.validate():
                return refused(page, _first_error(form))
            try:
                view(lst, form, *args, **kwargs)
            except (Forbidden, NotFound):
                raise
            except DomainError as error:
                return refused(page, error)
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("admin.honor_detail", list_id=list_id))
        return wrapped
    return decorator


def _first_error(form) -> ValidationFailed:
    messages = [message for errors in form.errors.values() for message in errors]
    return ValidationFailed(messages[0] if messages else "请刷新页面后重试")


@bp.route("/honors")
@roles_required(*READERS)
def honor_lists():
    site_id = request.args.get("site_id", type=int)
    return render_template("admin/honors/list.html", lists=honors.visible_lists(current_user, site_id),
                           sites=visible_sites(current_user), site_id=site_id)


@bp.route("/honors/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def honor_new():
    form = HonorNewForm()
    awards = award_types()
    if not form.is_submitted():
        form.award_type_ids.data = [a.id for a in awards]

    def page():
        return render_template("admin/honors/new.html", sites=visible_sites(current_user), awards=awards, form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return refused(page)
    data = {name: getattr(form, name).data for name in
            ("site_id", "title", "period_start", "period_end", "award_type_ids", "extra_sections")}
    data["extra_sections"] = data["extra_sections"] or ""
    try:
        lst = honors.create_list(current_user, data)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return refused(page, error)
    db.session.commit()
    flash("光荣榜已创建,请挑选住户并填写先进事迹", "success")
    return redirect(url_for("admin.honor_detail", list_id=lst.id))


@bp.route("/honors/<int:list_id>")
@roles_required(*READERS)
def honor_detail(list_id: int):
    return _detail_page(honors.get_list(current_user, list_id))


def _name_search(lst: HonorList) -> dict:
    """?q=&section_id= on the list page: households found by name or pinyin initials for that section."""
    q, section_id = request.args.get("q", "").strip(), request.args.get("section_id", type=int)
    if not q or not section_id or lst.status != "draft":
        return {}
    return {"section_id": section_id, "q": q, "found": honors.find_households(current_user, lst, q)}


def _detail_page(lst: HonorList, refused_view: str = "", form=None, args=None):
    """The list page. A refused form is shown again: `refused_view` names the view it was posted to
    and `args` its URL arguments, so the page puts the typed values and errors in that form."""
    editable = lst.status == "draft" and current_user.has_role("cadre", "admin")
    objections = honors.objections(lst)
    cadre = current_user.has_role("cadre")
    shown = {refused_view: form} if form is not None else {}
    return render_template(
        "admin/honors/detail.html", lst=lst, editable=editable, objections=objections,
        candidates={s.id: honors.candidates(lst, s) for s in lst.sections} if editable else {},
        notice_text=honors.notice_text(lst), period=honors.period_label(lst), can_publish=notices.is_over(lst.notice_end),
        entries=honors.entries_of(lst), name_search=_name_search(lst) if editable else {},
        published=lst.status == "published",
        show_objections=lst.status == "notice" or (lst.status == "draft" and bool(objections)),
        can_resolve={o.id for o in objections if cadre and o.status == "open"},
        can_object=lst.status == "notice" and current_user.has_role("admin", "cadre", "committee"),
        show_publish=lst.status == "notice" and cadre,
        can_withdraw=lst.status in ("published", "notice") and cadre,
        section_form=shown.get("honor_add_section") or SectionForm(formdata=None),
        notice_form=shown.get("honor_notice") or NoticeForm(formdata=None, days=lst.notice_days, contact=lst.contact),
        objection_form=shown.get("honor_objection") or ObjectionForm(formdata=None),
        withdraw_form=shown.get("honor_withdraw") or WithdrawForm(formdata=None),
        entry_form=shown.get("honor_add_entry"),
        citation_form=shown.get("honor_citation"), citation_entry=(args or {}).get("entry_id"),
        resolve_form=shown.get("honor_resolve"), resolve_objection=(args or {}).get("objection_id"))


@bp.route("/honors/<int:list_id>/sections", methods=["POST"])
@roles_required(*EDITORS)
@_action("栏目已添加", SectionForm)
def honor_add_section(lst, form: SectionForm):
    honors.add_section(current_user, lst, form.name.data)


@bp.route("/honors/<int:list_id>/entries", methods=["POST"])
@roles_required(*EDITORS)
@_action("已加入光荣榜", EntryForm)
def honor_add_entry(lst, form: EntryForm):
    honors.add_entry(current_user, lst, form.section_id.data, form.household_id.data, form.citation.data or "",
                     form.origin.data)


@bp.route("/honors/<int:list_id>/entries/<int:entry_id>/citation", methods=["POST"])
@roles_required(*EDITORS)
@_action("先进事迹已保存", CitationForm)
def honor_citation(lst, form: CitationForm, entry_id: int):
    honors.set_citation(current_user, lst, entry_id, form.citation.data or "")


@bp.route("/honors/<int:list_id>/entries/<int:entry_id>/move", methods=["POST"])
@roles_required(*EDITORS)
@_action("顺序已调整", MoveForm)
def honor_move(lst, form: MoveForm, entry_id: int):
    honors.move_entry(current_user, lst, entry_id, -1 if form.direction.data == "up" else 1)


@bp.route("/honors/<int:list_id>/entries/<int:entry_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
@_action("已从光荣榜移除", ButtonForm)
def honor_remove(lst, form: ButtonForm, entry_id: int):
    honors.remove_entry(current_user, lst, entry_id)


@bp.route("/honors/<int:list_id>/notice", methods=["POST"])
@roles_required(*EDITORS)
@_action("已开始公示", NoticeForm)
def honor_notice(lst, form: NoticeForm):
    honors.open_notice(current_user, lst, form.days.data, form.contact.data)


@bp.route("/honors/<int:list_id>/objections", methods=["POST"])
@roles_required("cadre", "committee")
@_action("异议已登记", ObjectionForm)
def honor_objection(lst, form: ObjectionForm):
    honors.record_objection(current_user, lst, form.content.data, form.entry_id.data, form.raised_by.data or "")


@bp.route("/honors/<int:list_id>/objections/<int:objection_id>", methods=["POST"])
@roles_required(*EDITORS)
@_action("异议已处理", ResolveForm)
def honor_resolve(lst, form: ResolveForm, objection_id: int):
    honors.resolve_objection(current_user, lst, objection_id, form.decision.data == "upheld", form.resolution.data)


@bp.route("/honors/<int:list_id>/publish", methods=["POST"])
@roles_required(*EDITORS)
@_action("光荣榜已发布:自助机待机画面和公开页面都会显示", ButtonForm)
def honor_publish(lst, form: ButtonForm):
    honors.publish(current_user, lst)


@bp.route("/honors/<int:list_id>/withdraw", methods=["POST"])
@roles_required(*EDITORS)
@_action("光荣榜已撤销", WithdrawForm)
def honor_withdraw(lst, form: WithdrawForm):
    honors.withdraw(current_user, lst, form.reason.data)


@bp.route("/honors/<int:list_id>/poster/<size>")
@roles_required(*READERS)
def honor_poster(list_id: int, size: str):
    lst = honors.get_list(current_user, list_id)
    return poster_response(lst, size)


def poster_response(lst: HonorList, size: str) -> Response:
    """A4/A3 PDF or the PNG (also used by the public page)."""
    name = f"光荣榜-{lst.site.name}-{lst.title}"
    if size == "png":
        data = poster.render_png(lst, poster.cache_dir())
        mimetype, name = "image/png", name + ".png"
    elif size in poster.SIZES:
        data, mimetype, name = poster.render_pdf(lst, size), "application/pdf", f"{name}-{size}.pdf"
    else:
        raise NotFound("没有这种海报尺寸")
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = _disposition(name, inline=request.args.get("download") != "1")
    return response


@bp.route("/honors/<int:list_id>/broadcast", methods=["GET", "POST"])
@roles_required(*READERS)
def honor_broadcast(list_id: int):
    lst = honors.get_list(current_user, list_id)
    form = BroadcastForm()
    if not form.is_submitted():
        return _broadcast_page(lst, form)
    if not current_user.has_role("cadre", "admin"):
        raise Forbidden("只有村/社区干部可以修改广播稿")
    if not form.validate():
        return refused(lambda: _broadcast_page(lst, form))
    try:
        broadcast.save_script(current_user, lst, "" if form.reset.data else form.script.data)
    except DomainError as error:
        return refused(lambda: _broadcast_page(lst, form), error)
    db.session.commit()
    flash("广播稿已保存,音频已按新稿生成", "success")
    return redirect(url_for("admin.honor_broadcast", list_id=lst.id))


def _broadcast_page(lst: HonorList, form: BroadcastForm):
    """The script page; a refused edit shows the typed script, not the saved one."""
    path = broadcast.audio_for(lst) if broadcast.can_broadcast(lst) else None
    script = form.script.data if form.is_submitted() and form.script.data is not None else broadcast.script_of(lst)
    return render_template("admin/honors/broadcast.html", lst=lst, script=script, form=form,
                           edited=bool(lst.broadcast_script), audio=path, hint=broadcast.INSTALL_HINT,
                           can_edit=current_user.has_role("cadre", "admin"), published=broadcast.can_broadcast(lst),
                           version=os.path.basename(path).split(".")[0] if path else "")


@bp.route("/honors/<int:list_id>/broadcast/audio")
@roles_required(*READERS)
def honor_broadcast_audio(list_id: int):
    lst = honors.get_list(current_user, list_id)
    path = broadcast.audio_for(lst)
    if path is None:
        raise NotFound(f"本机没有安装 espeak-ng,无法生成音频。请安装:{broadcast.INSTALL_HINT}")
    extension = os.path.splitext(path)[1]
    return send_file(path, mimetype="audio/ogg" if extension == ".ogg" else "audio/wav",
                     as_attachment=request.args.get("download") == "1",
                     download_name=f"村喇叭-{lst.site.name}-{lst.title}{extension}")


def _disposition(filename: str, inline: bool) -> str:
    from urllib.parse import quote

    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"honor-list{os.path.splitext(filename)[1]}\"; filename*=UTF-8''{quote(filename)}"
