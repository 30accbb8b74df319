"""The staff menu, grouped by job; each link shows only to the roles its view declares.

Who may open a page is said once, by the view's own `roles_required(...)` (admin/auth.py), which
leaves the roles on the view as `required_roles`; `may_open` reads them there. The menu below only
names pages and groups, never roles (docs/decisions.md#day-one)."""
from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user

from admin import bp

#: (group label, [(endpoint, link label), ...]) in menu order
MENU = [
    ("积分", [("admin.households", "一户一档"), ("admin.evaluations_list", "五评五奖"),
             ("admin.activities_list", "志愿活动"), ("admin.rules_catalog", "积分细则"),
             ("admin.approvals_queue", "待审批"), ("admin.life_events_list", "家庭变动"),
             ("admin.year_end_page", "年末处理")]),
    ("超市", [("admin.goods_list", "商品管理"), ("admin.redemptions_list", "兑换记录"),
             ("admin.reports_exports", "兑换台账"), ("admin.integrity_stocktake", "盘点"),
             ("admin.kiosks_list", "自助终端")]),
    ("光荣榜", [("admin.honor_lists", "光荣榜")]),
    ("后续扶持", [("admin.support_home", "后续扶持总览"), ("admin.support_my_households", "我的包保户"),
               ("admin.support_visits", "走访记录"), ("admin.support_problems", "问题台账"),
               ("admin.support_monitoring", "防返贫监测"), ("admin.support_jobs", "就业台账"),
               ("admin.support_plans", "年度计划"), ("admin.support_settlements", "包保分工"),
               ("admin.support_assessment", "考核"), ("admin.support_report", "月度汇报"),
               ("admin.support_archive", "一户一档导出")]),
    ("监督", [("admin.reports_dashboard", "报表"), ("admin.integrity_anomalies", "异常核查"),
             ("admin.ledger_verify", "账本校验"), ("admin.integrity_fund", "积分基金"),
             ("admin.integrity_controls", "双人复核"), ("admin.integrity_recusal", "回避申报"),
             ("admin.audit_log", "操作日志")]),
    ("系统", [("admin.staff_list", "工作人员"), ("admin.evaluations_config", "评议设置"),
             ("admin.health", "系统状态")]),
]


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    url: str


def may_open(user, endpoint: str) -> bool:
    """True when `user` passes the role check of the view behind `endpoint`: the roles the view
    declared with roles_required (admin always passes); a view without a declaration only needs a login."""
    view = current_app.view_functions.get(endpoint)
    if view is None or not getattr(user, "is_authenticated", False):
        return False
    roles = getattr(view, "required_roles", None)
    return roles is None or user.has_role("admin", *roles)


def nav_groups(user) -> list[tuple[str, list[NavLink]]]:
    """The menu for `user`: groups with at least one link the user may open."""
    groups = []
    for label, links in MENU:
        shown = [NavLink(endpoint, text, url_for(endpoint)) for endpoint, text in links if may_open(user, endpoint)]
        if shown:
            groups.append((label, shown))
    return groups


@bp.app_context_processor
def _nav():
    return {"nav_groups": lambda: nav_groups(current_user), "may_open": lambda e: may_open(current_user, e)}
