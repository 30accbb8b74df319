"""考核: the yearly assessment of villages and departments, computed from the records, never typed in.

Four measures, each with the records behind it (the drill-down):
- 走访覆盖 (30): household-months visited / household-months due, over the months of the year so far;
- 问题按期销号 (30): problems due in the year so far that were closed (销号) by their deadline;
- 任务完成 (25): tasks of the annual plans due in the year so far that are done;
- 融合共建 (15): at least one 融合共建 activity held in the year.
A measure with nothing due scores full marks and shows "—". A village is an area of level village
(its sites); a department is a 包保 unit of level 部门 (the households its cadres 包保, the problems and
tasks naming it as responsible unit, the activities it organised)."""
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from extensions import db
from models import Activity, Problem
from models.clock import local_today, to_local
from models.plan import PlanTask, PlanTaskProblem, WorkPlan
from models.support import SupportCadre
from services import workbook
from services.staff.scope import sites_by_village
from services.support import problems, visit_year, visits

WEIGHTS = {"coverage": 30, "problems": 30, "tasks": 25, "activities": 15}
MEASURE_LABELS = {"coverage": "走访覆盖", "problems": "问题按期销号", "tasks": "任务完成", "activities": "融合共建"}


@dataclass
class Measure:
    done: int = 0
    due: int = 0

    def score(self, weight: int) -> float:
        return float(weight) if not self.due else round(weight * min(self.done, self.due) / self.due, 1)

    @property
    def shown(self) -> str:
        return "—" if not self.due else f"{self.done}/{self.due}"


@dataclass
class Unit:
    kind: str  # village / department
    key: str  # area id, or the department's unit name
    name: str
    site_ids: set = field(default_factory=set)
    measures: dict = field(default_factory=lambda: {k: Measure() for k in WEIGHTS})

    def score(self, name: str) -> float:
        return self.measures[name].score(WEIGHTS[name])

    @property
    def total(self) -> float:
        return round(sum(self.score(k) for k in WEIGHTS), 1)


def year_span(year: int, today: Optional[date] = None) -> tuple[date, date]:
    """1 January to the end of the year, or to today for the current year."""
    today = today or local_today()
    return date(year, 1, 1), min(date(year, 12, 31), today)


# ------------------------------------------------------------------ the records behind each measure
def _problems_due(first: date, last: date, site_ids: Optional[set] = None, unit: Optional[str] = None):
    query = select(Problem).where(Problem.deadline.between(first, last)).order_by(Problem.deadline, Problem.id)
    if site_ids is not None:
        query = query.where(Problem.site_id.in_(site_ids or {-1}))
    if unit is not None:
        query = query.where((Problem.responsible_unit == unit) | (Problem.lead_unit == unit))
    return db.session.execute(query).scalars().all()


def closed_on_time(problem: Problem) -> bool:
    closed = problems.closed_on(problem)
    return problem.status == "closed" and closed is not None and closed <= problem.deadline


def _tasks_due(first: date, last: date, site_ids: Optional[set] = None, unit: Optional[str] = None):
    query = (select(PlanTask).join(WorkPlan, WorkPlan.id == PlanTask.plan_id)
             .where(PlanTask.deadline.between(first, last)).order_by(PlanTask.deadline, PlanTask.id))
    if unit is not None:
        query = query.where(PlanTask.responsible_unit == unit)
    tasks = db.session.execute(query).scalars().all()
    if site_ids is None:
        return tasks
    # a village answers for the tasks that take up its own problems
    ours = set(db.session.execute(select(PlanTaskProblem.task_id).join(Problem, Problem.id == PlanTaskProblem.problem_id)
                                  .where(Problem.site_id.in_(site_ids or {-1}))).scalars())
    return [t for t in tasks if t.id in ours]


def _activities(first: date, last: date, site_ids: Optional[set] = None, unit: Optional[str] = None):
    query = (select(Activity).where(Activity.integration, Activity.status != "cancelled",
                                    Activity.event_date.between(first, last)).order_by(Activity.event_date))
    if site_ids is not None:
        query = query.where(Activity.site_id.in_(site_ids or {-1}))
    if unit is not None:
        query = query.where(Activity.organiser == unit)
    return db.session.execute(query).scalars().all()


# ------------------------------------------------------------------ the table
def villages(allowed: Optional[set]) -> list[Unit]:
    """Villages with at least one site the user may see, and those sites."""
    return [Unit("village", str(area.id), area.name, {s.id for s in sites}) for area, sites in sites_by_village(allowed)]


def departments() -> list[Unit]:
    names = db.session.execute(select(SupportCadre.unit).where(SupportCadre.level == "department",
                                                               SupportCadre.unit.is_not(None))
                               .distinct().order_by(SupportCadre.unit)).scalars()
    return [Unit("department", n, n) for n in names if n.strip()]


def assess(year: int, allowed: Optional[set], today: Optional[date] = None) -> tuple[list[Unit], list[Unit]]:
    first, last = year_span(year, today)
    towns, depts = villages(allowed), departments()
    if last < first:
        return towns, depts
    site_to_unit = {sid: u for u in towns for sid in u.site_ids}
    dept_by_name = {u.key: u for u in depts}
    dept_of_cadre = _department_of_cadre()
    scope = None if allowed is None else sorted(allowed)
    for cover in visit_year.coverage_by_month(year, range(1, last.month + 1), scope).values():
        for row in cover.by_site:
            if row.key in site_to_unit:
                _count(site_to_unit[row.key].measures["coverage"], row.visited, row.households)
        for row in cover.by_cadre:
            unit = dept_by_name.get(dept_of_cadre.get(row.key))
            if unit:
                _count(unit.measures["coverage"], row.visited, row.households)
    for p in _problems_due(first, last, allowed):
        ok = closed_on_time(p)
        if p.site_id in site_to_unit:
            _count(site_to_unit[p.site_id].measures["problems"], int(ok), 1)
        for name in {p.responsible_unit, p.lead_unit} & set(dept_by_name):
            _count(dept_by_name[name].measures["problems"], int(ok), 1)
    tasks = _tasks_due(first, last)
    sites_of_task = defaultdict(set)
    for task_id, site_id in db.session.execute(select(PlanTaskProblem.task_id, Problem.site_id)
                                               .join(Problem, Problem.id == PlanTaskProblem.problem_id)):
        sites_of_task[task_id].add(site_id)
    for t in tasks:
        for unit in {site_to_unit[s].key: site_to_unit[s] for s in sites_of_task[t.id] if s in site_to_unit}.values():
            _count(unit.measures["tasks"], int(t.status == "done"), 1)
        if t.responsible_unit in dept_by_name:
            _count(dept_by_name[t.responsible_unit].measures["tasks"], int(t.status == "done"), 1)
    held = _activities(first, last, allowed)
    for unit in towns:
        unit.measures["activities"] = Measure(int(any(a.site_id in unit.site_ids for a in held)), 1)
    for unit in depts:
        unit.measures["activities"] = Measure(int(any(a.organiser == unit.key for a in held)), 1)
    return towns, depts


def _count(measure: Measure, done: int, due: int) -> None:
    measure.done += done
    measure.due += due


def drill_down(unit: Unit, measure: str, year: int, allowed: Optional[set], today: Optional[date] = None) -> list:
    """The records behind one measure of one unit: rows of (label, detail, ok, link endpoint, link args)."""
    first, last = year_span(year, today)
    sites = unit.site_ids if unit.kind == "village" else allowed
    dept = unit.key if unit.kind == "department" else None
    if measure == "coverage":
        return _coverage_rows(unit, year, last, allowed)
    if measure == "problems":
        return [(f"{p.site.name} · {p.category}:{p.description}", f"时限 {p.deadline} · {p.status_label}"
                 + (f" · 销号 {to_local(p.closed_at):%Y-%m-%d}" if p.closed_at else ""), closed_on_time(p),
                 "admin.support_problem_detail", {"problem_id": p.id}) for p in _problems_due(first, last, sites, dept)]
    if measure == "tasks":
        return [(t.title, f"时限 {t.deadline} · {t.status_label}", t.status == "done", "admin.support_plan_task",
                 {"task_id": t.id}) for t in _tasks_due(first, last, sites, dept)]
    return [(a.title, f"{a.event_date} · {a.site.name}", True, "admin.activities_detail", {"activity_id": a.id})
            for a in _activities(first, last, sites, dept)]


def _department_of_cadre() -> dict[int, str]:
    """Department-level 包保 cadre id -> the unit (department) they serve for."""
    return dict(db.session.execute(select(SupportCadre.id, SupportCadre.unit)
                                   .where(SupportCadre.level == "department")).all())


def _coverage_rows(unit: Unit, year: int, last: date, allowed: Optional[set]) -> list:
    cadres = {cid for cid, name in _department_of_cadre().items() if name == unit.key}
    rows = []
    for month in range(1, last.month + 1):
        if unit.kind == "village":
            row = visits.coverage(year, month, sorted(unit.site_ids)).total
        else:
            cover = visits.coverage(year, month, None if allowed is None else sorted(allowed))
            row = visits.CoverageRow(0, "")
            for r in cover.by_cadre:
                if r.key in cadres:
                    row.households += r.households
                    row.visited += r.visited
        rows.append((f"{year}年{month}月", f"已走访 {row.visited} / 应走访 {row.households} 户", row.visited >= row.households,
                     "admin.support_coverage", {"month": f"{year}-{month:02d}"}))
    return rows


def export_xlsx(year: int, towns: list[Unit], depts: list[Unit], today: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}年考核"
    bold = Font(bold=True)
    sheet.append([workbook.cell(sheet, f"{year} 年后续扶持工作考核", font=Font(bold=True, size=14))])
    sheet.append([f"截至 {year_span(year, today)[1].isoformat()} · 由系统记录计算"])
    header = ["类别", "单位"] + [f"{MEASURE_LABELS[k]}({WEIGHTS[k]}分)" for k in WEIGHTS] + ["得分明细", "总分"]
    sheet.append(workbook.row(sheet, header, font=bold))
    for unit in [*towns, *depts]:
        sheet.append(workbook.row(sheet, ["村(社区)" if unit.kind == "village" else "部门", unit.name,
                                          *[unit.measures[k].shown for k in WEIGHTS],
                                          " + ".join(f"{unit.score(k):g}" for k in WEIGHTS), unit.total]))
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
