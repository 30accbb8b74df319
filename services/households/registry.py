"""Households (一户一档): search, validation, create / edit / move-out. Functions flush, views commit."""
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, or_, select

from extensions import db
from models import Card, Household, HouseholdTag, LedgerEntry, Member, Site
from models.household import HOUSEHOLD_TAGS, mask_id_number, mask_name
from services.errors import ValidationFailed
from services.households import base_points
from services.staff import audit
from services.staff.scope import allowed_site_ids, require_site, sites_in_scope

_SPACE = re.compile(r"\s")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")
STATUS_LABELS = {"active": "在册", "moved_out": "已迁出", "merged": "已合户"}
CARD_STATUS_LABELS = {"active": "正常", "lost": "已挂失", "revoked": "已作废"}
LEDGER_KIND_LABELS = {
    "evaluation": "评议得分", "award": "评比奖励", "activity": "志愿活动", "rule_award": "细则加分",
    "rule_deduction": "细则扣分", "redemption": "超市兑换", "redemption_void": "兑换作废退回",
    "reversal": "冲正", "expiry": "积分过期", "forfeit": "迁出清零", "transfer_out": "转出",
    "transfer_in": "转入", "adjustment": "调整",
    "allowance_hold": "暂存超市终端(离线额度)", "allowance_return": "离线额度退回",
}
PER_PAGE = 30


# ---------------------------------------------------------------- normalising and checking
def initials(name: str) -> str:
    """Pinyin initials for search: 张三 -> zs (characters pypinyin does not know are skipped)."""
    return "".join(p[0] for p in lazy_pinyin(name or "", style=Style.NORMAL, errors="ignore") if p)[:32]


def clean(value) -> str:
    """Trim, and turn full-width digits/letters/spaces (common in Excel sheets) into ASCII."""
    text = "" if value is None else str(value)
    text = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    return text.replace("\u3000", " ").strip()


def normalize_phone(value) -> str:
    return _SPACE.sub("", clean(value))


def normalize_id(value) -> str:
    return _SPACE.sub("", clean(value)).upper()


def phone_error(phone: str) -> Optional[str]:
    if phone and not PHONE_RE.match(phone):
        return f"电话号码“{phone}”格式不对(手机 11 位,以 1 开头;座机如 0851-12345678)"
    return None


def id_number_error(number: str) -> Optional[str]:
    """GB 11643 format and check digit."""
    if not number:
        return None
    if not ID_RE.match(number):
        return f"身份证号“{mask_id_number(number)}”应为 18 位(最后一位可以是 X)"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != number[17]:
        return f"身份证号“{mask_id_number(number)}”校验位不对,请核对"
    return None


def duplicate_warnings(id_number: str, phone: str, exclude_id: Optional[int] = None) -> list[str]:
    """Other active households with the same head ID number or phone (a warning, not a refusal)."""
    warnings = []
    for label, column, value in (("身份证号", Household.head_id_number, id_number),
                                 ("电话", Household.phone, phone)):
        if not value:
            continue
        query = select(Household).where(column == value, Household.status == "active")
        if exclude_id:
            query = query.where(Household.id != exclude_id)
        for other in db.session.execute(query.limit(3)).scalars():
            warnings.append(f"{label}与 {other.site.name} 的 {mask_name(other.head_name)} 户(户号 {other.id})相同")
    return warnings


# ---------------------------------------------------------------- search
@dataclass
class HouseholdFilter:
    q: str = ""
    site_id: Optional[int] = None
    tag: str = ""
    min_balance: Optional[int] = None
    max_balance: Optional[int] = None
    #: "active" (default), "moved_out", "merged" or "" for all
    status: str = "active"
    #: (first id, last id) of one Excel import: the list right after importing shows just those
    imported: Optional[tuple[int, int]] = None


def search(user, flt: HouseholdFilter):
    """A SELECT of the households `user` may see that match `flt`, ordered by site and 户号."""
    query = select(Household)
    allowed = allowed_site_ids(user)
    if allowed is not None:
        query = query.where(Household.site_id.in_(allowed))
    if flt.site_id:
        require_site(user, flt.site_id)
        query = query.where(Household.site_id == flt.site_id)
    if flt.status:
        query = query.where(Household.status == flt.status)
    if flt.tag:
        query = query.where(Household.id.in_(select(HouseholdTag.household_id).where(HouseholdTag.tag == flt.tag)))
    if flt.min_balance is not None:
        query = query.where(Household.balance >= flt.min_balance)
    if flt.max_balance is not None:
        query = query.where(Household.balance <= flt.max_balance)
    if flt.q:
        query = query.where(_text_match(clean(flt.q)))
    if flt.imported:
        query = query.where(Household.id.between(*flt.imported))
    return query.order_by(Household.site_id, Household.id)


def text_match(q: str):
    """SQL: a household matching `q` by name, member, phone, 门牌/楼栋, pinyin initials or id."""
    return _text_match(clean(q))


def _text_match(q: str):
    like = f"%{q}%"
    clauses = [Household.head_name.like(like), Household.phone.like(like), Household.door_no.like(like),
               Household.building.like(like),
               Household.id.in_(select(Member.household_id).where(Member.name.like(like)))]
    if re.fullmatch(r"[A-Za-z]+", q):
        clauses.append(Household.head_initials.like(q.lower() + "%"))
    if q.isdigit():
        clauses.append(Household.id == int(q))
    return or_(*clauses)


def visible_sites(user) -> list[Site]:
    return sites_in_scope(user)


def ledger_page(home: Household, page: int, per_page: int = PER_PAGE):
    query = select(LedgerEntry).where(LedgerEntry.household_id == home.id).order_by(LedgerEntry.seq.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def cards_of(home: Household) -> list[Card]:
    """Every card the household was given, newest first."""
    return list(db.session.execute(
        select(Card).where(Card.household_id == home.id).order_by(Card.generation.desc())).scalars())


def current_card(home: Household) -> Optional[Card]:
    return db.session.execute(
        select(Card).where(Card.household_id == home.id).order_by(Card.generation.desc()).limit(1)
    ).scalar_one_or_none()


# ---------------------------------------------------------------- writing
@dataclass
class MemberData:
    name: str
    relation: str = "其他"
    id_number: str = ""
    phone: str = ""
    is_current: bool = True
    #: existing Member.id, None for a new member
    id: Optional[int] = None


@dataclass
class HouseholdData:
    site_id: int
    head_name: str
    head_id_number: str = ""
    phone: str = ""
    building: str = ""
    door_no: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)
    members: list[MemberData] = field(default_factory=list)


def validate(data: HouseholdData) -> dict[str, str]:
    """Field name -> Chinese message; empty when the data is fine."""
    errors = {}
    if not clean(data.head_name):
        errors["head_name"] = "请填写户主姓名"
    elif len(clean(data.head_name)) > 64:
        errors["head_name"] = "户主姓名太长"
    for name, message in (("phone", phone_error(data.phone)), ("head_id_number", id_number_error(data.head_id_number))):
        if message:
            errors[name] = message
    unknown = set(data.tags) - set(HOUSEHOLD_TAGS)
    if unknown:
        errors["tags"] = f"未知的标签:{'、'.join(sorted(unknown))}"
    for n, member in enumerate(data.members, 1):
        problem = phone_error(member.phone) or id_number_error(member.id_number)
        if problem:
            errors[f"members-{n}"] = f"第 {n} 位家庭成员:{problem}"
        if member.relation not in RELATIONS[1:]:
            errors[f"members-{n}"] = f"第 {n} 位家庭成员:关系“{member.relation}”不在可选范围"
    return errors


def snapshot(home: Household) -> dict:
    """What the audit log keeps (ID numbers masked)."""
    return {
        "site_id": home.site_id, "head_name": home.head_name, "head_id_number": mask_id_number(home.head_id_number),
        "phone": home.phone, "building": home.building, "door_no": home.door_no, "status": home.status,
        "note": home.note, "tags": home.tags,
        "members": [f"{m.name}({m.relation}{'' if m.is_current else ',不在户'})" for m in home.members],
    }


def create(actor, data: HouseholdData) -> Household:
    require_site(actor, data.site_id)
    _raise_if_invalid(data)
    home = Household(site_id=data.site_id, status="active", balance=0, ledger_seq=0, ledger_hash="")
    home.members.append(Member(name="", relation="户主"))
    _apply(home, data)
    db.session.add(home)
    db.session.flush()
    base_points.apply(actor, home)
    audit.record(actor, "household.create", "household", home.id, after=snapshot(home), site_id=home.site_id)
    return home


def update(actor, home: Household, data: HouseholdData) -> Household:
    require_site(actor, home.site_id)
    require_site(actor, data.site_id)
    _raise_if_invalid(data)
    before = snapshot(home)
    _apply(home, data)
    db.session.flush()
    audit.record(actor, "household.update", "household", home.id, before=before, after=snapshot(home),
                 site_id=home.site_id)
    return home


def move_out(actor, home: Household, reason: str) -> Household:
    """迁出 of the county. One path for it: services.households.life_events.move_out (county policy decides
    whether points must be redeemed first or are forfeited; cards are revoked at once; audited)."""
    from services.households import life_events

    require_site(actor, home.site_id)
    if home.status != "active":
        raise ValidationFailed("这一户已不在册")
    if not clean(reason):
        raise ValidationFailed("请填写迁出原因")
    life_events.move_out(home, actor, note=clean(reason))
    return home


def _raise_if_invalid(data: HouseholdData) -> None:
    errors = validate(data)
    if errors:
        raise ValidationFailed(";".join(errors.values()), fields=errors)


def _apply(home: Household, data: HouseholdData) -> None:
    home.site_id = data.site_id
    home.head_name = clean(data.head_name)
    home.head_initials = initials(home.head_name)
    home.head_id_number = normalize_id(data.head_id_number) or None
    home.phone = normalize_phone(data.phone) or None
    home.building = clean(data.building) or None
    home.door_no = clean(data.door_no) or None
    home.note = clean(data.note) or None
    _apply_tags(home, data.tags)
    _apply_members(home, data.members)


def _apply_tags(home: Household, tags: Iterable[str]) -> None:
    wanted = set(tags)
    home.tag_rows = [row for row in home.tag_rows if row.tag in wanted]
    have = {row.tag for row in home.tag_rows}
    home.tag_rows.extend(HouseholdTag(tag=t) for t in sorted(wanted - have))


def _apply_members(home: Household, members: list[MemberData]) -> None:
    head = next((m for m in home.members if m.relation == "户主"), None)
    if head is None:
        head = Member(relation="户主")
        home.members.insert(0, head)
    head.name, head.id_number, head.phone, head.is_current = (
        home.head_name, home.head_id_number, home.phone, True)
    existing = {m.id: m for m in home.members if m.id is not None and m is not head}
    for data in members:
        member = existing.get(data.id) if data.id else None
        if member is None:
            if not clean(data.name):
                continue
            member = Member()
            home.members.append(member)
        member.name = clean(data.name) or member.name
        member.relation = data.relation
        member.id_number = normalize_id(data.id_number) or None
        member.phone = normalize_phone(data.phone) or None
        member.is_current = data.is_current


def count_in_scope(user) -> int:
    return db.session.execute(select(func.count()).select_from(search(user, HouseholdFilter()).subquery())).scalar_one()
