"""Excel: template download, import (upload -> preview -> confirm), export of the filtered list."""
import os
import time
import uuid

from flask import Response, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from admin import background, bp
from admin.auth import roles_required
from admin.households.forms import ImportConfirmForm, ImportUploadForm
from admin.households.registry import EDITORS, list_filter
from admin.scope import unscoped_arg
from extensions import db
from models import Site
from models.clock import local_today
from models.household import HOUSEHOLD_TAGS
from services.households import excel, exports
from services.households import registry as svc
from services.staff import audit

STALE_SECONDS = 24 * 3600
unscoped_arg("export_id")  # an export belongs to the user who asked for it (exports.get_for), not to a site
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})


def _staging_path(batch: str) -> str:
    """Uploaded sheets wait here between preview and confirm; ones older than a day are removed."""
    folder = os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if time.time() - os.path.getmtime(path) > STALE_SECONDS:
                os.remove(path)
        except OSError:
            pass
    return os.path.join(folder, f"{batch}.xlsx")


@bp.route("/households/import/template.xlsx")
@roles_required(*EDITORS)
def household_import_template():
    return _xlsx(excel.template(current_user), "yihu-yidang-template.xlsx")


@bp.route("/households/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def household_import():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        for message in form.file.errors:
            flash(message, "error")
        return render_template("admin/households/import.html", form=form, result=None)
    batch = uuid.uuid4().hex
    path = _staging_path(batch)
    form.file.data.save(path)
    result = excel.preview(current_user, path)
    if result.ok:
        session["import_batch"], session["import_name"] = batch, form.file.data.filename
    else:
        os.remove(path)
    return render_template("admin/households/import.html", form=form, result=result,
                           confirm=ImportConfirmForm(batch=batch) if result.ok else None)


@bp.route("/households/import/confirm", methods=["POST"])
@roles_required(*EDITORS)
def household_import_confirm():
    form = ImportConfirmForm()
    if not form.validate_on_submit() or session.get("import_batch") != form.batch.data:
        flash("导入已过期或已完成,请重新上传表格", "error")
        return redirect(url_for("admin.household_import"))
    path = _staging_path(form.batch.data)
    if not os.path.exists(path):
        flash("导入已过期或已完成,请重新上传表格", "error")
        return redirect(url_for("admin.household_import"))
    result = excel.preview(current_user, path)  # re-checked: the register may have changed meanwhile
    if not result.ok:
        return render_template("admin/households/import.html", form=ImportUploadForm(), result=result, confirm=None)
    ids = excel.import_rows(current_user, result, session.get("import_name", ""))
    db.session.commit()
    os.remove(path)
    session.pop("import_batch", None)
    flash(f"已导入 {len(ids)} 户;下面列出的就是这次导入的住户,可以直接勾选打印积分卡", "success")
    return redirect(url_for("admin.households", imported=f"{min(ids)}-{max(ids)}", status=""))


@bp.route("/households/export.xlsx")
@roles_required("cadre", "auditor")
def household_export():
    """The filtered list as a sheet; a list too large to write inside the request is prepared in the
    background and its page offers the file when ready."""
    flt = list_filter()
    households = exports.count(current_user, flt)
    filter_fields = _given(flt)
    if households > exports.IN_REQUEST_LIMIT:
        export, new = exports.start(current_user, flt, households)
        export_id = export.id
        if new:
            audit.record(current_user, "household.export", "household_export", export_id,
                         after={"filter": filter_fields, "households": households})
        db.session.commit()
        if new:
            start_in_background(current_app._get_current_object(), export_id)
        return redirect(url_for("admin.household_export_page", export_id=export_id))
    data = excel.export(svc.search(current_user, flt))
    db.session.commit()  # end the read transaction: on SQLite the audit INSERT then waits for the lock
    audit.record(current_user, "household.export", "household", None, after={"filter": filter_fields})
    db.session.commit()
    return _xlsx(data, f"yihu-yidang-{local_today():%Y%m%d}.xlsx")


def _given(flt: svc.HouseholdFilter) -> dict:
    """The filter's fields that are set (for the audit entry and the list's query string)."""
    return {k: v for k, v in vars(flt).items() if v not in (None, "")}


def start_in_background(app, export_id: int):
    """Write the export's sheet on a read snapshot, then store it. Returns the thread (tests wait)."""
    return background.start_run(app, "household-export", export_id, exports.compute, exports.finish)


@bp.route("/households/exports/<int:export_id>")
@roles_required("cadre", "auditor")
def household_export_page(export_id: int):
    export = exports.get_for(current_user, export_id)
    flt = exports.filter_of(export)
    args = {k: v for k, v in _given(flt).items() if k != "imported"}
    args.setdefault("status", "")  # the list's default is 在册 only; "" means every status
    return render_template("admin/households/export.html", export=export, flt=flt, list_args=args,
                           site=db.session.get(Site, flt.site_id) if flt.site_id else None,
                           tag_labels=HOUSEHOLD_TAGS, status_labels=svc.STATUS_LABELS)


@bp.route("/households/exports/<int:export_id>.xlsx")
@roles_required("cadre", "auditor")
def household_export_file(export_id: int):
    export = exports.get_for(current_user, export_id)
    if export.state != "done":
        flash("导出文件还没有准备好" if export.state == "running" else "这次导出没有完成,请重新导出", "error")
        return redirect(url_for("admin.household_export_page", export_id=export_id))
    return _xlsx(export.data, f"yihu-yidang-{local_today():%Y%m%d}-{export.id}.xlsx")
