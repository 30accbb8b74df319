"""包保 (who is responsible for a household), photos, and helpers shared by the support services.

County policy read from config with defaults (no edit of config.py needed):
SUPPORT_CADRE_QUOTA (8): warn when a cadre holds more active households than this.
SUPPORT_UPLOAD_DIR (instance/uploads/support), SUPPORT_PHOTO_MAX_PX (1600).
"""
import calendar
import io
import os
import re
import secrets
from datetime import date
from typing import Iterable, Optional

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import and_, exists, func, select

from extensions import db
from models import Area, Household, HouseholdTag
from models.clock import local_today
from models.household import PRIORITY_TAGS
from models.support import CADRE_LEVELS, Responsibility, SupportCadre, SupportPhoto
from services.database import private_files
from services.errors import NotFound, ValidationFailed
from services.staff import audit
from services.staff.scope import _areas_below

_PHONE_RE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
MAX_PIXELS = 40_000_000


# ------------------------------------------------------------------ months
def month_range(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def parse_month(text: Optional[str]) -> tuple[int, int]:
    """'2026-11' -> (2026, 11); empty -> the current local month."""
    if not text:
        today = local_today()
        return today.year, today.month
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationFailed("月份格式应为 2026-11")
    return int(match.group(1)), int(match.group(2))


# ------------------------------------------------------------------ priority households
def is_priority_clause():
    """SQL: the household carries a priority tag (三特户, 三无户, 监测户)."""
    return exists().where(HouseholdTag.household_id == Household.id, HouseholdTag.tag.in_(PRIORITY_TAGS))


def active_responsibility_clause(on: Optional[date] = None):
    """SQL: the household has a 包保 responsibility active on `on` (default today).
    The end date is exclusive: a responsibility ended today no longer counts today."""
    on = on or local_today()
    return exists().where(
        Responsibility.household_id == Household.id, Responsibility.start_date <= on,
        (Responsibility.end_date.is_(None)) | (Responsibility.end_date > on),
    )


def priority_without_responsibility(site_ids: Optional[Iterable[int]] = None):
    """Active priority households without an active 包保责任人 (the dashboard list)."""
    query = select(Household).where(
        Household.status == "active", is_priority_clause(), ~active_responsibility_clause()
    ).order_by(Household.site_id, Household.id)
    if site_ids is not None:
        query = query.where(Household.site_id.in_(list(site_ids)))
    return db.session.execute(query).scalars().all()


# ------------------------------------------------------------------ cadres
def quota() -> int:
    return int(current_app.config.get("SUPPORT_CADRE_QUOTA", 8))


def create_cadre(actor, name: str, phone: Optional[str] = None, level: str = "village",
                 unit: Optional[str] = None, staff_user_id: Optional[int] = None,
                 area_id: Optional[int] = None) -> SupportCadre:
    """A 包保 cadre; a township or village cadre names the area they serve (`area_id`)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写包保责任人姓名")
    phone = (phone or "").strip() or None
    if phone and not _PHONE_RE.match(phone):
        raise ValidationFailed("电话号码格式不对(手机 11 位,或 区号-座机)")
    if level not in CADRE_LEVELS:
        raise ValidationFailed("请选择干部层级(县/镇/村/部门)")
    if staff_user_id and db.session.execute(
            select(SupportCadre.id).where(SupportCadre.staff_user_id == staff_user_id)).first():
        raise ValidationFailed("这个工作人员已经登记为包保责任人")
    if area_id is not None and db.session.get(Area, area_id) is None:
        raise ValidationFailed("请选择包保的乡镇或村(社区)")
    cadre = SupportCadre(name=name, phone=phone, level=level, unit=(unit or "").strip() or None,
                         staff_user_id=staff_user_id, area_id=area_id)
    db.session.add(cadre)
    db.session.flush()
    audit.record(actor, "support.cadre.create", "support_cadre", cadre.id,
                 after={"name": name, "phone": phone, "level": level, "unit": cadre.unit, "area_id": area_id})
    return cadre


def cadre_for_user(user) -> Optional[SupportCadre]:
    return db.session.execute(select(SupportCadre).where(SupportCadre.staff_user_id == user.id)).scalar_one_or_none()


def cadre_load(cadre_id: int) -> int:
    """Active households a cadre is responsible for."""
    return db.session.execute(
        select(func.count(Responsibility.id)).where(Responsibility.cadre_id == cadre_id,
                                                    Responsibility.end_date.is_(None))
    ).scalar_one()


def cadre_loads(cadre_ids: Optional[Iterable[int]] = None) -> dict[int, int]:
    query = (select(Responsibility.cadre_id, func.count(Responsibility.id))
             .where(Responsibility.end_date.is_(None)).group_by(Responsibility.cadre_id))
    if cadre_ids is not None:
        query = query.where(Responsibility.cadre_id.in_(list(cadre_ids)))
    return dict(db.session.execute(query).all())


def quota_warning(cadre: SupportCadre) -> Optional[str]:
    load = cadre_load(cadre.id)
    if load > quota():
        return f"{cadre.name} 已包保 {load} 户,超过每人 {quota()} 户的建议上限"
    return None


# ------------------------------------------------------------------ responsibilities
def assign(household: Household, cadre: SupportCadre, actor, start_date: Optional[date] = None) -> Responsibility:
    """Make `cadre` a 包保责任人 of `household` (a household may have several)."""
    if household.status != "active":
        raise ValidationFailed("这一户已迁出或合户,不能再安排包保")
    if not cadre.active:
        raise ValidationFailed(f"{cadre.name} 已调离,不能再安排包保")
    if not serves(cadre, household):
        raise ValidationFailed(f"{cadre.name} 是{cadre.area.name}的干部,不能包保{household.site.name}的住户")
    start = start_date or local_today()
    duplicate = db.session.execute(select(Responsibility.id).where(
        Responsibility.household_id == household.id, Responsibility.cadre_id == cadre.id,
        Responsibility.end_date.is_(None))).first()
    if duplicate:
        raise ValidationFailed(f"{cadre.name} 已经是这一户的包保责任人")
    row = Responsibility(household_id=household.id, cadre_id=cadre.id, start_date=start,
                         created_by_id=getattr(actor, "id", actor))
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "support.assign", "support_responsibility", row.id, site_id=household.site_id,
                 after={"household_id": household.id, "cadre": cadre.name, "start": start})
    return row


def serves(cadre: SupportCadre, household: Household) -> bool:
    """A cadre with an area serves only the households of sites under it (docs/decisions.md#support-daily)."""
    return serves_site(cadre, household.site)


def serves_site(cadre: SupportCadre, site) -> bool:
    return cadre.area_id is None or site.area_id in _areas_below({cadre.area_id})


def end_responsibility(row: Responsibility, actor, reason: str, end_date: Optional[date] = None) -> None:
    if row.end_date is not None:
        raise ValidationFailed("这条包保关系已经结束")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写结束原因(如:调离、重新分配)")
    row.end_date = max(end_date or local_today(), row.start_date)
    row.end_reason = reason[:100]
    db.session.flush()
    audit.record(actor, "support.unassign", "support_responsibility", row.id,
                 site_id=row.household.site_id, after={"end": row.end_date, "reason": row.end_reason})


def bulk_assign(cadre: SupportCadre, actor, site_id: int, building: Optional[str] = None,
                only_priority: bool = True, only_unassigned: bool = True) -> list[Responsibility]:
    """Assign every matching active household of a site (or one 楼栋) to `cadre`."""
    query = select(Household).where(Household.site_id == site_id, Household.status == "active")
    if building:
        query = query.where(Household.building == building.strip())
    if only_priority:
        query = query.where(is_priority_clause())
    if only_unassigned:
        query = query.where(~active_responsibility_clause())
    query = query.where(~exists().where(and_(Responsibility.household_id == Household.id,
                                             Responsibility.cadre_id == cadre.id,
                                             Responsibility.end_date.is_(None))))
    homes = db.session.execute(query.order_by(Household.id)).scalars().all()
    return [assign(home, cadre, actor) for home in homes]


def reassign_cadre(old: SupportCadre, new: SupportCadre, actor, reason: str = "调离",
                   deactivate: bool = True) -> list[Responsibility]:
    """A cadre leaves: end all their active responsibilities and give the households to `new`."""
    if old.id == new.id:
        raise ValidationFailed("请选择另一位包保责任人")
    rows = db.session.execute(select(Responsibility).where(
        Responsibility.cadre_id == old.id, Responsibility.end_date.is_(None))).scalars().all()
    created = []
    for row in rows:
        end_responsibility(row, actor, f"{reason},转给{new.name}")
        already = db.session.execute(select(Responsibility.id).where(
            Responsibility.household_id == row.household_id, Responsibility.cadre_id == new.id,
            Responsibility.end_date.is_(None))).first()
        if not already:
            created.append(assign(row.household, new, actor))
    if deactivate:
        old.active = False
        audit.record(actor, "support.cadre.leave", "support_cadre", old.id,
                     after={"reason": reason, "to": new.name, "households": len(rows)})
    db.session.flush()
    return created


def responsibilities_of(household_id: int) -> list[Responsibility]:
    """All 包保 rows of a household, active first, then history."""
    return db.session.execute(
        select(Responsibility).where(Responsibility.household_id == household_id)
        .order_by(Responsibility.end_date.is_not(None), Responsibility.start_date.desc(), Responsibility.id.desc())
    ).scalars().all()


def get_or_404(model, object_id):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound()
    return obj


# ------------------------------------------------------------------ photos
def upload_dir() -> str:
    path = current_app.config.get("SUPPORT_UPLOAD_DIR") or os.path.join(current_app.instance_path, "uploads", "support")
    return private_files.private_dir(path)


def clean_image(data: bytes, fmt: str = "JPEG") -> tuple[bytes, int, int]:
    """Decode, rotate upright, resize, and re-encode without EXIF/metadata; refuse non-images."""
    max_px = int(current_app.config.get("SUPPORT_PHOTO_MAX_PX", 1600))
    try:
        probe = Image.open(io.BytesIO(data))
        if probe.width * probe.height > MAX_PIXELS:
            raise ValidationFailed("照片太大,请换一张")
        probe.verify()
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image)
        image.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed("只能上传照片(JPG、PNG 等图片格式)") from None
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.split()[-1])
        image = background
    image = image.convert("RGB")
    image.thumbnail((max_px, max_px))
    clean = Image.new("RGB", image.size)  # a fresh image carries no metadata at all
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue(), clean.width, clean.height


def store_file(data: bytes, suffix: str) -> str:
    name = f"{secrets.token_hex(16)}{suffix}"
    private_files.write_private(os.path.join(upload_dir(), name), data)
    return name


def save_photo(data: bytes, owner_type: str, owner_id: int, site_id: int, actor) -> SupportPhoto:
    clean, width, height = clean_image(data)
    photo = SupportPhoto(owner_type=owner_type, owner_id=owner_id, site_id=site_id,
                         filename=store_file(clean, ".jpg"), width=width, height=height,
                         uploaded_by_id=getattr(actor, "id", actor))
    db.session.add(photo)
    db.session.flush()
    return photo


def photos_of(owner_type: str, owner_id: int) -> list[SupportPhoto]:
    return db.session.execute(select(SupportPhoto).where(
        SupportPhoto.owner_type == owner_type, SupportPhoto.owner_id == owner_id
    ).order_by(SupportPhoto.id)).scalars().all()
