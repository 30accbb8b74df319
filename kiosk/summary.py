"""JSON shapes the kiosk API returns (household summary, goods; the receipt: services/supermarket/receipts.py)."""
from functools import lru_cache

from sqlalchemy import text

from kiosk import pictograms
from models.household import kiosk_name
from services.database import Statement, as_date
from services.supermarket.kiosk_phrases import kind_label, phrase
from services.supermarket.redemption import limit_left


def recent_statement(household_id: int, limit: int = 5) -> Statement:
    """The household's last `limit` entries as the kiosk shows them, as a statement: run it alone
    (services.database.run) or with others (the scan's). Its value: [{date, label, points}], newest
    first by the entry's date (an entry dated back, e.g. a round's points, sorts by its date), then by
    posting order. The label is the entry's kind and, for a rule's points, the rule's name; never the
    staff's free-text note: the card page and the kiosk are public places (docs/decisions.md#privacy).
    Offline allowances moving between the balance and a kiosk are left out: the points stay the
    household's, and every refresh would push its real entries off the list (docs/offline.md)."""
    return Statement(_recent_query(limit), {"household_id": household_id}, read=_recent_json)


def _recent_json(rows) -> list[dict]:
    return [{"date": as_date(day).isoformat(), "label": _label(kind, source, rule), "points": points}
            for day, kind, source, rule, points in rows]


def _label(kind: str, source, rule) -> str:
    if source == "base_points":  # a grant of 底分 is an adjustment by kind
        return kind_label("base_points")
    return f"{kind_label(kind)}:{rule}" if rule else kind_label(kind)


@lru_cache(maxsize=8)
def _recent_query(limit: int):
    """The LIMIT is written into the SQL: with it as a parameter PostgreSQL planned the prepared
    statement again on every scan (its generic plan, costed for an unknown LIMIT, never won)."""
    return text("SELECT e.effective_date, e.kind, e.source_type, r.name, e.points FROM ledger_entry e "
                "LEFT JOIN rule_event v ON e.source_type = 'rule_event' AND v.id = e.source_id "
                "LEFT JOIN rule r ON r.id = v.rule_id WHERE e.household_id = :household_id "
                "AND e.kind NOT IN ('allowance_hold', 'allowance_return') "
                f"ORDER BY e.effective_date DESC, e.seq DESC LIMIT {int(limit)}")


def household_json(household, recent: list[dict]) -> dict:
    """`recent`: the value of recent_statement()."""
    return {"name": kiosk_name(household.head_name), "balance": household.balance,
            "base_points": household.base_points, "recent": recent}


def shelf_json(goods_list, household=None) -> list[dict]:
    """The goods (shelf rows read for `household`) as the kiosk lists them; with the household, its
    limits and points."""
    used = {goods.id: goods.used for goods in goods_list} if household is not None else None
    return [goods_json(goods, household, used) for goods in goods_list]


def goods_json(goods, household=None, used=None) -> dict:
    data = {"id": goods.id, "name": goods.name, "category": goods.category, "price": goods.price,
            "unit": goods.unit, "stock": goods.stock,
            "photo_url": f"/kiosk/photo/{goods.id}?v={goods.photo_version}" if goods.photo_version else None,
            "limit_left": None, "available": goods.stock > 0,
            "reason": None if goods.stock > 0 else phrase("block.sold_out"),
            "pictogram_url": pictograms.goods_picture(goods.name, goods.category),
            "category_picture": pictograms.category_picture(goods.category)}
    if household is not None:
        left = limit_left(household.id, goods, used)
        data["limit_left"] = left
        if data["available"] and left == 0:
            data["available"], data["reason"] = False, phrase("block.limit")
        elif data["available"] and goods.price > household.balance - household.base_points:  # 底分 stays
            data["available"], data["reason"] = False, phrase("block.points")
    return data
