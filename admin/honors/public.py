"""Public read-only pages (no login): published honor lists and their poster image.

Positive lists name households in full (docs/decisions.md#privacy); only PUBLISHED lists are shown,
a list on 公示 or withdrawn answers 404."""
from flask import render_template

from admin import bp
from admin.honors.lists import poster_response
from admin.scope import PUBLIC_ENDPOINTS, unscoped_arg
from extensions import limiter
from services.errors import NotFound
from services.honors.public import as_dict, public_list

PUBLIC_ENDPOINTS.update({"admin.public_honor", "admin.public_honor_poster"})
unscoped_arg("public_list_id")  # public on purpose: published lists only


@bp.route("/public/honors/<int:public_list_id>")
def public_honor(public_list_id: int):
    lst = public_list(public_list_id)
    return render_template("admin/honors/public.html", lst=lst, data=as_dict(lst))


@bp.route("/public/honors/<int:public_list_id>/poster.<fmt>")
@limiter.limit("20 per minute")  # a render costs seconds of CPU; the PNG is cached, the PDF is not
def public_honor_poster(public_list_id: int, fmt: str):
    if fmt not in ("png", "pdf"):
        raise NotFound("没有这种格式")
    return poster_response(public_list(public_list_id), "png" if fmt == "png" else "A4")
