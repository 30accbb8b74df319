"""Excel export of a month at one site's supermarket: 库存对账 and 兑换台账 sheets."""
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from models.clock import to_local
from services.workbook import row


def ledger_workbook(site, year: int, month: int, rows, redemptions) -> io.BytesIO:
    book = Workbook()
    recon = book.active
    recon.title = "库存对账"
    recon.append(row(recon, [f"{site.name} 积分超市 {year}年{month}月 库存对账(期初 + 入库 − 出库 = 期末)"]))
    recon.append(row(recon, ["商品", "单位", "积分价格", "期初", "入库", "出库", "期末", "当前库存"]))
    for line in rows:
        recon.append(row(recon, [line.goods.name, line.goods.unit, line.goods.price, line.opening, line.stock_in,
                                 line.stock_out, line.closing, line.goods.stock]))
    sheet = book.create_sheet("兑换台账")
    sheet.append(row(sheet, [f"{site.name} 积分超市 {year}年{month}月 兑换台账"]))
    sheet.append(row(sheet, ["单号", "时间", "户主", "商品", "数量", "单位", "单价", "积分", "状态", "作废原因", "领取人签字"]))
    for r in redemptions:
        for line in r.lines:
            sheet.append(row(sheet, [r.receipt_no, to_local(r.created_at).strftime("%Y-%m-%d %H:%M"),
                                     r.household.head_name, line.name, line.quantity, line.unit, line.price,
                                     line.points, "已作废" if r.status == "void" else "有效", r.void_reason or "", ""]))
    for ws in (recon, sheet):
        ws["A1"].font = Font(bold=True, size=13)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 22
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out
