"""本月积分公示 (docs/decisions.md#notices): a printable list of the points POSTED for a site in a month, for
the notice board. Names are masked (张*三) because the list includes deductions."""
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from extensions import db
from models import Household, LedgerEntry, Site
from models.clock import local_today
from models.household import mask_name
from models.ledger import EARNING_KINDS
from services import pdf_fonts
from services.earning import notices
from services.households.registry import LEDGER_KIND_LABELS
from services.ledger.seals import seal_line


@dataclass
class NoticeLine:
    name: str
    building: str
    items: list[str] = field(default_factory=list)
    total: int = 0


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-11-30); raises ValueError on bad input."""
    year, mon = (int(part) for part in month.split("-"))
    first = date(year, mon, 1)
    return first, date(year + (mon == 12), mon % 12 + 1, 1) - timedelta(days=1)


def lines(site_id: int, month: str) -> list[NoticeLine]:
    """Earning entries (and reversals of them) posted at the site with an effective date in the month."""
    start, end = month_bounds(month)
    original = aliased(LedgerEntry)
    rows = db.session.execute(
        select(LedgerEntry, Household.head_name, Household.building)
        .join(Household, Household.id == LedgerEntry.household_id)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.site_id == site_id, LedgerEntry.effective_date.between(start, end),
               or_(LedgerEntry.kind.in_(EARNING_KINDS),
                   (LedgerEntry.kind == "reversal") & original.kind.in_(EARNING_KINDS)))
        .order_by(Household.building, Household.id, LedgerEntry.effective_date, LedgerEntry.seq)
    ).all()
    found: "OrderedDict[int, NoticeLine]" = OrderedDict()
    for entry, name, building in rows:
        line = found.setdefault(entry.household_id, NoticeLine(mask_name(name), building or ""))
        label = LEDGER_KIND_LABELS.get(entry.kind, entry.kind)
        note = f"({entry.note})" if entry.note else ""
        line.items.append(f"{entry.effective_date.month}月{entry.effective_date.day}日 {label}{note} {entry.points:+d}")
        line.total += entry.points
    return list(found.values())


def render_pdf(site: Site, month: str, days: int = 7, contact: str = "", today: Optional[date] = None) -> bytes:
    items, seal = lines(site.id, month), seal_line()
    return pdf_fonts.render_pdf(lambda common: _draw(site, month, days, contact, today, items, seal, common))


def _draw(site: Site, month: str, days: int, contact: str, today: Optional[date], items: list, seal: str,
          common: bool):
    start, last = notices.notice_window(today or local_today(), days)
    year, mon = month.split("-")
    pdf = pdf_fonts.new_pdf(size=10, common=common)
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    pdf.set_font(pdf_fonts.FAMILY, "B", 18)
    pdf.cell(0, 11, f"{site.name}{int(year)}年{int(mon)}月积分公示", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf_fonts.FAMILY, "", 10)
    pdf.multi_cell(0, 6, "以下为本月经审核入账的积分(含扣分)。公示期" + notices.period_text(start, last)
                   + ",如有异议请在公示期内向社区反映" + (f"(联系:{contact})" if contact else "") + "。",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(10, 22, 22, 110, 18), line_height=5.5, repeat_headings=1, markdown=False) as grid:
        for row in [("序号", "户主", "楼栋", "事项", "合计")] + [
                (str(n), line.name, line.building, "\n".join(line.items), f"{line.total:+d}")
                for n, line in enumerate(items, start=1)]:
            cells = grid.row()
            for value in row:
                cells.cell(value)
    if not items:
        pdf.cell(0, 8, "本月没有入账的积分。", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.cell(0, 7, f"{site.name}    {start.year}年{start.month}月{start.day}日", align="R", new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_font(pdf_fonts.FAMILY, "", 8)
    pdf.cell(0, 6, seal, align="R", new_x="LMARGIN", new_y="NEXT")  # docs/decisions.md#ledger-seals
    return pdf
