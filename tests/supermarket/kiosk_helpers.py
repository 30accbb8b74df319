"""Shared builders for the goods/kiosk/redemption tests (not a conftest: kept to our own files)."""
import uuid

from extensions import db
from services.households.cards import issue_card
from services.supermarket import devices as kiosk_devices
from services.supermarket import goods as goods_service


def add_goods(site, name="大米 5kg", price=50, stock=10, **fields):
    form = {"name": name, "price": str(price), "unit": fields.pop("unit", "袋"),
            "category": fields.pop("category", "粮油"), "active": "1", **{k: str(v) for k, v in fields.items()}}
    item = goods_service.save_goods(site.id, form)
    if stock:
        goods_service.stock_in(item, stock, "donor", "县民政局")
    return item


def paired_device(site, name="一号机"):
    device, code = kiosk_devices.create_device(site.id, name)
    device, token = kiosk_devices.pair(code)
    return device, token


def card_for(household):
    _card, token = issue_card(household)
    return token


def auth(token):
    return {"Authorization": f"Device {token}"}


def new_request_id():
    return str(uuid.uuid4())


def table_counts():
    from sqlalchemy import func, select

    from models import KioskSession, LedgerEntry, Redemption, RedemptionLine, StockMovement

    return {m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (LedgerEntry, Redemption, RedemptionLine, StockMovement, KioskSession)}


def goods_card(page, goods_id):
    """The kiosk's card of a goods item, its page turned to first (the goods are paged by whole rows)."""
    card = page.locator(f'.goods[data-goods-id="{goods_id}"]')
    while not page.is_disabled("#page-up"):
        page.click("#page-up")
    while not card.is_visible():
        page.click("#page-down")
    return card
