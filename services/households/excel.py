"""Excel import / export of the 一户一档 sheet (openpyxl).

Import is two steps: `preview()` reads and checks every row and writes nothing; `import_rows()`
writes all rows in one transaction, or nothing when any row has an error. Bulk INSERTs keep a
10k-row sheet to a few seconds (bench/excel_import.py).
"""
import io
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import insert, select

from extensions import db
from models import Household, HouseholdTag, Member, Site
from models.household import HOUSEHOLD_TAGS
from services import workbook
from services.errors import ValidationFailed
from services.households import base_points, sheet_limits
from services.households.registry import (
    RELATIONS,
    STATUS_LABELS,
    clean,
    id_number_error,
    initials,
    normalize_id,
    normalize_phone,
    phone_error,
)
from services.staff import audit
from services.staff.county_settings import site_setting
from services.staff.scope import allowed_site_ids

#: sheet columns, in template order; 安置点 and 户主姓名 are required
COLUMNS = ("安置点", "户主姓名", "户主身份证号", "联系电话", "楼栋", "门牌号", "标签", "家庭成员", "备注")
EXPORT_COLUMNS = ("户号",) + COLUMNS + ("积分余额", "状态")
REQUIRED = ("安置点", "户主姓名")
TEXT_COLUMNS = ("户主身份证号", "联系电话", "门牌号")
MAX_ROWS = 50_000
_TAG_BY_LABEL = {label: code for code, label in HOUSEHOLD_TAGS.items()}
_SPLIT = re.compile(r"[、,,;;/\n]+")
_MEMBER_SPLIT = re.compile(r"[、,,;;\n]+")
_MEMBER = re.compile(r"^(?P<name>[^(()]+?)\s*(?:[((]\s*(?P<relation>[^))]*)\s*[))])?$")


@dataclass
class RowResult:
    #: the sheet's row number (as Excel shows it)
    row: int
    values: dict
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Preview:
    rows: list[RowResult] = field(default_factory=list)
    #: a problem with the whole file (no header, wrong format)
    file_error: Optional[str] = None

    @property
    def error_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.file_error and bool(self.rows) and not self.error_rows


# ---------------------------------------------------------------- template and export
def template(user) -> bytes:
    """The empty sheet to fill in, with an instructions sheet listing sites, tags and relations."""
    wb = Workbook()
    ws = wb.active
    ws.title = "一户一档"
    _header(ws, COLUMNS)
    for col in TEXT_COLUMNS:  # keep ID numbers and phones as text, never as numbers
        letter = get_column_letter(COLUMNS.index(col) + 1)
        for row in range(2, 2002):
            ws[f"{letter}{row}"].number_format = "@"
    sites = _sites_for(user)
    if sites:
        rule = DataValidation(type="list", formula1="='填写说明'!$A$12:$A$%d" % (11 + len(sites)), allow_blank=True)
        ws.add_data_validation(rule)
        rule.add("A2:A5001")
    help_ws = wb.create_sheet("填写说明")
    lines = [
        ("每行一户。安置点、户主姓名必填;其余可空。第一行是表头,请不要改动。",),
        ("户主身份证号:18 位,最后一位可以是 X;本列已设为文本格式,请勿改成数字。",),
        ("联系电话:手机 11 位,或座机如 0851-12345678。",),
        ("标签:可填多个,用顿号分隔,例如:低收入户、党员中心户。可选:" + "、".join(HOUSEHOLD_TAGS.values()),),
        ("家庭成员(不含户主):姓名(关系),用顿号分隔,例如:李秀英(配偶)、张小明(子女)。关系可选:" + "、".join(RELATIONS[1:]),),
        ("导入前系统会逐行检查并列出问题;有任何一行出错时整张表都不会导入,改好后重新上传即可。",),
        (),
        ("示例:幸福家园安置点 | 张建国 | 522601199001011234 | 13800001111 | 3栋 | 2单元501 | 低收入户 | 李秀英(配偶)、张小明(子女) |",),
        (),
        (),
        ("可填写的安置点(名称或编号均可)", "编号"),
    ]
    for line in lines:
        help_ws.append(workbook.row(help_ws, line))
    for site in sites:
        help_ws.append(workbook.row(help_ws, (site.name, site.code)))
    help_ws.column_dimensions["A"].width = 110
    return _save(wb)


def export(query) -> bytes:
    """The households `query` (a SELECT of Household, registry.search) selects, in the import layout
    plus 户号/余额/状态 (re-importable). Three set-based reads (households, members, tags) and a
    streamed sheet: 6,000 households took seconds as ORM objects and openpyxl cells."""
    chosen = query.with_only_columns(Household.id).order_by(None).subquery()
    members, tags = defaultdict(list), defaultdict(list)
    for household_id, name, relation in db.session.execute(
            select(Member.household_id, Member.name, Member.relation)
            .where(Member.household_id.in_(select(chosen.c.id)), Member.relation != "户主", Member.is_current)
            .order_by(Member.household_id, Member.id)):
        members[household_id].append(f"{name}({relation})")
    for household_id, tag in db.session.execute(
            select(HouseholdTag.household_id, HouseholdTag.tag).where(HouseholdTag.household_id.in_(select(chosen.c.id)))):
        if tag in HOUSEHOLD_TAGS:
            tags[household_id].append(tag)
    sites = dict(db.session.execute(select(Site.id, Site.name)).all())
    homes = db.session.execute(query.with_only_columns(
        Household.id, Household.site_id, Household.head_name, Household.head_id_number, Household.phone,
        Household.building, Household.door_no, Household.note, Household.balance, Household.status))
    rows = ([home.id, sites.get(home.site_id, ""), home.head_name, home.head_id_number or "", home.phone or "",
             home.building or "", home.door_no or "", "、".join(HOUSEHOLD_TAGS[t] for t in sorted(tags[home.id])),
             "、".join(members[home.id]), home.note or "", home.balance, STATUS_LABELS.get(home.status, home.status)]
            for home in homes)
    return workbook.stream("一户一档", itertools.chain([EXPORT_COLUMNS], rows),
                           widths=(8, 18, 10, 22, 15, 8, 12, 24, 40, 24, 10, 8))


def _header(ws, columns) -> None:
    ws.append(workbook.row(ws, columns))
    for n, name in enumerate(columns, 1):
        cell = ws.cell(row=1, column=n)
        cell.font = Font(bold=True, color="FFFFFF" if name in REQUIRED else "000000")
        cell.fill = PatternFill("solid", fgColor="B3261E" if name in REQUIRED else "F0EEEA")
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(n)].width = 22 if name in ("家庭成员", "备注", "户主身份证号") else 14
    ws.freeze_panes = "A2"


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sites_for(user) -> list[Site]:
    allowed = allowed_site_ids(user)
    query = select(Site).order_by(Site.code)
    if allowed is not None:
        query = query.where(Site.id.in_(allowed))
    return list(db.session.execute(query).scalars())


# ---------------------------------------------------------------- preview
def preview(user, source) -> Preview:
    """Read `source` (path or binary file object) and check every row; nothing is written."""
    try:
        rows = read_rows(source)
    except sheet_limits.SheetRefused as refused:
        return Preview(file_error=refused.message)
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same answer
        return Preview(file_error="无法读取这个文件:请上传用 Excel 或 WPS 保存的 .xlsx 文件")
    return _check_rows(user, iter(rows))


def read_rows(source) -> list[tuple]:
    """The first sheet's rows as value tuples, at most sheet_limits.MAX_COLUMNS wide, once
    sheet_limits.check found the archive and the sheet small enough. python-calamine (Rust) reads a
    10k-row sheet ~10x faster than openpyxl; openpyxl's read-only mode (streamed, capped) is the
    fallback when it is not installed."""
    if isinstance(source, str):
        with open(source, "rb") as handle:
            data = handle.read()
    else:
        data = source.read()
    sheet_limits.check(data, MAX_ROWS)
    width = sheet_limits.MAX_COLUMNS
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return list(wb.worksheets[0].iter_rows(max_row=MAX_ROWS + 10, max_col=width, values_only=True))
        finally:
            wb.close()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [row[:width] for row in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]


def _check_rows(user, rows) -> Preview:
    header, header_row = None, 0
    for header_row, values in enumerate(rows, 1):
        names = [clean(v) for v in values]
        if "户主姓名" in names:
            header = names
            break
        if header_row >= 5:
            break
    if header is None:
        return Preview(file_error="没有找到表头:第一行应包含“安置点”“户主姓名”等列(请使用模板)")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return Preview(file_error=f"表头缺少必填列:{'、'.join(missing)}")
    index = {name: header.index(name) for name in COLUMNS if name in header}
    checker = _RowChecker(user)
    result = Preview()
    for number, values in enumerate(rows, header_row + 1):
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue
        if len(result.rows) >= MAX_ROWS:
            return Preview(file_error=f"一次最多导入 {MAX_ROWS} 户,请分成几个文件")
        raw = {name: _cell(values[i] if i < len(values) else None) for name, i in index.items()}
        result.rows.append(checker.check(number, raw))
    if not result.rows:
        result.file_error = "表格里没有数据行"
    return result


def _cell(value):
    """Whole numbers come back from calamine as floats (501.0): make them ints like openpyxl does."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _RowChecker:
    """Checks one row at a time, remembering earlier rows to find duplicates inside the file."""

    def __init__(self, user):
        sites = _sites_for(user)
        all_sites = db.session.execute(select(Site.name, Site.code)).all()
        self.sites = {s.name: s.id for s in sites} | {s.code.upper(): s.id for s in sites}
        self.known_sites = {n for n, _ in all_sites} | {c.upper() for _, c in all_sites}
        existing = db.session.execute(
            select(Household.head_id_number, Household.phone, Household.id).where(Household.status == "active")
        ).all()
        self.db_ids = {i: hid for i, _, hid in existing if i}
        self.db_phones = {p: hid for _, p, hid in existing if p}
        self.file_ids: dict[str, int] = {}
        self.file_phones: dict[str, int] = {}
        self.file_doors: dict[tuple, int] = {}

    def check(self, number: int, raw: dict) -> RowResult:
        row = RowResult(number, {})
        values = row.values
        values["site_name"] = clean(raw.get("安置点"))
        values["site_id"] = self._site(values["site_name"], row)
        values["head_name"] = clean(raw.get("户主姓名"))
        if not values["head_name"]:
            row.errors.append("缺少户主姓名")
        elif len(values["head_name"]) > 64:
            row.errors.append("户主姓名太长")
        values["head_id_number"] = self._id_number(raw.get("户主身份证号"), row)
        values["phone"] = self._phone(raw.get("联系电话"), row)
        values["building"] = clean(raw.get("楼栋"))[:32]
        values["door_no"] = clean(raw.get("门牌号"))[:32]
        values["note"] = clean(raw.get("备注"))[:2000]
        values["tags"] = self._tags(clean(raw.get("标签")), row)
        values["members"] = self._members(clean(raw.get("家庭成员")), row)
        door = (values["site_id"], values["building"], values["door_no"])
        if values["door_no"] and door in self.file_doors:
            row.warnings.append(f"门牌与第 {self.file_doors[door]} 行相同")
        self.file_doors.setdefault(door, number)
        return row

    def _site(self, name: str, row: RowResult) -> Optional[int]:
        if not name:
            row.errors.append("缺少安置点")
            return None
        site_id = self.sites.get(name) or self.sites.get(name.upper())
        if site_id is None:
            known = name in self.known_sites or name.upper() in self.known_sites
            row.errors.append(f"安置点“{name}”不在您的管理范围内" if known else f"没有名为“{name}”的安置点")
        return site_id

    def _id_number(self, raw, row: RowResult) -> str:
        if isinstance(raw, float) or (isinstance(raw, int) and len(str(raw)) > 12):
            row.errors.append("户主身份证号被 Excel 存成了数字,末尾几位可能已丢失;请把该列设为文本后重新填写")
            return ""
        number = normalize_id(raw)
        problem = id_number_error(number)
        if problem:
            row.errors.append(problem)
        elif number in self.file_ids:
            row.errors.append(f"户主身份证号与第 {self.file_ids[number]} 行重复")
        elif number in self.db_ids:
            row.errors.append(f"户主身份证号已登记在册(户号 {self.db_ids[number]})")
        if number:
            self.file_ids.setdefault(number, row.row)
        return number

    def _phone(self, raw, row: RowResult) -> str:
        phone = normalize_phone(str(int(raw)) if isinstance(raw, (int, float)) else raw)
        problem = phone_error(phone)
        if problem:
            row.errors.append(problem)
        elif phone in self.file_phones:
            row.warnings.append(f"电话与第 {self.file_phones[phone]} 行相同")
        elif phone in self.db_phones:
            row.warnings.append(f"电话与已在册的户号 {self.db_phones[phone]} 相同")
        if phone:
            self.file_phones.setdefault(phone, row.row)
        return phone

    def _tags(self, text: str, row: RowResult) -> list[str]:
        tags = []
        for label in filter(None, (t.strip() for t in _SPLIT.split(text))):
            code = _TAG_BY_LABEL.get(label) or (label if label in HOUSEHOLD_TAGS else None)
            if code is None:
                row.errors.append(f"未知的标签“{label}”")
            elif code not in tags:
                tags.append(code)
        return tags

    def _members(self, text: str, row: RowResult) -> list[tuple[str, str]]:
        members = []
        for part in filter(None, (p.strip() for p in _MEMBER_SPLIT.split(text))):
            match = _MEMBER.match(part)
            relation = (match.group("relation") or "其他").strip() if match else ""
            if not match or not match.group("name").strip():
                row.errors.append(f"家庭成员“{part}”看不懂,请写成 姓名(关系)")
            elif relation not in RELATIONS[1:]:
                row.errors.append(f"家庭成员“{part}”的关系“{relation}”不在可选范围({'、'.join(RELATIONS[1:])})")
            else:
                members.append((match.group("name").strip()[:64], relation))
        return members


# ---------------------------------------------------------------- import
def import_rows(actor, result: Preview, filename: str = "") -> list[int]:
    """All rows or nothing: refuses when any row has an error; returns the new household ids."""
    if not result.ok:
        raise ValidationFailed("表格还有错误,没有导入任何数据;请改好后重新上传")
    homes = [{
        "site_id": v["site_id"], "head_name": v["head_name"], "head_initials": initials(v["head_name"]),
        "head_id_number": v["head_id_number"] or None, "phone": v["phone"] or None,
        "building": v["building"] or None, "door_no": v["door_no"] or None, "note": v["note"] or None,
        "status": "active", "balance": 0, "base_points": 0, "ledger_seq": 0, "ledger_hash": "",
    } for v in (r.values for r in result.rows)]
    ids = list(db.session.execute(
        insert(Household).returning(Household.id, sort_by_parameter_order=True), homes).scalars())
    members, tags = [], []
    for hid, v in zip(ids, (r.values for r in result.rows)):
        members.append({"household_id": hid, "name": v["head_name"], "relation": "户主",
                        "id_number": v["head_id_number"] or None, "phone": v["phone"] or None, "is_current": True})
        members.extend({"household_id": hid, "name": name, "relation": relation, "id_number": None,
                        "phone": None, "is_current": True} for name, relation in v["members"])
        tags.extend({"household_id": hid, "tag": tag} for tag in v["tags"])
    db.session.execute(insert(Member.__table__), members)  # Core executemany: no ORM bookkeeping
    if tags:
        db.session.execute(insert(HouseholdTag.__table__), tags)
    if any(site_setting(site_id, "base_points") for site_id in {v["site_id"] for v in (r.values for r in result.rows)}):
        base_points.apply_all(actor, db.session.execute(select(Household).where(Household.id.in_(ids))).scalars())
    site_ids = sorted({v["site_id"] for v in (r.values for r in result.rows)})
    audit.record(actor, "household.import", "household", None,
                 after={"file": filename, "count": len(ids), "first_id": ids[0], "last_id": ids[-1],
                        "site_ids": site_ids},
                 site_id=site_ids[0] if len(site_ids) == 1 else None)
    return ids
