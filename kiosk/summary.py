"""JSON shapes the kiosk API returns (household summary, goods, receipt)."""
from sqlalchemy import bindparam, select

from extensions import db
from kiosk import pictograms
from models import LedgerEntry
from models.clock import to_local
from models.household import mask_name
from services.redemption import limit_left

#: ledger kind -> what the resident sees
KIND_LABELS = {
    "evaluation": "评议积分", "award": "评选奖励", "activity": "参加活动", "rule_award": "加分",
    "rule_deduction": "扣分", "redemption": "兑换商品", "redemption_void": "兑换作废退回",
    "reversal": "更正", "expiry": "积分到期", "forfeit": "迁出清零", "transfer_out": "分户转出",
    "transfer_in": "分户转入", "adjustment": "调整",
}


def recent_entries(household_id: int, limit: int = 5) -> list[dict]:
    entries = db.session.execute(_RECENT, {"household_id": household_id, "limit": limit})
    return [{"date": e.effective_date.isoformat(), "label": KIND_LABELS.get(e.kind, e.kind),
             "note": e.note or "", "points": e.points} for e in entries]


#: the columns the kiosk shows, not whole entries (the scan is the kiosk's most frequent request)
_RECENT = (select(LedgerEntry.effective_date, LedgerEntry.kind, LedgerEntry.note, LedgerEntry.points)
           .where(LedgerEntry.household_id == bindparam("household_id"))
           .order_by(LedgerEntry.seq.desc()).limit(bindparam("limit")))


def household_json(household) -> dict:
    return {"name": mask_name(household.head_name), "balance": household.balance,
            "base_points": household.base_points, "recent": recent_entries(household.id)}


def goods_json(goods, household=None) -> dict:
    data = {"id": goods.id, "name": goods.name, "category": goods.category, "price": goods.price,
            "unit": goods.unit, "stock": goods.stock,
            "photo_url": f"/kiosk/photo/{goods.id}?v={goods.photo_version}" if goods.photo_version else None,
            "limit_left": None, "available": goods.stock > 0, "reason": None if goods.stock > 0 else "已兑完",
            "pictogram_url": pictograms.goods_picture(goods.name, goods.category),
            "category_picture": pictograms.category_picture(goods.category)}
    if household is not None:
        left = limit_left(household.id, goods)
        data["limit_left"] = left
        if data["available"] and left == 0:
            data["available"], data["reason"] = False, "本期已达限兑数量"
        elif data["available"] and goods.price > household.balance:
            data["available"], data["reason"] = False, "积分不够"
    return data


def receipt_json(redemption) -> dict:
    return {
        "receipt_no": redemption.receipt_no, "request_id": redemption.request_id,
        "status": redemption.status, "site": redemption.site.name,
        "household": mask_name(redemption.household.head_name),
        "time": to_local(redemption.created_at).strftime("%Y-%m-%d %H:%M"),
        "lines": [{"goods_id": l.goods_id, "name": l.name, "unit": l.unit, "price": l.price, "qty": l.quantity, "points": l.points}
                  for l in redemption.lines],
        "total": redemption.total_points, "balance_after": redemption.balance_after,
    }
