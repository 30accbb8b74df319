"""光荣榜 pages: lists, editing with candidates, 公示/objections/publish, poster, 村喇叭."""
import os
from functools import wraps

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.scope import scoped_arg, unscoped_arg
from extensions import db
from models import HonorList
from services.honors import broadcast
from services.honors import lists as honors
from services.earning import notices
from services.honors import poster
from services.errors import DomainError, Forbidden, NotFound
from services.earning.evaluations import award_types
from services.households.registry import visible_sites

READERS = ("cadre", "committee", "auditor")
EDITORS = ("cadre",)
unscoped_arg("entry_id", "objection_id", "size")


@scoped_arg("list_id")
def _list_site(list_id):
    return db.session.execute(db.select(HonorList.site_id).where(HonorList.id == list_id)).scalar_one_or_none()


def _action(message: str):
    """POST views: run, commit once, flash; a domain error (not 403/404) flashes and changes nothing."""
    def decorator(view):
        @wraps(view)
        def wrapped(list_id, *args, **kwargs):
            lst = honors.get_list(current_user, list_id)
            try:
                view(lst, *args, **kwargs)
                db.session.commit()
                flash(message, "success")
            except (Forbidden, NotFound):
                raise
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            return redirect(request.form.get("next") or url_for("admin.honor_detail", list_id=list_id))
        return wrapped
    return decorator


@bp.route("/honors")
@roles_required(*READERS)
def honor_lists():
    site_id = request.args.get("site_id", type=int)
    return render_template("admin/honors/list.html", lists=honors.visible_lists(current_user, site_id),
                           sites=visible_sites(current_user), site_id=site_id)


@bp.route("/honors/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def honor_new():
    form = request.form
    if request.method == "POST":
        data = {k: form.get(k, "") for k in ("site_id", "title", "period_start", "period_end", "extra_sections")}
        data["award_type_ids"] = form.getlist("award_type_ids")
        try:
            lst = honors.create_list(current_user, data)
            db.session.commit()
            flash("光荣榜已创建,请挑选住户并填写先进事迹", "success")
            return redirect(url_for("admin.honor_detail", list_id=lst.id))
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return render_template("admin/honors/new.html", sites=visible_sites(current_user), awards=award_types(),
                           form=form)


@bp.route("/honors/<int:list_id>")
@roles_required(*READERS)
def honor_detail(list_id: int):
    lst = honors.get_list(current_user, list_id)
    editable = lst.status == "draft" and current_user.has_role("cadre", "admin")
    candidates = {s.id: honors.candidates(lst, s) for s in lst.sections} if editable else {}
    return render_template("admin/honors/detail.html", lst=lst, candidates=candidates, editable=editable,
                           objections=honors.objections(lst), notice_text=honors.notice_text(lst),
                           period=honors.period_label(lst), can_publish=notices.is_over(lst.notice_end),
                           entries=honors.entries_of(lst))


@bp.route("/honors/<int:list_id>/sections", methods=["POST"])
@roles_required(*EDITORS)
@_action("栏目已添加")
def honor_add_section(lst):
    honors.add_section(current_user, lst, request.form.get("name", ""))


@bp.route("/honors/<int:list_id>/entries", methods=["POST"])
@roles_required(*EDITORS)
@_action("已加入光荣榜")
def honor_add_entry(lst):
    f = request.form
    honors.add_entry(current_user, lst, f.get("section_id", type=int) or 0, f.get("household_id", type=int) or 0,
                     f.get("citation", ""), f.get("origin", "manual"))


@bp.route("/honors/<int:list_id>/entries/<int:entry_id>/citation", methods=["POST"])
@roles_required(*EDITORS)
@_action("先进事迹已保存")
def honor_citation(lst, entry_id: int):
    honors.set_citation(current_user, lst, entry_id, request.form.get("citation", ""))


@bp.route("/honors/<int:list_id>/entries/<int:entry_id>/move", methods=["POST"])
@roles_required(*EDITORS)
@_action("顺序已调整")
def honor_move(lst, entry_id: int):
    honors.move_entry(current_user, lst, entry_id, -1 if request.form.get("direction") == "up" else 1)


@bp.route("/honors/<int:list_id>/entries/<int:entry_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
@_action("已从光荣榜移除")
def honor_remove(lst, entry_id: int):
    honors.remove_entry(current_user, lst, entry_id)


@bp.route("/honors/<int:list_id>/notice", methods=["POST"])
@roles_required(*EDITORS)
@_action("已开始公示")
def honor_notice(lst):
    honors.open_notice(current_user, lst, request.form.get("days"), request.form.get("contact"))


@bp.route("/honors/<int:list_id>/objections", methods=["POST"])
@roles_required("cadre", "committee")
@_action("异议已登记")
def honor_objection(lst):
    f = request.form
    honors.record_objection(current_user, lst, f.get("content", ""), f.get("entry_id"), f.get("raised_by", ""))


@bp.route("/honors/<int:list_id>/objections/<int:objection_id>", methods=["POST"])
@roles_required(*EDITORS)
@_action("异议已处理")
def honor_resolve(lst, objection_id: int):
    honors.resolve_objection(current_user, lst, objection_id, request.form.get("decision") == "upheld",
                             request.form.get("resolution", ""))


@bp.route("/honors/<int:list_id>/publish", methods=["POST"])
@roles_required(*EDITORS)
@_action("光荣榜已发布:自助机待机画面和公开页面都会显示")
def honor_publish(lst):
    honors.publish(current_user, lst)


@bp.route("/honors/<int:list_id>/withdraw", methods=["POST"])
@roles_required(*EDITORS)
@_action("光荣榜已撤销")
def honor_withdraw(lst):
    honors.withdraw(current_user, lst, request.form.get("reason", ""))


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
    if request.method == "POST":
        if not current_user.has_role("cadre", "admin"):
            raise Forbidden("只有村/社区干部可以修改广播稿")
        try:
            broadcast.save_script(current_user, lst, "" if request.form.get("reset") else request.form.get("script"))
            db.session.commit()
            flash("广播稿已保存,音频已按新稿生成", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(url_for("admin.honor_broadcast", list_id=lst.id))
    path = broadcast.audio_for(lst)
    return render_template("admin/honors/broadcast.html", lst=lst, script=broadcast.script_of(lst),
                           edited=bool(lst.broadcast_script), audio=path, hint=broadcast.INSTALL_HINT,
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
