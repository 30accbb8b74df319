"""五评五奖 configuration: evaluation dimensions and award types (admin configures; never hard-code five)."""
from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import AwardType, Dimension
from services import fields
from services.errors import ValidationFailed
from services.staff import audit

DEFAULT_DIMENSIONS = ("遵纪守法", "勤劳致富", "孝老爱亲", "环境卫生", "移风易俗")
DEFAULT_AWARDS = (("党员示范户", 30), ("致富光荣户", 30), ("文明榜样户", 30))


def ensure_defaults() -> None:
    """Default five dimensions and three award types, when none are configured."""
    if not db.session.execute(select(func.count(Dimension.id))).scalar_one():
        for order, name in enumerate(DEFAULT_DIMENSIONS):
            db.session.add(Dimension(name=name, max_score=10, points_per_score=1, sort_order=order))
    if not db.session.execute(select(func.count(AwardType.id))).scalar_one():
        for order, (name, bonus) in enumerate(DEFAULT_AWARDS):
            db.session.add(AwardType(name=name, bonus_points=bonus, sort_order=order))
    db.session.flush()


def dimensions(active_only: bool = True) -> list[Dimension]:
    query = select(Dimension).order_by(Dimension.sort_order, Dimension.id)
    return list(db.session.execute(query.where(Dimension.active.is_(True)) if active_only else query).scalars())


def award_types(active_only: bool = True) -> list[AwardType]:
    query = select(AwardType).order_by(AwardType.sort_order, AwardType.id)
    return list(db.session.execute(query.where(AwardType.active.is_(True)) if active_only else query).scalars())


def save_dimension(actor, data: dict, dimension: Optional[Dimension] = None) -> Dimension:
    name = fields.text(data.get("name"), "维度名称", 32)
    max_score = fields.integer(data.get("max_score"), "满分", 1, 100)
    per = fields.integer(data.get("points_per_score"), "每分折合积分", 1, 100)
    dimension = dimension or Dimension(sort_order=len(dimensions(False)))
    _unique(Dimension, name, dimension.id, "这个维度已经有了")
    dimension.name, dimension.max_score, dimension.points_per_score = name, max_score, per
    dimension.active = bool(data.get("active", True))
    db.session.add(dimension)
    db.session.flush()
    audit.record(actor, "evaluation.dimension", "eval_dimension", dimension.id,
                 after={"name": name, "max_score": max_score, "points_per_score": per, "active": dimension.active})
    return dimension


def save_award_type(actor, data: dict, award: Optional[AwardType] = None) -> AwardType:
    name = fields.text(data.get("name"), "奖项名称", 32)
    bonus = fields.integer(data.get("bonus_points"), "奖励积分", 1, 1000)
    award = award or AwardType(sort_order=len(award_types(False)))
    _unique(AwardType, name, award.id, "这个奖项已经有了")
    award.name, award.bonus_points, award.active = name, bonus, bool(data.get("active", True))
    award.description = (data.get("description") or "").strip() or None
    db.session.add(award)
    db.session.flush()
    audit.record(actor, "evaluation.award_type", "award_type", award.id,
                 after={"name": name, "bonus_points": bonus, "active": award.active})
    return award






def _unique(model, name: str, own_id: Optional[int], message: str) -> None:
    other = db.session.execute(select(model.id).where(model.name == name)).scalar_one_or_none()
    if other is not None and other != own_id:
        raise ValidationFailed(message)
