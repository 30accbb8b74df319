"""Annual 资金台账 (fund) and 物资台账 (goods) of one site: Excel and PDF, with signature lines for both sides.

Both exports are built from one table (`fund_book` / `goods_book`), so their totals are the ledger's."""
import io
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from extensions import db
from models import Goods, StaffUser, StockMovement
from models.fund import FUND_KINDS, FUND_SOURCES
from models.goods import STOCK_SOURCES
from services import workbook
from services.integrity import fund
from services.pdf_fonts import FAMILY, new_pdf, render_pdf

SIGNATURES = ("经办人(签字):", "复核人(签字):", "村务监督委员会(签字):", "交接对方 / 捐赠单位(签字):")


@dataclass
class Book:
    title: str
    header: list
    rows: list = field(default_factory=list)
    totals: list = field(default_factory=list)
    #: numbers the tests compare with the ledger
    sums: dict = field(default_factory=dict)


def fund_book(site, year: int) -> Book:
    """Every fund entry of the year with a running cash balance (opening = all earlier entries)."""
    opening = int(db.session.execute(select(func.coalesce(func.sum(fund.FundEntry.cash_fen), 0)).where(
        fund.FundEntry.site_id == site.id, fund.FundEntry.entry_date < date(year, 1, 1))).scalar())
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    book = Book(f"{site.name} 积分基金 {year}年 资金台账",
                ["日期", "序号", "类型", "来源", "单位/供货方", "凭证号", "现金收入(元)", "现金支出(元)",
                 "物资价值(元)", "现金余额(元)", "经办人", "备注"])
    cash, cash_in, cash_out, goods = opening, 0, 0, 0
    book.rows.append(["", "", "上年结转", "", "", "", "", "", "", fund.yuan(opening), "", ""])
    for e in fund.entries(site.id, year):
        cash += e.cash_fen
        cash_in += max(e.cash_fen, 0)
        cash_out += max(-e.cash_fen, 0)
        goods += e.goods_fen
        book.rows.append([e.entry_date.isoformat(), e.seq, FUND_KINDS[e.kind], {**STOCK_SOURCES, **FUND_SOURCES}.get(e.source or "", ""),
                          e.source_name or "", e.reference or "", fund.yuan(e.cash_fen) if e.cash_fen > 0 else "",
                          fund.yuan(-e.cash_fen) if e.cash_fen < 0 else "", fund.yuan(e.goods_fen) if e.goods_fen else "",
                          fund.yuan(cash), names.get(e.actor_id, ""), e.note or ""])
    book.totals = ["合计", "", "", "", "", "", fund.yuan(cash_in), fund.yuan(cash_out), fund.yuan(goods),
                   fund.yuan(cash), "", ""]
    book.sums = {"opening": opening, "cash_in": cash_in, "cash_out": cash_out, "goods": goods, "closing": cash}
    return book


def goods_book(site, year: int) -> Book:
    """Per goods: opening, in, out, closing in units and at average cost."""
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    costs = fund.unit_costs(site.id)

    def sums(*conditions):
        return dict(db.session.execute(select(StockMovement.goods_id, func.sum(StockMovement.quantity))
                                       .where(StockMovement.site_id == site.id, *conditions)
                                       .group_by(StockMovement.goods_id)).all())
    before = sums(StockMovement.movement_date < first)
    ins = sums(StockMovement.movement_date >= first, StockMovement.movement_date < after, StockMovement.quantity > 0)
    outs = sums(StockMovement.movement_date >= first, StockMovement.movement_date < after, StockMovement.quantity < 0)
    book = Book(f"{site.name} 积分超市 {year}年 物资台账",
                ["商品", "单位", "平均成本(元)", "期初数量", "入库数量", "出库数量", "期末数量", "期初金额(元)",
                 "入库金额(元)", "出库金额(元)", "期末金额(元)"])
    total = {"opening": 0, "in": 0, "out": 0, "closing": 0, "units": 0}
    for goods in db.session.execute(select(Goods).where(Goods.site_id == site.id).order_by(Goods.name)).scalars():
        value, qty = costs.get(goods.id, (0, 0))
        unit = value / qty if qty > 0 else 0
        o, i, x = int(before.get(goods.id) or 0), int(ins.get(goods.id) or 0), -int(outs.get(goods.id) or 0)
        c = o + i - x
        money = [round(n * unit) for n in (o, i, x)]
        money.append(money[0] + money[1] - money[2])
        for k, m in zip(("opening", "in", "out", "closing"), money):
            total[k] += m
        total["units"] += c
        book.rows.append([goods.name, goods.unit, fund.yuan(round(unit)), o, i, x, c] + [fund.yuan(m) for m in money])
    book.totals = ["合计", "", "", "", "", "", total["units"], fund.yuan(total["opening"]), fund.yuan(total["in"]),
                   fund.yuan(total["out"]), fund.yuan(total["closing"])]
    book.sums = total
    return book


def to_excel(book: Book) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = book.title[-4:]
    ws.append(workbook.row(ws, [book.title]))
    ws.append(workbook.row(ws, book.header))
    for values in book.rows:
        ws.append(workbook.row(ws, values))
    ws.append(workbook.row(ws, book.totals))
    ws.append([])
    for line in SIGNATURES:
        ws.append(workbook.row(ws, [line, "", "", "日期:"]))
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for cell in ws[ws.max_row - len(SIGNATURES) - 1]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 24
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def to_pdf(book: Book) -> bytes:
    return render_pdf(lambda common: _draw(book, common))


def _draw(book: Book, common: bool):
    pdf = new_pdf(orientation="L", size=8, common=common)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 13)
    pdf.cell(0, 9, book.title, new_x="LMARGIN", new_y="NEXT", align="C")
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(book.header)

    def line(values, bold=False):
        pdf.set_font(FAMILY, "B" if bold else "", 8)
        if pdf.get_y() > pdf.h - 20:
            pdf.add_page()
            line(book.header, True)
            pdf.set_font(FAMILY, "B" if bold else "", 8)
        for value in values:
            text = str(value)
            while text and pdf.get_string_width(text) > width - 1.5:
                text = text[:-1]
            pdf.cell(width, 6, text, border=1)
        pdf.ln(6)
    line(book.header, True)
    for row in book.rows:
        line(row)
    line(book.totals, True)
    pdf.ln(8)
    pdf.set_font(FAMILY, "", 10)
    for i in range(0, len(SIGNATURES), 2):
        pair = SIGNATURES[i:i + 2]
        for label in pair:
            pdf.cell((pdf.w - pdf.l_margin - pdf.r_margin) / 2, 10, f"{label}__________  日期:________")
        pdf.ln(12)
    return pdf
