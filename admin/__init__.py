"""Staff pages (村/社区干部, 评议会, 超市管理员, 审计, 系统管理员), one sub-package per domain.

The domain packages mirror services/: admin/<domain>/<topic>.py holds the views for
services/<domain>/<topic>.py. See docs/architecture.md.
"""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.app_template_filter("local")
def local(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) datetime shown in the configured zone, as `fmt`; '' for None.
    The one way templates show a stored time: {{ row.created_at | local }}, | local('%Y-%m-%d')."""
    from models.clock import to_local

    return to_local(moment).strftime(fmt) if moment else ""

# routes register on import
from admin import auth, health, home, nav, scope  # noqa: E402,F401
from admin.earning import activities, approvals, evaluations, rules  # noqa: E402,F401
from admin.honors import lists, public  # noqa: E402,F401
from admin.households import cards, excel, life_events, registry  # noqa: E402,F401
from admin.integrity import anomalies, controls, fund, recusal, stocktake  # noqa: E402,F401
from admin.ledger import verify, year_end  # noqa: E402,F401
from admin.reports import dashboard, monthly_report  # noqa: E402,F401
from admin.staff import audit_log, users  # noqa: E402,F401
from admin.supermarket import goods, kiosk_offline, kiosks  # noqa: E402,F401
from admin.support import (  # noqa: E402,F401,F811
    archive,
    assessment,
    dashboard,
    jobs,
    monitoring,
    plans,
    problems,
    responsibility,
    settlement,
    visits,
    worklist,
)
