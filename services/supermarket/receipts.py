"""The receipt as the kiosk shows and prints it (JSON): the kiosk API answers a redemption with it, and
a synced offline sale keeps it as its result (services/supermarket/offline_sync.py)."""
from models.clock import to_local
from models.household import mask_name


def receipt_json(redemption) -> dict:
    """`redemption`: a Redemption or a redemption.Receipt."""
    return {
        "receipt_no": redemption.receipt_no, "request_id": redemption.request_id,
        "status": redemption.status, "site": redemption.site.name,
        "household": mask_name(redemption.household.head_name),
        "time": to_local(redemption.created_at).strftime("%Y-%m-%d %H:%M"),
        "lines": [{"goods_id": l.goods_id, "name": l.name, "unit": l.unit, "price": l.price, "qty": l.quantity,
                   "points": l.points}
                  for l in redemption.lines],
        "total": redemption.total_points, "balance_after": redemption.balance_after,
    }
