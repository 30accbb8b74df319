"""Cells for every Excel workbook we write (openpyxl): user text always stays text.

A name, note or description that starts with "=", "+", "-" or "@" would otherwise be written as a
live formula (formula injection, docs/decisions.md#spreadsheet-cells). Every export builds its rows
through `cell` / `row`, which work for write-only and normal worksheets alike.

`stream()` writes a one-sheet .xlsx straight as XML, for exports of thousands of plain rows:
openpyxl's write-only mode still makes a cell object per value (about 0.3 ms per row of twelve).
Its strings are inline strings, never formulas, whatever they start with; ints and floats are
numbers; None is an empty cell; no styles, column widths only. Excel, WPS, openpyxl and
python-calamine read it (the 一户一档 export is re-imported)."""
import io
import re
import zipfile
from typing import Iterable, Sequence

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(sheet, value, **style):
    """A cell for `sheet.append`: strings typed as text whatever they start with; style by keyword
    (font=, fill=, alignment=, number_format=, border=)."""
    made = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        made.data_type = "s"
    for name, item in style.items():
        setattr(made, name, item)
    return made


def row(sheet, values, **style) -> list:
    """One row of safe cells for `sheet.append(row(sheet, values))`."""
    return [cell(sheet, value, **style) for value in values]


#: characters XML 1.0 cannot hold (openpyxl refuses them too): dropped
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')


def _text(value: str) -> str:
    return _ILLEGAL.sub("", value).translate(_ESCAPES)


def _cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'


def _letters(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def stream(sheet_name: str, rows: Iterable[Sequence], widths: Sequence[float] = ()) -> bytes:
    """The workbook's bytes: one sheet named `sheet_name` holding `rows` (the first is the header)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=_text(sheet_name)[:31]))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if widths:
                sheet.write(("<cols>" + "".join(f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
                                                for n, w in enumerate(widths, 1)) + "</cols>").encode())
            sheet.write(b"<sheetData>")
            chunk, letters = [], []
            for number, row in enumerate(rows, 1):
                while len(letters) < len(row):
                    letters.append(_letters(len(letters) + 1))
                chunk.append(f'<row r="{number}">' + "".join(
                    _cell(f"{letter}{number}", value) for letter, value in zip(letters, row)) + "</row>")
                if len(chunk) >= 500:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return buf.getvalue()
