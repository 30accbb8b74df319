"""Staff user management (admin only): create, edit roles/scope, disable, reset password. Audited."""
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import Area, Household, Site, StaffScope, StaffUser
from services.errors import ValidationFailed
from services.staff import audit


@dataclass
class StaffData:
    username: str
    display_name: str
    roles: list[str]
    phone: str = ""
    area_ids: list[int] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)
    active: bool = True
    #: the user's own household (recusal), None when not a resident
    household_id: Optional[int] = None
    #: empty = keep the current password (edit) / required (create)
    password: str = ""


def snapshot(user: StaffUser) -> dict:
    return {"username": user.username, "display_name": user.display_name, "phone": user.phone,
            "roles": sorted(user.roles), "active": user.active, "household_id": user.household_id,
            "areas": sorted(s.area_id for s in user.scopes if s.area_id),
            "sites": sorted(s.site_id for s in user.scopes if s.site_id)}


def save(actor, user: Optional[StaffUser], data: StaffData) -> StaffUser:
    creating = user is None
    _check(actor, user, data)
    before = None if creating else snapshot(user)
    if creating:
        user = StaffUser(username=data.username.strip())
        db.session.add(user)
    user.display_name = data.display_name.strip()
    user.phone = data.phone.strip() or None
    user.roles = data.roles
    user.active = data.active
    user.household_id = data.household_id
    user.scopes = [StaffScope(area_id=a) for a in sorted(set(data.area_ids))] + \
                  [StaffScope(site_id=s) for s in sorted(set(data.site_ids))]
    if data.password:
        user.set_password(data.password)
    db.session.flush()
    after = snapshot(user) | ({"password_reset": True} if data.password and not creating else {})
    audit.record(actor, "staff.create" if creating else "staff.update", "staff_user", user.id,
                 before=before, after=after)
    return user


def _check(actor, user: Optional[StaffUser], data: StaffData) -> None:
    clash = db.session.execute(select(StaffUser.id).where(StaffUser.username == data.username.strip())).scalar()
    if clash and (user is None or clash != user.id):
        raise ValidationFailed(f"登录名 {data.username} 已被使用")
    if user is None and not data.password:
        raise ValidationFailed("新用户需要设置初始密码")
    if user is not None and user.id == actor.id and (not data.active or "admin" not in data.roles):
        raise ValidationFailed("不能停用自己或去掉自己的系统管理员角色(以免无人能管理系统)")
    if "admin" not in data.roles and not (data.area_ids or data.site_ids):
        raise ValidationFailed("请为该用户选择管理范围(乡镇/村/社区或安置点)")
    if data.household_id and db.session.get(Household, data.household_id) is None:
        raise ValidationFailed(f"没有户号为 {data.household_id} 的住户")
    known_areas = set(db.session.execute(select(Area.id)).scalars())
    known_sites = set(db.session.execute(select(Site.id)).scalars())
    if set(data.area_ids) - known_areas or set(data.site_ids) - known_sites:
        raise ValidationFailed("管理范围里有不存在的地区或安置点")
