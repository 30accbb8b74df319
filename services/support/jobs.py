"""创业就业台账: per working-age member, what they do (status, where, since when), training taken and
wanted, and subsidies received; the classified statistics per village (全面摸底、分类统计) and the export.

Working age is read from the member's identity number (16 to 60 years old, both included). A member
without a readable number is listed as 年龄不详 rather than dropped, so the 摸底 can never miss them."""
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from extensions import db
from models import Household, Member, Site
from models.clock import local_today, utcnow
from models.employment import EMPLOYMENT_STATUSES, SUBSIDY_KINDS, Employment, EmploymentSubsidy
from services import fields, workbook
from services.errors import ValidationFailed
from services.integrity.fund import parse_yuan, yuan
from services.staff import audit
from services.staff.scope import require_site

WORKING_AGE = (16, 60)
#: status filter value for members who have no record yet
NOT_SURVEYED = "none"
TEXT_LIMITS = {"workplace": 100, "training_taken": 200, "training_wanted": 200}


def birth_date(id_number: Optional[str]) -> Optional[date]:
    """The birth date in an 18-digit identity number, or None when it is missing or unreadable."""
    digits = (id_number or "").strip()
    if len(digits) != 18 or not digits[:17].isdigit():
        return None
    try:
        return date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return None


def age_on(id_number: Optional[str], today: date) -> Optional[int]:
    born = birth_date(id_number)
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_working_age(member: Member, today: date) -> bool:
    """In the working age, or of unknown age (kept in the list so nobody is missed)."""
    age = age_on(member.id_number, today)
    return age is None or WORKING_AGE[0] <= age <= WORKING_AGE[1]


@dataclass
class JobRow:
    member: Member
    household: Household
    age: Optional[int]
    record: Optional[Employment]
    subsidy_fen: int = 0

    @property
    def status_label(self) -> str:
        return self.record.status_label if self.record else "未摸底"


def working_members(site_ids: Optional[Iterable[int]], status: Optional[str] = None,
                    today: Optional[date] = None) -> list[JobRow]:
    """The working-age current members of active households in the sites (None = all), with their
    record and subsidy total; `status` filters by employment status or NOT_SURVEYED."""
    today = today or local_today()
    query = (select(Member, Household, Employment)
             .join(Household, Household.id == Member.household_id)
             .outerjoin(Employment, Employment.member_id == Member.id)
             .where(Member.is_current, Household.status == "active")
             .order_by(Household.site_id, Household.building, Household.door_no, Household.id, Member.id))
    if site_ids is not None:
        query = query.where(Household.site_id.in_(list(site_ids) or [-1]))
    rows = [JobRow(m, h, age_on(m.id_number, today), e) for m, h, e in db.session.execute(query)]
    rows = with_status([r for r in rows if r.age is None or WORKING_AGE[0] <= r.age <= WORKING_AGE[1]], status)
    totals = _subsidy_totals([r.member.id for r in rows])
    for r in rows:
        r.subsidy_fen = totals.get(r.member.id, 0)
    return rows


def with_status(rows: list[JobRow], status: Optional[str]) -> list[JobRow]:
    """The rows of one employment status, or NOT_SURVEYED (no record); all rows for any other value."""
    if status == NOT_SURVEYED:
        return [r for r in rows if r.record is None]
    if status in EMPLOYMENT_STATUSES:
        return [r for r in rows if r.record is not None and r.record.status == status]
    return rows


def _subsidy_totals(member_ids: list[int]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for start in range(0, len(member_ids), 900):  # SQLite's bound-parameter limit
        chunk = member_ids[start:start + 900]
        for member_id, fen in db.session.execute(
                select(EmploymentSubsidy.member_id, db.func.sum(EmploymentSubsidy.amount_fen))
                .where(EmploymentSubsidy.member_id.in_(chunk)).group_by(EmploymentSubsidy.member_id)):
            totals[member_id] = int(fen)
    return totals


@dataclass
class SiteCounts:
    site: Site
    by_status: dict = field(default_factory=lambda: {k: 0 for k in [*EMPLOYMENT_STATUSES, NOT_SURVEYED]})
    subsidy_fen: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def employed(self) -> int:
        return self.total - self.by_status["unemployed"] - self.by_status[NOT_SURVEYED]


def statistics(rows: list[JobRow], sites: list[Site]) -> tuple[list[SiteCounts], SiteCounts]:
    """分类统计: per site (in the given order) and a total, counting each working-age member once."""
    per_site = {s.id: SiteCounts(s) for s in sites}
    total = SiteCounts(None)
    for r in rows:
        key = r.record.status if r.record else NOT_SURVEYED
        for counts in (per_site.get(r.household.site_id), total):
            if counts is not None:
                counts.by_status[key] += 1
                counts.subsidy_fen += r.subsidy_fen
    return list(per_site.values()), total


def _text(value, name: str, label: str) -> str:
    return fields.text(value, label, TEXT_LIMITS[name], required=False, field=name) or ""


def save_employment(actor, member: Member, *, status: str, workplace: str = "", since: Optional[date] = None,
                    training_taken: str = "", training_wanted: str = "") -> Employment:
    """Record or update what a member does now; the change (before/after) goes to the audit log."""
    home = member.household
    require_site(actor, home.site_id)
    if not member.is_current or home.status != "active":
        raise ValidationFailed("这位成员已不在册,不能登记就业情况")
    if status not in EMPLOYMENT_STATUSES:
        raise ValidationFailed("请选择就业状态", field="status")
    workplace = _text(workplace, "workplace", "务工地点/单位")
    taken = _text(training_taken, "training_taken", "已参加的培训")
    wanted = _text(training_wanted, "training_wanted", "培训意愿")
    if since is not None and since > local_today():
        raise ValidationFailed("开始时间不能晚于今天", field="since")
    if status != "unemployed" and not workplace:
        raise ValidationFailed("请填写务工地点、就业单位或创业项目", field="workplace")
    record = record_of(member)
    before = _snapshot(record) if record else None
    if record is None:
        record = Employment(member_id=member.id, household_id=home.id)
        db.session.add(record)
    record.status, record.workplace, record.since = status, workplace, since
    record.training_taken, record.training_wanted = taken, wanted
    record.updated_at, record.updated_by = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "employment.save", "member", member.id, before=before, after=_snapshot(record))
    return record


def _snapshot(record: Employment) -> dict:
    return {"就业状态": record.status_label, "地点/单位": record.workplace,
            "开始时间": record.since.isoformat() if record.since else "", "已参加培训": record.training_taken,
            "培训意愿": record.training_wanted}


def add_subsidy(actor, member: Member, *, kind: str, amount, granted_on: Optional[date],
                note: str = "") -> EmploymentSubsidy:
    home = member.household
    require_site(actor, home.site_id)
    if kind not in SUBSIDY_KINDS:
        raise ValidationFailed("请选择补贴类别", field="kind")
    try:
        fen = parse_yuan(amount, "补贴金额")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="amount") from None
    if granted_on is None:
        raise ValidationFailed("请填写发放日期", field="granted_on")
    if granted_on > local_today():
        raise ValidationFailed("发放日期不能晚于今天", field="granted_on")
    note = fields.text(note, "备注", 200, required=False, field="note")
    row = EmploymentSubsidy(member_id=member.id, household_id=home.id, kind=kind, amount_fen=fen,
                            granted_on=granted_on, note=note, created_by=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "employment.subsidy", "member", member.id,
                 after={"补贴类别": row.kind_label, "金额(元)": yuan(fen), "发放日期": granted_on.isoformat()})
    return row


def record_of(member: Member) -> Optional[Employment]:
    return db.session.execute(select(Employment).where(Employment.member_id == member.id)).scalar_one_or_none()


def subsidies_of(member: Member) -> list[EmploymentSubsidy]:
    return list(db.session.execute(select(EmploymentSubsidy).where(EmploymentSubsidy.member_id == member.id)
                                   .order_by(EmploymentSubsidy.granted_on, EmploymentSubsidy.id)).scalars())


EXPORT_COLUMNS = ("序号", "安置点", "户主", "门牌", "姓名", "与户主关系", "年龄", "就业状态", "务工地点/单位",
                  "开始时间", "已参加培训", "培训意愿", "已领补贴(元)")


def export_xlsx(rows: list[JobRow], counts: list[SiteCounts], total: SiteCounts, today: date) -> bytes:
    """Two sheets: the 台账 (one row per working-age member) and the 分类统计 per village."""
    book = Workbook()
    sheet = book.active
    sheet.title = "创业就业台账"
    bold = Font(bold=True)
    sheet.append([workbook.cell(sheet, "创业就业台账", font=Font(bold=True, size=14))])
    sheet.append([f"截至 {today.isoformat()} · 劳动年龄 {WORKING_AGE[0]}–{WORKING_AGE[1]} 周岁"])
    sheet.append(workbook.row(sheet, EXPORT_COLUMNS, font=bold))
    for n, r in enumerate(rows, 1):
        rec = r.record
        door = "-".join(x for x in (r.household.building, r.household.door_no) if x)
        sheet.append(workbook.row(sheet, [
            n, r.household.site.name, r.household.head_name, door, r.member.name, r.member.relation,
            r.age if r.age is not None else "年龄不详", r.status_label, rec.workplace if rec else "",
            rec.since.isoformat() if rec and rec.since else "", rec.training_taken if rec else "",
            rec.training_wanted if rec else "", yuan(r.subsidy_fen) if r.subsidy_fen else ""]))
    sheet.freeze_panes = "A4"
    stats = book.create_sheet("分类统计")
    stats.append([workbook.cell(stats, "创业就业分类统计", font=Font(bold=True, size=14))])
    header = ["安置点", "劳动年龄人口", *EMPLOYMENT_STATUSES.values(), "未摸底", "已领补贴(元)"]
    stats.append(workbook.row(stats, header, font=bold))
    for c in [*counts, total]:
        stats.append(workbook.row(stats, [c.site.name if c.site else "合计", c.total,
                                          *[c.by_status[k] for k in EMPLOYMENT_STATUSES],
                                          c.by_status[NOT_SURVEYED], yuan(c.subsidy_fen)],
                                  **({"font": bold} if c.site is None else {})))
    stats.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
