"""Limits checked before an uploaded .xlsx is read (docs/decisions.md#excel-import-limits).

An .xlsx is a zip of XML. A small upload can unpack to gigabytes (a zip bomb), and a sheet with one
cell at XFD1048576 makes a reader build a 16384 x 1048576 grid. So, before any reader sees the file:
the zip's member sizes as declared, then the first sheet's declared dimension, then the sheet's XML
itself, decompressed in chunks (never more than MAX_SHEET_BYTES) and scanned for the highest cell
reference. Only a sheet within MAX_ROWS x MAX_COLUMNS is handed to the reader."""
import io
import re
import zipfile

from services.errors import ValidationFailed

MAX_MEMBERS = 1000
#: the whole archive unpacked, as its directory declares it
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: the first sheet's XML, as actually decompressed
MAX_SHEET_BYTES = 80 * 1024 * 1024
#: a member that unpacks more than this many times its packed size is a bomb
MAX_RATIO = 200
MAX_COLUMNS = 40
_CHUNK = 1024 * 1024
_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?([0-9]{1,7})?:?([A-Z]{1,3})?([0-9]{1,7})?"')
_FIRST_SHEET = re.compile(rb'<(?:\w+:)?sheet\s[^>]*?r:id="([^"]+)"')


class SheetRefused(ValidationFailed):
    """The upload is refused before it is read; `message` says why, in Chinese."""


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def check(data: bytes, max_rows: int) -> None:
    """Raises SheetRefused when the workbook in `data` is too big to read safely."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a zip: the reader refuses it with its own message
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise SheetRefused("这个文件里的内容太多,不像是一户一档表格,请使用模板")
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_BYTES or any(
                m.file_size > _CHUNK and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members):
            raise SheetRefused("这个文件解压后过大(可能是恶意构造的压缩包),已拒绝;请用 Excel 或 WPS 另存为 .xlsx 后再上传")
        name = _first_sheet(archive)
        if name is None:
            return
        _check_sheet(archive, name, max_rows)


def _too_big(rows: int, columns: int, max_rows: int) -> str:
    return (f"表格范围太大(到第 {rows} 行、第 {columns} 列);一次最多 {max_rows} 户、{MAX_COLUMNS} 列。"
            "请删掉表格下方和右侧多余的内容后另存再上传")


def _check_sheet(archive: zipfile.ZipFile, name: str, max_rows: int) -> None:
    row_cap = max_rows + 10  # the header and a few blank lines above it
    with archive.open(name) as stream:
        head = stream.read(_CHUNK)
        declared = _DIMENSION.search(head)
        if declared:
            rows = int(declared.group(4) or declared.group(2) or 0)
            columns = column_number((declared.group(3) or declared.group(1) or "A").decode())
            if rows > row_cap or columns > MAX_COLUMNS:
                raise SheetRefused(_too_big(rows, columns, max_rows))
        read, tail, chunk = 0, b"", head
        while chunk:
            read += len(chunk)
            if read > MAX_SHEET_BYTES:
                raise SheetRefused("表格内容过大,请分成几个文件上传")
            window = tail + chunk
            for letters, digits in _CELL.findall(window):
                rows, columns = int(digits), column_number(letters.decode())
                if rows > row_cap or columns > MAX_COLUMNS:
                    raise SheetRefused(_too_big(rows, columns, max_rows))
            tail = window[-256:]
            chunk = stream.read(_CHUNK)


def _first_sheet(archive: zipfile.ZipFile):
    """The first sheet's member name, from the workbook and its relationships."""
    names = set(archive.namelist())
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None
    first = _FIRST_SHEET.search(workbook)
    if first:
        rid = re.escape(first.group(1))
        for tag in re.findall(rb"<(?:\w+:)?Relationship\s[^>]*>", relations):
            if re.search(rb'\bId="' + rid + rb'"', tag):
                target = re.search(rb'\bTarget="([^"]+)"', tag)
                if target:
                    path = target.group(1).decode()
                    path = path.lstrip("/") if path.startswith("/") else "xl/" + path
                    return path if path in names else None
    return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None
