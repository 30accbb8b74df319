"""Demo offline kiosk (docs/offline.md): a second kiosk of the first demo site that took allowances,
sold offline yesterday and synced today, through the real pairing, refresh and sync services with
items signed as the kiosk signs them. A newcomer sees every state at once: allowances out, synced
offline sales, one open owed stock line, one settled line and one refused (tampered) item."""
import uuid
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import Card, Goods, KioskAllowance, OwedLine
from models.clock import utcnow
from services.demo.offline_signing import demo_key, public_jwk, sign
from services.supermarket import devices as kiosk_devices
from services.supermarket import offline_admin, offline_refresh, offline_sync

DEMO_OFFLINE_KIOSK = "演示终端(断网演示)"
#: (goods name, quantity) per offline sale; 鸡蛋 has no stock in the demo, so its sales owe goods
SALES = (("挂面", 2), ("鸡蛋(30枚)", 1), ("鸡蛋(30枚)", 1), ("肥皂", 1))


def build(rng, site, staff) -> None:
    key = demo_key(rng)
    device, code = kiosk_devices.create_device(site.id, DEMO_OFFLINE_KIOSK, staff["admin"])
    device, _token = kiosk_devices.pair(code, public_key=public_jwk(key))
    issued = offline_refresh.refresh(device, 0, 0)["issued_at"]
    goods = {g.name: g for g in db.session.execute(select(Goods).where(Goods.site_id == site.id)).scalars()}
    cards = _cards_with_allowance(device.id, len(SALES))
    sold_at = utcnow() - timedelta(days=1)
    items = []
    for counter, ((name, qty), card_hash) in enumerate(zip(SALES, cards), start=1):
        item = goods[name]
        items.append(sign(key, {
            "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "counter": counter, "card_hash": card_hash,
            "lines": [{"goods_id": item.id, "qty": qty, "price": item.price}], "total": qty * item.price,
            "client_time": (sold_at + timedelta(minutes=7 * counter)).isoformat(timespec="milliseconds") + "Z",
            "issued_at": issued}))
    # the last item altered after signing (a dearer price): sync refuses it as bad_signature
    forged = items[-1]
    forged["lines"][0]["price"] += 1
    forged["total"] = forged["lines"][0]["qty"] * forged["lines"][0]["price"]
    offline_sync.sync(device, items, 1)
    device.last_seen_at = device.last_sync_at  # what the API's credential check records on a call
    first = db.session.execute(select(OwedLine).where(OwedLine.site_id == site.id, OwedLine.kind == "stock")
                               .order_by(OwedLine.id)).scalars().first()
    offline_admin.settle(first.id, staff["shop"], "次日补货后已交给户主")


def _cards_with_allowance(device_id: int, count: int) -> list[str]:
    """The card hashes of `count` households this kiosk holds an allowance for (enough for any sale)."""
    tokens = db.session.execute(
        select(Card.token_hash).join(KioskAllowance, KioskAllowance.household_id == Card.household_id)
        .where(KioskAllowance.device_id == device_id, KioskAllowance.points >= 30, Card.status == "active")
        .order_by(Card.household_id).limit(count)).scalars().all()
    return list(tokens)
