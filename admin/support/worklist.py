"""我的包保户: a cadre's phone-first worklist — who is left to visit this month, who is overdue,
open problems — each with a tap-to-call phone and one tap to start the visit."""
from flask import render_template, request
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from admin.support import MANAGERS, VISITORS, _cadre_choices
from extensions import db
from models.clock import local_today
from models.support import SupportCadre
from services.staff.scope import allowed_site_ids
from services.support import responsibility as support
from services.support import visits


@bp.route("/support/mine")
@roles_required(*VISITORS)
def support_my_households():
    """The signed-in cadre's own list; a manager may open another cadre's with ?cadre_id=."""
    cadre = support.cadre_for_user(current_user)
    chosen = request.args.get("cadre_id", type=int)
    manager = current_user.has_role("admin", *MANAGERS)
    if chosen and manager:
        cadre = db.get_or_404(SupportCadre, chosen)
    items = visits.worklist(cadre.id, allowed_site_ids(current_user)) if cadre else []
    return render_template("admin/support/mine.html", cadre=cadre, items=items, today=local_today(),
                           left=sum(1 for i in items if not i.visited), overdue=sum(1 for i in items if i.overdue),
                           problems=sum(i.open_problems for i in items), overdue_days=visits.overdue_days(),
                           cadres=_cadre_choices() if manager else [])
