"""每月专题汇报: one month for a site or a township, as tables whose 合计 row is always the
sum of the rows above it; exported to Excel (openpyxl) and PDF (fpdf2, embedded CJK font).

Figures are "as of" the end of the month, or now for the current month. Household tags and
the households' sites are today's (tags carry no history); problems and 监测 use their
dated history. Points come from ledger entries by their site at posting time and their
effective date (read through the month totals); activities from models.activity when that module is installed."""
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Optional, Union

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import Select, case, func, select

from extensions import db
from models import Household, HouseholdTag, LedgerEntry, Site
from models import LedgerMonthTotal as T
from models.clock import local_today, utcnow
from models.household import HOUSEHOLD_TAGS
from models.ledger import EARNING_KINDS
from models.monthly_report import NARRATIVE_SECTIONS
from models.support import MONITORING_TYPES, PROBLEM_CATEGORIES, MonitoringCase, Problem
from services import pdf_fonts, workbook
from services.ledger import month_totals
from services.ledger.seals import seal_line
from services.support import problems as problem_service
from services.support import responsibility as support
from services.support import visits


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> list:
        """合计: column sums of the rows (numbers only)."""
        sums = ["合计"]
        for i in range(1, len(self.columns)):
            values = [r[i] for r in self.rows if isinstance(r[i], int)]
            sums.append(sum(values) if values or not self.rows else "")
        return sums

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


@dataclass
class Report:
    title: str
    year: int
    month: int
    first: date
    last: date
    as_of: date
    sites: list
    sections: list[Section] = field(default_factory=list)
    #: the narrative and its sign-off (models/monthly_report.py), when written
    note: Optional[object] = None
    #: the newest ledger seal, printed as an anchor (docs/decisions.md#ledger-seals)
    seal: str = ""

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def build(year: int, month: int, site_ids: Union[Select, Iterable[int]], title: str) -> Report:
    """The report of the sites `site_ids`: their ids, or a SELECT of them (an area's sites, which every
    query then reads itself instead of being sent thousands of ids: scope.sites_under_query)."""
    first, last = support.month_range(year, month)
    site_ids = site_ids if isinstance(site_ids, Select) else sorted(set(site_ids))
    sites = db.session.execute(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)).scalars().all()
    report = Report(title, year, month, first, last, min(local_today(), last), sites, seal=seal_line())
    cover = visits.coverage(year, month, site_ids)  # one computation for both visit sections
    report.sections = [
        _households(sites, site_ids), _responsibility(sites, site_ids, report.as_of), _visits(cover, site_ids),
        _problems(site_ids, first, last), _monitoring(site_ids, first, last), _points(sites, site_ids, first, last),
        _activities(sites, site_ids, first, last), _cadre_visits(cover, site_ids),
    ]
    return report


def _cutoff(last: date):
    """The moment the month's figures stand at: local midnight after the month, or now."""
    end = problem_service.local_midnight_utc(last + timedelta(days=1))
    return min(end, utcnow())


# ------------------------------------------------------------------ sections
def _households(sites, ids) -> Section:
    tags = list(HOUSEHOLD_TAGS)
    section = Section("households", "一、户数与类别", ["安置点", "在册户数", "重点户"] + [HOUSEHOLD_TAGS[t] for t in tags],
                      note="一户可有多个类别;重点户 = 三特户、三无户、监测户")
    totals = dict(db.session.execute(select(Household.site_id, func.count(Household.id))
                                     .where(Household.status == "active", Household.site_id.in_(ids))
                                     .group_by(Household.site_id)).all())
    priority = dict(db.session.execute(select(Household.site_id, func.count(Household.id))
                                       .where(Household.status == "active", Household.site_id.in_(ids),
                                              support.is_priority_clause()).group_by(Household.site_id)).all())
    by_tag = {}
    for sid, tag, n in db.session.execute(
            select(Household.site_id, HouseholdTag.tag, func.count(Household.id))
            .join(HouseholdTag, HouseholdTag.household_id == Household.id)
            .where(Household.status == "active", Household.site_id.in_(ids))
            .group_by(Household.site_id, HouseholdTag.tag)):
        by_tag[(sid, tag)] = n
    for s in sites:
        section.rows.append([s.name, totals.get(s.id, 0), priority.get(s.id, 0)] + [by_tag.get((s.id, t), 0) for t in tags])
    return section


def _responsibility(sites, ids, as_of: date) -> Section:
    section = Section("responsibility", "二、包保责任落实", ["安置点", "重点户", "已落实包保", "未落实包保"],
                      note=f"截至 {as_of:%Y-%m-%d}")
    covered = support.active_responsibility_clause(as_of)
    rows = db.session.execute(
        select(Household.site_id, func.count(Household.id), func.sum(case((covered, 1), else_=0)))
        .where(Household.status == "active", Household.site_id.in_(ids), support.is_priority_clause())
        .group_by(Household.site_id)).all()
    counts = {sid: (n, int(c or 0)) for sid, n, c in rows}
    for s in sites:
        n, c = counts.get(s.id, (0, 0))
        section.rows.append([s.name, n, c, n - c])
    return section


def _visits(result: visits.Coverage, site_ids) -> Section:
    section = Section("visits", "三、走访", ["安置点", "应走访户数", "已走访户数", "应走访次数", "已完成次数", "走访记录数"])
    records = dict(db.session.execute(
        select(visits.Visit.site_id, func.count(visits.Visit.id))
        .where(visits.Visit.visit_date.between(result.first, result.last), visits.Visit.site_id.in_(site_ids))
        .group_by(visits.Visit.site_id)).all())
    for row in result.by_site:
        section.rows.append([row.label, row.households, row.visited, row.visits_required, row.visits_done,
                             records.get(row.key, 0)])
    return section


def _cadre_visits(result: visits.Coverage, site_ids) -> Section:
    """Each 包保 cadre's households to visit this month, those visited, and the visits they filed."""
    section = Section("cadre_visits", "八、包保责任人走访", ["包保责任人", "应走访户数", "已走访户数", "覆盖率", "本人走访记录数"],
                      note="一户有两位包保责任人时,两人各计一次,合计可能大于户数")
    filed = dict(db.session.execute(
        select(visits.Visit.cadre_id, func.count(visits.Visit.id))
        .where(visits.Visit.visit_date.between(result.first, result.last), visits.Visit.site_id.in_(site_ids),
               visits.Visit.cadre_id.is_not(None))
        .group_by(visits.Visit.cadre_id)).all())
    for row in result.by_cadre:
        section.rows.append([row.label, row.households, row.visited, row.rate, filed.get(row.key, 0)])
    return section


def _problems(site_ids, first, last) -> Section:
    section = Section("problems", "四、问题台账", ["问题类别", "本月新增", "本月销号", "月末未销号", "其中超期"])
    cutoff = _cutoff(last)
    cutoff_day = min(local_today(), last + timedelta(days=1))
    start = problem_service.local_midnight_utc(first)
    found = db.session.execute(select(Problem).where(Problem.site_id.in_(site_ids), Problem.found_date <= last)).scalars()
    counts = {c: [0, 0, 0, 0] for c in PROBLEM_CATEGORIES}
    for p in found:
        row = counts[p.category]
        status = problem_service.status_at(p, cutoff)
        if first <= p.found_date <= last:
            row[0] += 1
        if p.closed_at and start <= p.closed_at < cutoff:
            row[1] += 1
        if status is not None and status != "closed":
            row[2] += 1
            if status in problem_service.WORKING and p.deadline and p.deadline < cutoff_day:
                row[3] += 1
    section.rows = [[c] + counts[c] for c in PROBLEM_CATEGORIES]
    return section


def _monitoring(site_ids, first, last) -> Section:
    section = Section("monitoring", "五、防返贫监测", ["监测类型", "本月发现风险", "本月纳入监测", "本月风险消除", "月末监测中"])
    cases = db.session.execute(select(MonitoringCase).where(MonitoringCase.site_id.in_(site_ids))).scalars()
    counts = {t: [0, 0, 0, 0] for t in MONITORING_TYPES}
    for c in cases:
        row, state = counts[c.type], False
        for step in c.steps:
            if step.step_date > last:
                continue
            in_month = step.step_date >= first
            if step.phase == "identify" and step.step == "found" and in_month:
                row[0] += 1
            if step.step == "county" and step.passed:
                state = step.phase == "identify"
                if in_month:
                    row[1 if step.phase == "identify" else 2] += 1
        row[3] += 1 if state else 0
    section.rows = [[MONITORING_TYPES[t]] + counts[t] for t in MONITORING_TYPES]
    return section


def _points(sites, site_ids, first: date, last: date) -> Section:
    """The month's points per site from the month totals (docs/decisions.md#month-totals): a total whose
    entries all have one sign (credits = 0 or = entries) gives its sum; the rare total mixing signs has
    its own entries read, so each side is summed as the entries give it."""
    section = Section("points", "六、积分发放与兑换", ["安置点", "发放积分", "扣减积分", "兑换积分(净)"],
                      note="按记账时所在安置点、生效日期统计;兑换积分已减去作废退回")
    month = month_totals.month_of(first)
    earning = T.kind.in_(EARNING_KINDS)
    sums = {sid: [int(a or 0), int(b or 0), int(c or 0)] for sid, a, b, c in db.session.execute(
        select(T.site_id,
               func.sum(case((earning & (T.credits == T.entries), T.points), else_=0)),
               func.sum(case((earning & (T.credits == 0), -T.points), else_=0)),
               func.sum(case((T.kind.in_(("redemption", "redemption_void")), -T.points), else_=0)))
        .where(T.month == month, T.site_id.in_(site_ids)).group_by(T.site_id))}
    mixed = (T.household_id == LedgerEntry.household_id) & (T.kind == LedgerEntry.kind) & (T.site_id == LedgerEntry.site_id)
    for sid, plus, minus in db.session.execute(
            select(LedgerEntry.site_id,
                   func.sum(case((LedgerEntry.points > 0, LedgerEntry.points), else_=0)),
                   func.sum(case((LedgerEntry.points < 0, -LedgerEntry.points), else_=0)))
            .join(T, mixed)
            .where(T.month == month, earning, T.credits > 0, T.credits < T.entries, T.site_id.in_(site_ids),
                   LedgerEntry.effective_date.between(first, last))
            .group_by(LedgerEntry.site_id)):
        row = sums.setdefault(sid, [0, 0, 0])
        row[0] += int(plus or 0)
        row[1] += int(minus or 0)
    section.rows = [[s.name] + sums.get(s.id, [0, 0, 0]) for s in sites]
    return section


def activity_model():
    """models.activity.Activity when installed (another module), else None."""
    try:
        from models.activity import Activity
    except ImportError:
        return None
    return Activity


def _activities(sites, ids, first, last) -> Section:
    section = Section("activities", "七、居民融合共建活动", ["安置点", "本月活动", "本年活动"],
                      note="每个安置点每年至少一次")
    Activity = activity_model()
    if Activity is None:
        section.note = "活动模块尚未安装,暂无数据(not available)"
        section.rows = [[s.name, "—", "—"] for s in sites]
        return section
    held = Activity.status != "cancelled"
    year_start = date(first.year, 1, 1)
    rows = db.session.execute(
        select(Activity.site_id,
               func.sum(case((Activity.event_date.between(first, last), 1), else_=0)),
               func.count(Activity.id))
        .where(Activity.site_id.in_(ids), held, Activity.event_date.between(year_start, last))
        .group_by(Activity.site_id)).all()
    counts = {sid: [int(m or 0), int(y or 0)] for sid, m, y in rows}
    section.rows = [[s.name] + counts.get(s.id, [0, 0]) for s in sites]
    short = [r[0] for r in section.rows if r[2] == 0]
    if short:
        section.note += f";本年尚未开展:{'、'.join(short)}"
    return section


# ------------------------------------------------------------------ exports
def heading(report: Report) -> str:
    return f"{report.title} {report.year}年{report.month}月 后续扶持工作汇报"


def to_xlsx(report: Report) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    if report.note is not None:
        _narrative_sheet(wb.create_sheet("汇报正文"), report)
    for section in report.sections:
        ws = wb.create_sheet(section.title.split("、", 1)[-1][:28])
        ws.append(workbook.row(ws, [heading(report)]))
        ws.append(workbook.row(ws, [report.seal]))
        ws.append(workbook.row(ws, [section.title + (f"({section.note})" if section.note else "")]))
        ws.append(workbook.row(ws, section.columns))
        for values in section.rows:
            ws.append(workbook.row(ws, values))
        ws.append(workbook.row(ws, section.total))
        for cell in ws[1] + ws[4] + ws[ws.max_row]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sign_off(report: Report) -> str:
    note = report.note
    if note is None:
        return ""
    reviewer = note.reviewed_by.display_name if note.reviewed_by else "(未审核)"
    return f"填报人:{note.filled_by.display_name}    审核人:{reviewer}"


def _narrative_sheet(ws, report: Report) -> None:
    ws.append([workbook.cell(ws, heading(report), font=Font(bold=True, size=14))])
    ws.append([f"统计截至 {report.as_of:%Y年%m月%d日}"])
    for number, (key, label) in zip("一二三", NARRATIVE_SECTIONS.items()):
        ws.append([workbook.cell(ws, f"{number}、{label}", font=Font(bold=True))])
        ws.append([workbook.cell(ws, getattr(report.note, key) or "无", alignment=Alignment(wrap_text=True, vertical="top"))])
    ws.append([])
    ws.append([sign_off(report)])
    ws.column_dimensions["A"].width = 100


def to_pdf(report: Report) -> bytes:
    """A4 landscape with the CJK font."""
    return pdf_fonts.render_pdf(lambda common: _draw(report, common))


def _draw(report: Report, common: bool):
    family = pdf_fonts.FAMILY
    pdf = pdf_fonts.new_pdf(orientation="L", size=10, common=common)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font(family, "B", 15)
    pdf.cell(0, 10, heading(report), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font(family, "", 9)
    pdf.cell(0, 6, f"统计截至 {report.as_of:%Y年%m月%d日}  ·  安置点 {len(report.sites)} 个  ·  {report.seal}",
             new_x="LMARGIN", new_y="NEXT", align="C")
    if report.note is not None:
        for number, (key, label) in zip("一二三", NARRATIVE_SECTIONS.items()):
            pdf.ln(2)
            pdf.set_font(family, "B", 11)
            pdf.cell(0, 7, f"{number}、{label}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(family, "", 10)
            pdf.multi_cell(0, 6, getattr(report.note, key) or "无", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font(family, "B", 11)
        pdf.cell(0, 7, "附表", new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        needed = 16 + 5.5 * (len(section.rows) + 2)  # title + header + rows + 合计
        if pdf.get_y() + min(needed, 60) > pdf.h - pdf.b_margin:
            pdf.add_page()  # keep a section's title with (the start of) its table
        pdf.ln(3)
        pdf.set_font(family, "B", 11)
        pdf.cell(0, 7, section.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8 if len(section.columns) > 8 else 9)
        with pdf.table(first_row_as_headings=True, line_height=5.5,
                       text_align=["LEFT"] + ["RIGHT"] * (len(section.columns) - 1)) as table:
            for row in [section.columns] + section.rows + [section.total]:
                cells = table.row()
                for value in row:
                    cells.cell(str(value))
        if section.note:
            pdf.set_font(family, "", 8)
            pdf.multi_cell(0, 5, "注:" + section.note, new_x="LMARGIN", new_y="NEXT")
    if report.note is not None:
        pdf.ln(8)
        pdf.set_font(family, "", 11)
        pdf.cell(0, 8, sign_off(report), new_x="LMARGIN", new_y="NEXT", align="R")
    return pdf


def scope_sites(area_or_site: Optional[str], allowed: Optional[set]) -> tuple[Union[list[int], Select], str]:
    """'site:3' or 'area:2' -> (the sites, all within the user's scope, title): a site's id in a list, an
    area's sites as a SELECT of their ids (build reads them in each query)."""
    from models import Area
    from services.errors import Forbidden, ValidationFailed
    from services.staff.scope import sites_under_query

    kind, _, raw = (area_or_site or "").partition(":")
    if not raw.isdigit():
        raise ValidationFailed("请选择安置点或乡镇")
    if kind == "site":
        site = support.get_or_404(Site, int(raw))
        sites, title = [site.id], site.name
    elif kind == "area":
        area = support.get_or_404(Area, int(raw))
        sites, title = sites_under_query(area.id), area.name
    else:
        raise ValidationFailed("请选择安置点或乡镇")
    if allowed is not None:
        ids = set(sites) if isinstance(sites, list) else set(db.session.execute(sites).scalars())
        if not ids <= allowed:
            raise Forbidden("这个范围不全在您的管理范围内")
    return sites, title
