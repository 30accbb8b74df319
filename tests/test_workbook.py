"""Every Excel export writes user text as text, never as a live formula (docs/decisions.md#spreadsheet-cells)."""
import io
from datetime import date, datetime
from types import SimpleNamespace

from openpyxl import load_workbook

from admin.supermarket import goods_export
from extensions import db
from services.households import excel as household_excel
from services.integrity import fund_exports
from services.reports import monthly_report
from services.support import problems

EVIL = ("=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)")


def _cells(data) -> list:
    """Every non-empty cell of every sheet of an .xlsx (bytes or BytesIO)."""
    raw = data.getvalue() if isinstance(data, io.BytesIO) else data
    book = load_workbook(io.BytesIO(raw))
    return [cell for sheet in book.worksheets for line in sheet.iter_rows() for cell in line
            if cell.value is not None]


def assert_text_cells(data, texts=EVIL) -> None:
    cells = _cells(data)
    for text in texts:
        found = [cell for cell in cells if cell.value == text]
        assert found, f"{text!r} is missing from the workbook"
        assert all(cell.data_type == "s" for cell in found), f"{text!r} was written as a formula"
    assert not [cell for cell in cells if cell.data_type == "f"]


def test_the_helper_keeps_numbers_and_dates_typed():
    from openpyxl import Workbook

    from services.workbook import row

    book = Workbook()
    sheet = book.active
    sheet.append(row(sheet, ["=1+1", 7, date(2026, 1, 2), "普通"]))
    out = io.BytesIO()
    book.save(out)
    first = [cell for cell in load_workbook(io.BytesIO(out.getvalue())).active[1]]
    assert [c.data_type for c in first] == ["s", "n", "d", "s"]


def test_goods_month_export():
    site = SimpleNamespace(name=EVIL[0])
    goods = SimpleNamespace(name=EVIL[1], unit=EVIL[2], price=5, stock=3)
    recon = [SimpleNamespace(goods=goods, opening=1, stock_in=2, stock_out=0, closing=3)]
    line = SimpleNamespace(name=EVIL[1], quantity=1, unit="个", price=5, points=5)
    redemption = SimpleNamespace(receipt_no="R1", created_at=datetime(2026, 3, 1, 2), lines=[line], status="void",
                                 household=SimpleNamespace(head_name=EVIL[3]), void_reason=EVIL[2])
    out = goods_export.ledger_workbook(site, 2026, 3, recon, [redemption])
    assert_text_cells(out, (EVIL[1], EVIL[2], EVIL[3]))


def test_fund_export():
    book = fund_exports.Book(EVIL[0], ["日期", "说明"], rows=[["2026-01-01", EVIL[1]], [EVIL[2], EVIL[3]]],
                             totals=["合计", 0])
    assert_text_cells(fund_exports.to_excel(book))


def test_monthly_report_export():
    section = monthly_report.Section("k", "一、测试", ["安置点", "户数"], rows=[[EVIL[0], 1], [EVIL[1], 2]],
                                     note=None)
    other = monthly_report.Section("m", "二、问题", ["问题", "数"], rows=[[EVIL[2], 1], [EVIL[3], 1]])
    report = monthly_report.Report("测试县", 2026, 3, date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31),
                                   [], [section, other])
    assert_text_cells(monthly_report.to_xlsx(report))


def test_problem_export(app, make_site, make_household, make_user):
    site = make_site(name=EVIL[3])
    home = make_household(site=site, head_name=EVIL[0])
    problem = problems.create_problem(make_user("admin"), site_id=site.id, household_id=home.id, category="就业",
                                      description=EVIL[1], responsible_unit=EVIL[2])
    assert_text_cells(problems.export_xlsx([problem]))


def test_household_export(app, make_site, make_household):
    from sqlalchemy import select

    from models import Household, Member

    home = make_household(site=make_site(name="幸福家园"), head_name=EVIL[0], building=EVIL[1], note=EVIL[3])
    home.members.append(Member(name=EVIL[2], relation="配偶"))
    db.session.flush()
    data = household_excel.export(select(Household))
    assert_text_cells(data, (EVIL[0], EVIL[1], EVIL[3]))
    assert_text_cells(data, (f"{EVIL[2]}(配偶)",))


def test_the_streamed_sheet_keeps_text_text_numbers_numbers_and_drops_what_xml_cannot_hold():
    from python_calamine import CalamineWorkbook

    from services.workbook import stream

    data = stream("表<1>", [("名", "数"), (EVIL[0], 7), ("a\x07b & <c>", 2.5), (None, True)], widths=(10, 5))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "表<1>"
    assert [[c.value for c in line] for line in sheet.iter_rows()] == [
        ["名", "数"], [EVIL[0], 7], ["ab & <c>", 2.5], [None, True]]
    assert [c.data_type for c in sheet[2]] == ["s", "n"]
    assert_text_cells(data, (EVIL[0],))
    assert CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()[2] == ["ab & <c>", 2.5]


def test_household_template_lists_site_names_as_text(app, make_site, make_user):
    make_site(name=EVIL[0])
    assert_text_cells(household_excel.template(make_user("admin")), (EVIL[0],))
