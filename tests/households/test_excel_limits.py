"""Uploads that would exhaust memory are refused before they are read, with a Chinese message,
within a second (docs/decisions.md#excel-import-limits)."""
import io
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from services.households import excel, sheet_limits
from tests.households.test_excel_import import ID_A, count, setup, sheet, upload  # noqa: F401


def _workbook(fill) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(excel.COLUMNS))
    ws.append(["幸福家园安置点", "张三", ID_A])
    fill(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite_sheet(data: bytes, change) -> bytes:
    """The same workbook with its first sheet's XML passed through `change`."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            target.writestr(item.filename, change(body) if item.filename == "xl/worksheets/sheet1.xml" else body)
    return out.getvalue()


def _bomb() -> bytes:
    """A valid-looking workbook whose sheet unpacks from ~50 KB to 50 MB."""
    normal = _workbook(lambda ws: None)
    padding = b"<!--" + b" " * (50 * 1024 * 1024) + b"-->"
    return _rewrite_sheet(normal, lambda body: body.replace(b"<sheetData>", padding + b"<sheetData>", 1))


def _far_cell(ws):
    ws["XFD1048576"] = "x"


def _lying_dimension(data: bytes) -> bytes:
    return _rewrite_sheet(data, lambda body: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:I2"', body))


CASES = {
    "zip bomb": (_bomb, "解压后过大"),
    "one cell at XFD1048576": (lambda: _workbook(_far_cell), "表格范围太大(到第 1048576 行、第 16384 列)"),
    "far cell, dimension says A1:I2": (lambda: _lying_dimension(_workbook(_far_cell)), "表格范围太大"),
    "far cell, no dimension": (lambda: _rewrite_sheet(_workbook(_far_cell),
                                                      lambda b: re.sub(rb"<dimension[^>]*/>", b"", b)), "表格范围太大"),
    "a row past the cap": (lambda: _workbook(lambda ws: ws.cell(row=excel.MAX_ROWS + 50, column=1, value="x")),
                           f"一次最多 {excel.MAX_ROWS} 户"),
    "a column past the cap": (lambda: _workbook(lambda ws: ws.cell(row=3, column=sheet_limits.MAX_COLUMNS + 1,
                                                                   value="x")), f"{sheet_limits.MAX_COLUMNS} 列"),
}


@pytest.mark.parametrize("label", list(CASES))
def test_refused_quickly_with_a_chinese_message(app, setup, label):  # noqa: F811
    build, message = CASES[label]
    data = build()
    assert len(data) < 2 * 1024 * 1024
    started = time.perf_counter()
    result = excel.preview(setup[2], io.BytesIO(data))
    elapsed = time.perf_counter() - started
    assert result.file_error and message in result.file_error, result.file_error
    assert elapsed < 1.0, f"{label}: {elapsed:.2f} s"


def test_the_upload_page_shows_the_refusal_and_writes_nothing(app, client, setup):  # noqa: F811
    before = count()
    answer = upload(client, _workbook(_far_cell))
    assert "表格范围太大" in answer.get_data(as_text=True)
    assert count() == before


def test_a_normal_sheet_still_reads(app, setup):  # noqa: F811
    result = excel.preview(setup[2], io.BytesIO(sheet([["幸福家园安置点", "张三", ID_A]])))
    assert result.file_error is None and len(result.rows) == 1


def test_column_numbers():
    assert [sheet_limits.column_number(c) for c in ("A", "Z", "AA", "XFD")] == [1, 26, 27, 16384]
