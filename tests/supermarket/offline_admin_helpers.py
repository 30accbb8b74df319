"""The offline world the staff-page tests share: a kiosk with allowances out, synced offline sales,
owed lines (open and settled) and refusals, written directly as the sync service would (docs/offline.md)."""
from datetime import timedelta

from extensions import db
from models import OfflineSale, OwedLine, SyncRefusal
from models.clock import utcnow
from services.supermarket import allowances
from tests.supermarket.kiosk_helpers import add_goods, paired_device


def offline_sale(device, home, counter, total=10, client_time=None, received_at=None):
    sale = OfflineSale(uid=f"00000000-0000-4000-8000-{device.id:06d}{counter:06d}", device_id=device.id,
                       counter=counter, household_id=home.id, card_hash="a" * 64, total_points=total, payload="{}",
                       signature="sig", client_time=client_time or utcnow() - timedelta(hours=5),
                       received_at=received_at or utcnow(), result="{}")
    db.session.add(sale)
    db.session.flush()
    return sale


def offline_world(make_site, make_household, make_user):
    """Site A: a kiosk holding allowances for two households, two synced offline sales, three owed
    lines (one settled), three refusals (one old); a second kiosk with nothing. Site B: its own kiosk."""
    site, other_site = make_site("幸福家园安置点"), make_site("乙安置点")
    homes = [make_household(site=site, head_name="欧阳小明", balance=150),
             make_household(site=site, head_name="张三", balance=80)]
    rice = add_goods(site, name="大米 5kg", price=10, stock=0)
    device, _token = paired_device(site, "一号机")
    quiet, _ = paired_device(site, "二号机")
    far, _ = paired_device(other_site, "乙一号机")
    now = utcnow()
    allowances.hold(device.id, homes[0].id, 100, now, now + timedelta(hours=72))
    allowances.hold(device.id, homes[1].id, 30, now, now + timedelta(hours=72))
    allowances.hold(far.id, make_household(site=other_site, balance=50).id, 20, now, now + timedelta(hours=72))
    first, second = offline_sale(device, homes[0], 1), offline_sale(device, homes[1], 2, total=20)
    open_stock = OwedLine(offline_sale_id=first.id, site_id=site.id, kind="stock", goods_id=rice.id, quantity=2)
    open_points = OwedLine(offline_sale_id=second.id, site_id=site.id, kind="points", quantity=5)
    settled = OwedLine(offline_sale_id=first.id, site_id=site.id, kind="stock", goods_id=rice.id, quantity=1,
                       settled_at=now, settle_note="早已补货")
    db.session.add_all([open_stock, open_points, settled])
    db.session.add_all([SyncRefusal(device_id=device.id, counter=4, error="counter_gap"),
                        SyncRefusal(device_id=device.id, counter=3, error="bad_signature"),
                        SyncRefusal(device_id=device.id, counter=3, error="bad_item", received_at=now - timedelta(days=30))])
    device.last_sync_at, device.queue_reported, device.offline_counter = now - timedelta(minutes=5), 3, 2
    shop = make_user("shopkeeper", sites=[site])
    db.session.commit()
    return {"site": site, "homes": homes, "device": device, "quiet": quiet, "far": far, "shop": shop,
            "open_stock": open_stock, "open_points": open_points, "settled": settled, "make_user": make_user,
            "other_site": other_site}
