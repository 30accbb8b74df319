"""积分台账 (per household, per site) and 兑换台账, to Excel and PDF, with date range and site filters.

Entries are selected by effective date and by the site they were posted at (the basis of
`flask ledger verify`); totals per kind therefore reconcile with verify's per-site identity, and a
household ledger from its first entry closes at its cached balance."""
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from extensions import db
from models import Household, LedgerEntry, Redemption, Site
from models.clock import to_local
from services import pdf_fonts, workbook
from services.errors import ValidationFailed
from services.households.registry import LEDGER_KIND_LABELS
from services.reports.dashboard import utc_bounds

LEDGER_TYPES = {"household": "户积分台账", "site": "安置点积分台账", "redemption": "兑换台账"}
#: larger exports are refused with a message (narrow the dates or pick a site)
MAX_ROWS = {"xlsx": 200_000, "pdf": 20_000}


@dataclass
class Table:
    """A ledger ready to print: title lines, header, rows, totals, column widths (mm, for the PDF)."""

    title: str
    subtitle: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    totals: list[list] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    #: signature lines printed under the table (paper 台账 are signed by both sides)
    signatures: list[str] = field(default_factory=list)
    landscape: bool = False


def _period(start: date, end: date) -> str:
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def _sites_label(site_ids: Optional[set[int]]) -> str:
    if site_ids is None:
        return "全县"
    names = db.session.execute(select(Site.name).where(Site.id.in_(site_ids)).order_by(Site.code)).scalars().all()
    return "、".join(names) if len(names) <= 3 else f"{names[0]}等 {len(names)} 个安置点"


class TooLarge(ValidationFailed):
    code = "export_too_large"


def check_size(table: "Table", fmt: str) -> None:
    if len(table.rows) > MAX_ROWS[fmt]:
        raise TooLarge(f"{len(table.rows)} 行太多:{fmt.upper()} 最多 {MAX_ROWS[fmt]} 行,请缩小日期范围或选择一个安置点")


def _entries(start: date, end: date, site_ids=None, household_id=None):
    where = [LedgerEntry.effective_date.between(start, end)]
    if site_ids is not None:
        where.append(LedgerEntry.site_id.in_(site_ids))
    if household_id is not None:
        where.append(LedgerEntry.household_id == household_id)
    count = db.session.execute(select(func.count(LedgerEntry.id)).where(*where)).scalar_one()
    if count > MAX_ROWS["xlsx"]:
        raise TooLarge(f"{count} 条记录太多,请缩小日期范围或选择一个安置点")
    query = (select(LedgerEntry, Household.head_name, Site.name)
             .join(Household, Household.id == LedgerEntry.household_id).join(Site, Site.id == LedgerEntry.site_id)
             .where(LedgerEntry.effective_date.between(start, end))
             .order_by(LedgerEntry.effective_date, LedgerEntry.household_id, LedgerEntry.seq))
    if site_ids is not None:
        query = query.where(LedgerEntry.site_id.in_(site_ids))
    if household_id is not None:
        query = query.where(LedgerEntry.household_id == household_id)
    return db.session.execute(query).all()


def _kind_totals(rows) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for entry, *_ in rows:
        totals[entry.kind] += entry.points
    return dict(totals)


def _totals_rows(kinds: dict[str, int], width: int) -> list[list]:
    lines = [[f"合计 · {LEDGER_KIND_LABELS.get(k, k)}"] + [""] * (width - 2) + [v] for k, v in sorted(kinds.items())]
    lines.append(["合计 · 净变动"] + [""] * (width - 2) + [sum(kinds.values())])
    return lines


def household_ledger(household_id: int, start: date, end: date) -> Table:
    home = db.session.get(Household, household_id)
    opening = int(db.session.execute(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
        LedgerEntry.household_id == household_id, LedgerEntry.effective_date < start)).scalar_one())
    rows, running = [], opening
    entries = _entries(start, end, household_id=household_id)
    for entry, _name, site in entries:
        running += entry.points
        rows.append([entry.effective_date.isoformat(), LEDGER_KIND_LABELS.get(entry.kind, entry.kind),
                     entry.note or "", site, entry.points if entry.points > 0 else "",
                     -entry.points if entry.points < 0 else "", running])
    kinds = _kind_totals(entries)
    table = Table(f"{home.head_name}户 积分台账", f"{home.site.name} · {_period(start, end)} · 期初结余 {opening}",
                  ["日期", "类型", "摘要", "安置点", "收入", "支出", "结余"], rows,
                  widths=[24, 24, 62, 34, 16, 16, 16], signatures=["户主签字:", "经办人签字:"])
    earned = sum(v for v in kinds.values() if v > 0)
    spent = -sum(v for v in kinds.values() if v < 0)
    table.totals = [["期初结余", "", "", "", "", "", opening],
                    ["本期合计", "", "", "", earned, spent, ""],
                    ["期末结余", "", "", "", "", "", opening + sum(kinds.values())]]
    return table


def site_ledger(site_ids: Optional[set[int]], start: date, end: date) -> Table:
    entries = _entries(start, end, site_ids=site_ids)
    rows = [[e.effective_date.isoformat(), name, LEDGER_KIND_LABELS.get(e.kind, e.kind), e.note or "", site,
             e.points] for e, name, site in entries]
    return Table(f"{_sites_label(site_ids)} 积分台账", _period(start, end),
                 ["日期", "户主", "类型", "摘要", "安置点", "积分"], rows, _totals_rows(_kind_totals(entries), 6),
                 widths=[24, 30, 26, 110, 56, 20], signatures=["制表人:", "审核人:"], landscape=True)


def redemption_ledger(site_ids: Optional[set[int]], start: date, end: date) -> Table:
    lo, hi = utc_bounds(start, end)
    query = (select(Redemption).where(Redemption.created_at >= lo, Redemption.created_at < hi)
             .order_by(Redemption.created_at, Redemption.id))
    if site_ids is not None:
        query = query.where(Redemption.site_id.in_(site_ids))
    rows, done, voided = [], 0, 0
    for r in db.session.execute(query).scalars():
        goods = "、".join(f"{line.name}×{line.quantity}{line.unit}" for line in r.lines)
        status = "已作废" if r.status == "void" else "有效"
        rows.append([to_local(r.created_at).strftime("%Y-%m-%d %H:%M"), r.receipt_no, r.household.head_name,
                     r.site.name, goods, r.total_points, status, "", ""])
        if r.status == "void":
            voided += r.total_points
        else:
            done += r.total_points
    totals = [["合计 · 有效兑换", "", "", "", "", done, "", "", ""],
              ["合计 · 已作废(已退回)", "", "", "", "", voided, "", "", ""]]
    return Table(f"{_sites_label(site_ids)} 兑换台账", _period(start, end),
                 ["时间", "小票号", "户主", "安置点", "兑换物品", "积分", "状态", "户签字", "经办人签字"],
                 rows, totals, widths=[30, 28, 22, 34, 70, 14, 16, 26, 26], landscape=True)


# ------------------------------------------------------------------ output
def to_xlsx(table: Table) -> bytes:
    """Write-only workbook (streams rows; a county-month of entries stays quick). Text cells are
    always strings, never formulas, whatever a name or note starts with."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.title[:31].replace("/", "-"))
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, width * 0.55)
    sheet.freeze_panes = "A4"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    heading = PatternFill("solid", fgColor="F0EEEA")
    sheet.append([workbook.cell(sheet, table.title, font=Font(bold=True, size=14))])
    sheet.append([table.subtitle])
    sheet.append([workbook.cell(sheet, h, font=bold, fill=heading) for h in table.header])
    for row in table.rows:
        sheet.append([workbook.cell(sheet, v, alignment=wrap) for v in row])
    for row in table.totals:
        sheet.append([workbook.cell(sheet, v, font=bold) for v in row])
    for label in table.signatures:
        sheet.append([])
        sheet.append([label])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()



def to_pdf(table: Table) -> bytes:
    """A plain ruled table, header repeated on every page. Rows are drawn with cell() and a cached
    per-character width wrap, because fpdf2's table() is far slower per row (docs/performance.md)."""
    return pdf_fonts.render_pdf(lambda common: _draw(table, common))


def _draw(table: Table, common: bool) -> FPDF:
    pdf = FPDF(orientation="L" if table.landscape else "P", unit="mm", format="A4")
    face = pdf_fonts.pdf_face(common)  # regular face only: loading and subsetting a bold CJK face costs time
    pdf.add_font(pdf_fonts.FAMILY, "", face.path, collection_font_number=face.index)
    pdf.set_auto_page_break(False)
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    pdf.set_font(pdf_fonts.FAMILY, "", 15)
    pdf.cell(0, 9, table.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf_fonts.FAMILY, "", 10)
    pdf.cell(0, 7, table.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf_fonts.FAMILY, "", 9)
    scale = (pdf.w - pdf.l_margin - pdf.r_margin) / sum(table.widths)
    grid = _Grid(pdf, [w * scale for w in table.widths], table.header)
    grid.row(table.header, fill=True)
    for row in table.rows:
        grid.row(row)
    for row in table.totals:
        grid.row(row, fill=True)
    for label in table.signatures:
        if pdf.get_y() + 13 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(6)
        pdf.cell(0, 7, label + "_" * 20 + "    日期:" + "_" * 12, new_x="LMARGIN", new_y="NEXT")
    return pdf


class _Grid:
    LINE = 5.0

    def __init__(self, pdf: FPDF, widths: list[float], header: list[str]):
        self.pdf, self.widths, self.header, self.char_widths = pdf, widths, header, {}
        pdf.set_fill_color(240, 238, 234)
        pdf.set_draw_color(150, 150, 150)

    def row(self, values, fill: bool = False) -> None:
        pdf = self.pdf
        cells = [self._wrap("" if v is None else str(v), w - 2) for v, w in zip(values, self.widths)]
        height = max(len(lines) for lines in cells) * self.LINE + 1
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
            if values is not self.header:
                self.row(self.header, fill=True)
        x, y = pdf.l_margin, pdf.get_y()
        for width, lines in zip(self.widths, cells):
            pdf.rect(x, y, width, height, style="DF" if fill else "D")
            for n, text in enumerate(lines):
                pdf.set_xy(x + 1, y + 0.5 + n * self.LINE)
                pdf.cell(width - 2, self.LINE, text)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    def _wrap(self, text: str, width: float) -> list[str]:
        lines, current, used = [], "", 0.0
        for char in text.replace("\r", ""):
            if char == "\n":
                lines.append(current)
                current, used = "", 0.0
                continue
            size = self.char_widths.get(char)
            if size is None:
                size = self.char_widths[char] = self.pdf.get_string_width(char)
            if used + size > width and current:
                lines.append(current)
                current, used = "", 0.0
            current += char
            used += size
        lines.append(current)
        return lines
