"""The staff home page: what waits for this user today, one line per task (a count and a link),
then a few charts with their numbers in a table beside them (docs/decisions.md#day-one)."""
from dataclasses import dataclass
from typing import Optional

from flask import render_template, url_for
from flask_login import current_user, login_required

from admin import bp
from admin.nav import may_open
from models.clock import local_today
from services.reports import dashboard as reports
from services.reports import today as worklist
from services.staff.scope import allowed_site_ids
from services.support import plans

#: how many months the points chart shows (this one included)
CHART_MONTHS = 6


@dataclass
class Line:
    label: str
    count: int
    url: Optional[str] = None
    #: a word after the count (条, 户, 件 …)
    unit: str = ""
    note: str = ""
    #: a figure to look at, not a task to do (its link says 查看)
    info: bool = False


def _link(endpoint: str, **args) -> Optional[str]:
    """The page's URL when the user may open it (read from the view's own role declaration)."""
    return url_for(endpoint, **args) if may_open(current_user, endpoint) else None


def _one_or_list(items, detail: str, key: str, listing: str, **list_args) -> Optional[str]:
    return _link(detail, **{key: items[0].id}) if len(items) == 1 else _link(listing, **list_args)


def _plan_task_line() -> Line:
    """The annual plan's tasks this user answers for that are past their deadline."""
    late = plans.overdue_tasks_for(current_user)
    url = (_link("admin.support_plan_task", task_id=late[0].id) if len(late) == 1 else _link("admin.support_plans"))
    return Line("我负责的年度计划任务已超期", len(late), url, "项", "、".join(t.title[:20] for t in late[:3]))


def _committee_lines() -> list[Line]:
    rounds = worklist.rounds_to_score(current_user)
    url = (_link("admin.evaluations_grid", round_id=rounds[0].id) if len(rounds) == 1
           else _link("admin.evaluations_list", status="scoring"))
    tasks = _plan_task_line()
    return [Line("待评分的评议", len(rounds), url, "次")] + ([tasks] if tasks.count else [])


def _cadre_lines() -> list[Line]:
    user = current_user
    rounds = worklist.rounds_ready_to_post(user)
    lists = worklist.honor_lists_ready_to_publish(user)
    objections = worklist.open_objections(user)
    first = objections[0] if objections else None
    objection_url = None
    if first:
        objection_url = (_link("admin.evaluations_detail", round_id=first[1]) if first[0] == "round"
                         else _link("admin.honor_detail", list_id=first[1]))
    return [
        Line("待审批的积分", worklist.pending_approvals(user), _link("admin.approvals_queue"), "条"),
        Line("公示已结束、可以入账的评议", len(rounds),
             _one_or_list(rounds, "admin.evaluations_detail", "round_id", "admin.evaluations_list", status="notice"),
             "次", "、".join(f"{r.site.name}{r.title}" for r in rounds[:3])),
        Line("公示已结束、可以发布的光荣榜", len(lists),
             _one_or_list(lists, "admin.honor_detail", "list_id", "admin.honor_lists"), "个",
             "、".join(f"{lst.site.name}{lst.title}" for lst in lists[:3])),
        Line("未处理的异议", sum(n for _kind, _id, n in objections), objection_url, "条"),
        Line("本月走访逾期", worklist.overdue_visits(user), _link("admin.support_coverage"), "户"),
        Line("已整改、待复核销号的问题", worklist.problems_to_close(user),
             _link("admin.support_problems", status="resolved"), "个"),
        _plan_task_line(),
    ]


def _shop_lines() -> list[Line]:
    user = current_user
    sold = worklist.redemptions_today(user)
    silent = worklist.silent_kiosks(user)
    return [
        Line("库存预警的商品", worklist.low_stock(user), _link("admin.goods_list"), "种"),
        Line("超过 1 小时没有联网的自助终端", silent, _link("admin.kiosks_list"), "台",
             "" if may_open(user, "admin.kiosks_list") or not silent else "请检查终端电源和网络,或联系系统管理员"),
        Line("今天的兑换", sold["count"], _link("admin.redemptions_list"), "笔", f"共 {sold['points']} 积分", info=True),
    ]


def _auditor_lines() -> list[Line]:
    from admin import local

    last = worklist.last_verify()
    if last is None:
        verify_note = "还没有校验过"
    else:
        verify_note = (f"{local(last.at)} 校验:" + ("全部通过" if last.ok else f"发现 {last.problems} 个问题"))
    unchecked, checked_at = worklist.unchecked_findings(current_user)
    return [
        Line("未核查的异常线索", unchecked, _link("admin.integrity_anomalies", open=1), "条",
             f"{local(checked_at)} 核查" if checked_at else "还没有核查过"),
        Line("账本校验", last.problems if last else 0, _link("admin.ledger_verify"), "个问题", verify_note,
             info=bool(last and last.ok)),
    ]


#: (heading, the role whose job it is, lines); admin sees every section
SECTIONS = [("评议会", "committee", _committee_lines), ("干部", "cadre", _cadre_lines),
            ("超市", "shopkeeper", _shop_lines), ("审计", "auditor", _auditor_lines)]


def _charts() -> dict:
    """Points earned vs redeemed per month, and this month's visit coverage per site; each chart's
    numbers are in the table beside it. Shown to whoever may open the page they summarise."""
    charts = {}
    sites = allowed_site_ids(current_user)
    if may_open(current_user, "admin.reports_dashboard"):
        today = local_today()
        months_back = today.year * 12 + today.month - 1 - (CHART_MONTHS - 1)
        start = today.replace(year=months_back // 12, month=months_back % 12 + 1, day=1)
        flt = reports.Filters(start, today, sites)
        months = reports.monthly(flt, reports.ledger_cube(flt))
        charts["points"] = {"rows": months, "spec": {"type": "bar", "labels": [m.month for m in months], "datasets": [
            {"label": "挣得", "data": [m.issued for m in months], "color": "#b3261e"},
            {"label": "兑换", "data": [m.redeemed for m in months], "color": "#d4a017"}]}}
    if may_open(current_user, "admin.support_coverage"):
        from services.support import visits

        today = local_today()
        cov = visits.coverage(today.year, today.month, sites)
        rows = [r for r in cov.by_site if r.households]
        charts["visits"] = {"rows": rows, "total": cov.total, "spec": {
            "type": "bar", "horizontal": True, "labels": [r.label for r in rows], "datasets": [
                {"label": "已走访", "data": [r.visited for r in rows], "color": "#1b6e20"},
                {"label": "应走访", "data": [r.households for r in rows], "color": "#999999"}]}}
    return charts


@bp.route("/")
@login_required
def dashboard():
    sections = [(heading, builder()) for heading, role, builder in SECTIONS
                if current_user.has_role("admin", role)]
    return render_template("admin/dashboard.html", sections=sections, charts=_charts())
