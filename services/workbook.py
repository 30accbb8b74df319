"""Cells for every Excel workbook we write (openpyxl): user text always stays text.

A name, note or description that starts with "=", "+", "-" or "@" would otherwise be written as a
live formula (formula injection, docs/decisions.md#spreadsheet-cells). Every export builds its rows
through `cell` / `row`, which work for write-only and normal worksheets alike."""
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
