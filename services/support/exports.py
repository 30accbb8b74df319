"""Excel exports of 走访 records and monthly coverage (the 问题台账 export lives with the problems).

Every sheet: a title, "截至" the as-of date, a frozen header row, and user text through
services/workbook.py so that nothing typed can become a formula (docs/decisions.md#spreadsheet-cells)."""
import io
from datetime import date, datetime
from typing import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from models.support import REACHED_BY, SITUATION_AREAS, Visit
from services import workbook
from services.support import visits as visit_service

VISIT_COLUMNS = ("序号", "乡镇", "村(社区)", "安置点", "户主", "门牌", "联系电话", "走访日期", "走访人",
                 "包保责任人", "见面情况", "有困难的方面", "群众意见建议", "当场解决或答复", "户主确认", "补录原因")
VISIT_WIDTHS = (6, 10, 12, 16, 10, 14, 14, 12, 14, 10, 16, 30, 30, 30, 10, 20)


def sheet(ws, title: str, subtitle: str, columns: Iterable[str], rows: Iterable[list],
          widths: Iterable[int] = ()) -> None:
    """Fill `ws`: title row, subtitle (as-of) row, bold header frozen on screen and on every printed page."""
    columns = list(columns)
    ws.append([workbook.cell(ws, title, font=Font(bold=True, size=14))])
    ws.append([workbook.cell(ws, subtitle)])
    fill = PatternFill("solid", fgColor="F0EEEA")
    ws.append([workbook.cell(ws, c, font=Font(bold=True), fill=fill,
                             alignment=Alignment(wrap_text=True, vertical="center")) for c in columns])
    wrap = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        ws.append([workbook.cell(ws, v, alignment=wrap, **_format(v)) for v in values])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(columns), 1))
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def _format(value) -> dict:
    if isinstance(value, datetime):
        return {"number_format": "yyyy-mm-dd hh:mm"}
    if isinstance(value, date):
        return {"number_format": "yyyy-mm-dd"}
    return {}


def as_of_text(on: date, extra: str = "") -> str:
    return f"截至 {on.year}年{on.month}月{on.day}日" + (f" · {extra}" if extra else "")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def visit_row(n: int, v: Visit) -> list:
    home, names = v.household, v.household.site.path_names()
    situation = visit_service.situation_of(v)
    issues = "、".join(SITUATION_AREAS[a] + (f"({s['note']})" if s.get("note") else "")
                      for a, s in situation.items() if s.get("status") == "issue" and a in SITUATION_AREAS)
    met = f"见到:{v.met_person or '家中成员'}" if v.met else f"不在家({REACHED_BY.get(v.reached_by, '')})"
    confirm = "手写签名" if v.signature_file else (v.confirm_name or "")
    return [n, names.get("township", ""), names.get("village", ""), home.site.name, home.head_name,
            f"{home.building or ''}{home.door_no or ''}", home.phone or "", v.visit_date, v.visitors,
            v.cadre.name if v.cadre else "", met, issues, v.suggestions or "", v.actions or "", confirm,
            v.backdate_reason or ""]


def visits_xlsx(visit_list: list[Visit], year: int, month: int, on: date, scope: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "走访记录"
    sheet(ws, f"{scope}{year}年{month}月走访记录", as_of_text(on, f"共 {len(visit_list)} 条"), VISIT_COLUMNS,
          (visit_row(n, v) for n, v in enumerate(visit_list, start=1)), VISIT_WIDTHS)
    return _save(wb)


def coverage_xlsx(cov: visit_service.Coverage, on: date, scope: str = "") -> bytes:
    """Three sheets: per site, per 包保 cadre, and the households not visited as required."""
    month = f"{cov.first.year}年{cov.first.month}月"
    wb = Workbook()
    ws = wb.active
    ws.title = "按安置点"
    head = ("安置点", "应走访户", "已走访户", "覆盖率", "应走访次数", "已完成次数")
    rows = [[r.label, r.households, r.visited, r.rate, r.visits_required, r.visits_done] for r in cov.by_site]
    t = cov.total
    rows.append(["合计", t.households, t.visited, t.rate, t.visits_required, t.visits_done])
    sheet(ws, f"{scope}{month}走访覆盖(按安置点)", as_of_text(on), head, rows, (20, 10, 10, 10, 12, 12))
    ws = wb.create_sheet("按包保责任人")
    sheet(ws, f"{scope}{month}走访覆盖(按包保责任人)", as_of_text(on), ("包保责任人", "电话", "应走访户", "已走访户", "覆盖率"),
          ([r.label, r.phone or "", r.households, r.visited, r.rate] for r in cov.by_cadre), (14, 14, 10, 10, 10))
    ws = wb.create_sheet("未按要求走访")
    sheet(ws, f"{scope}{month}未按要求走访的住户", as_of_text(on, f"共 {len(cov.overdue)} 户"),
          ("序号", "户主", "安置点", "上次走访", "本月已走访次数", "本月应走访次数", "包保责任人及电话"),
          ([n, o["name"], o["site"], o["last_visit"] or "从未走访", o["done"], o["required"],
            ";".join(f"{name} {phone or ''}".strip() for name, phone in o["cadres"]) or "未落实包保"]
           for n, o in enumerate(cov.overdue, start=1)), (6, 10, 16, 12, 10, 10, 30))
    return _save(wb)


def month_sheet(household, year: int, month: int) -> dict:
    """What the printable per-household monthly 走访 sheet shows (to be signed)."""
    from services.support import responsibility as support

    first, last = support.month_range(year, month)
    rows = [v for v in visit_service.visits_of(household.id, limit=200) if first <= v.visit_date <= last]
    rows.sort(key=lambda v: (v.visit_date, v.id))
    cadres = [r.cadre for r in support.responsibilities_of(household.id)
              if r.start_date <= last and (r.end_date is None or r.end_date > first)]
    return {"home": household, "year": year, "month": month, "names": household.site.path_names(),
            "visits": [(v, _issues(v)) for v in rows], "cadres": cadres,
            "members": [m for m in household.members if m.is_current]}


def _issues(v: Visit) -> list[tuple[str, str, str]]:
    situation = visit_service.situation_of(v)
    return [(SITUATION_AREAS[a], "正常" if s.get("status") == "ok" else "有困难", s.get("note") or "")
            for a, s in situation.items() if a in SITUATION_AREAS]


def scope_title(paths: list[dict]) -> str:
    """The common area of a set of sites' path names: a village, a township, the county or ""."""
    levels = ("county", "township", "village")
    for depth in (3, 2, 1):
        prefixes = {tuple(p.get(level, "") for level in levels[:depth]) for p in paths}
        if len(prefixes) == 1:
            return "".join(prefixes.pop())
    return ""
