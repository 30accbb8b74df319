"""Demo supermarket: goods and stock for every demo site, a few redemptions, one demo kiosk to pair, and
one that sold offline (services/demo/offline_kiosk.py)."""
import uuid

from sqlalchemy import select

from extensions import db
from models import Card, KioskDevice
from services.demo import offline_kiosk
from services.households.cards import issue_card
from services.supermarket import devices as kiosk_devices
from services.supermarket import goods as goods_service
from services.supermarket import redemption

DEMO_KIOSK_NAME = "演示终端(收银台)"
#: name, category, price, unit, stock, (limit_qty, period)
CATALOGUE = [
    ("大米 10kg", "粮油", 50, "袋", 30, None), ("食用油 5L", "粮油", 85, "桶", 12, (1, "month")),
    ("挂面", "粮油", 6, "把", 40, None), ("食盐", "粮油", 3, "袋", 4, None), ("酱油", "粮油", 10, "瓶", 25, None),
    ("鸡蛋(30枚)", "粮油", 20, "盒", 0, (2, "week")), ("洗衣粉", "日用品", 15, "袋", 20, None),
    ("肥皂", "日用品", 5, "块", 60, None), ("牙膏", "日用品", 8, "支", 35, None), ("毛巾", "日用品", 10, "条", 18, None),
    ("保温杯", "日用品", 30, "个", 6, None), ("作业本(10本)", "文具", 12, "套", 15, None),
]


def build(rng, sites, homes, staff) -> None:
    for site in sites:
        for name, category, price, unit, stock, limit in CATALOGUE:
            form = {"name": name, "category": category, "price": str(price), "unit": unit, "low_stock": "5",
                    "active": "1", "limit_qty": str(limit[0]) if limit else "", "limit_period": limit[1] if limit else ""}
            item = goods_service.save_goods(site.id, form)
            if stock:
                goods_service.stock_in(item, stock + 10 if stock > 5 else stock, rng.choice(["donor", "aid_unit", "purchase"]),
                                       rng.choice(["县民政局", "县供销社", "爱心企业", "结对帮扶单位"]),
                                       actor=staff["shop"])
    device, _code = kiosk_devices.create_device(sites[0].id, DEMO_KIOSK_NAME, staff["admin"])
    _demo_redemptions(rng, device, [h for h in homes if h.site_id == sites[0].id and h.balance >= 30][:10])
    offline_kiosk.build(rng, sites[0], staff)


def _demo_redemptions(rng, device, homes) -> None:
    goods = goods_service.goods_for_site(device.site_id, only_active=True)
    for home in homes:
        card = db.session.execute(select(Card).where(Card.household_id == home.id, Card.status == "active")).scalar_one()
        session, _ = kiosk_devices.start_session(device, card)
        affordable = [g for g in goods if g.price <= home.balance // 2 and g.stock > 0 and not g.limit_qty]
        if affordable:
            item = rng.choice(affordable)
            redemption.redeem(device, redemption.parse_request(session["id"], str(uuid.UUID(int=rng.getrandbits(128))),
                                                               [{"goods_id": item.id, "qty": 1}]))
        kiosk_devices.end_session(device, session["id"])


def serve_lines(base: str) -> list[str]:
    """Fresh pairing code for the demo kiosk and a demo card URL, printed by `flask serve-demo`."""
    device = db.session.execute(select(KioskDevice).where(KioskDevice.name == DEMO_KIOSK_NAME)).scalars().first()
    if device is None:
        return []
    if device.status == "disabled":
        device.status = "pending"
    code = kiosk_devices.new_pairing_code(device)
    card = db.session.execute(select(Card).join(Card.household).where(Card.status == "active",
                                                                      Card.household.has(site_id=device.site_id))
                              .order_by(Card.household_id)).scalars().first()
    lines = [f"  超市终端配对码 ({device.site.name}): {code}   或直接打开 {base}/kiosk/?pair={code}"]
    if card is not None:
        _card, token = issue_card(card.household)
        lines.append(f"  演示积分卡(已为第 1 户补发,旧卡作废): {base}/c/{token}")
        lines.append("    在终端页面上粘贴或输入这个网址并回车,相当于扫码枪扫卡")
    return lines
