"""Goods admin: CRUD with photos (resize, EXIF stripped, non-images refused), stock in/out never
negative, low stock, monthly reconciliation + Excel, void from the staff page, kiosk devices, scope."""
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import Goods, KioskDevice, StockMovement
from services.errors import ValidationFailed
from services.supermarket import goods as goods_service
from tests.supermarket.kiosk_helpers import add_goods


def _jpeg_with_exif(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (30.0, 0.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photo_is_resized_and_exif_stripped(app):
    raw = _jpeg_with_exif()
    assert b"SecretCam" in raw
    clean = goods_service.process_photo(raw)
    with Image.open(io.BytesIO(clean)) as image:
        assert max(image.size) == goods_service.PHOTO_SIZE and image.format == "JPEG"
        assert not image.getexif()
    assert b"SecretCam" not in clean


@pytest.mark.parametrize("data,words", [(b"", "没有收到"), (b"%PDF-1.4 not an image", "不是可用的图片"),
                                        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "不是可用的图片")])
def test_bad_photos_refused(app, data, words):
    with pytest.raises(ValidationFailed, match=words):
        goods_service.process_photo(data)


def test_oversize_photo_refused(app):
    with pytest.raises(ValidationFailed, match="太大"):
        goods_service.process_photo(b"\xff\xd8" + b"\0" * (goods_service.MAX_PHOTO_BYTES + 1))


def test_pixel_bomb_refused(app):
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < goods_service.MAX_PHOTO_BYTES
    with pytest.raises(ValidationFailed, match="像素"):
        goods_service.process_photo(out.getvalue())


def test_stock_never_negative(app, make_site):
    item = add_goods(make_site(), stock=3)
    with pytest.raises(goods_service.OutOfStock):
        goods_service.stock_out(item, 4, "loss", "过期")
    goods_service.stock_out(item, 3, "loss", "过期")
    with pytest.raises(ValidationFailed, match="原因"):
        goods_service.stock_out(item, 1, "adjust", "")
    goods_service.stock_out(item, 2, "adjust", "盘点多出")
    assert db.session.get(Goods, item.id).stock == 2
    for bad in ("0", "-1", "abc", "1.5", "9999999"):
        with pytest.raises(ValidationFailed):
            goods_service.stock_in(item, bad, "donor")


def test_reconciliation_identity(app, make_site):
    from datetime import date, timedelta

    item = add_goods(make_site(), stock=0)
    last_month = date.today().replace(day=1) - timedelta(days=3)
    goods_service.stock_in(item, 10, "aid_unit", "县供销社", movement_date=last_month)
    goods_service.stock_in(item, 5, "purchase")
    goods_service.stock_out(item, 2, "loss", "破损")
    today = date.today()
    row = goods_service.reconciliation(item.site_id, today.year, today.month)[0]
    assert (row.opening, row.stock_in, row.stock_out, row.closing) == (10, 5, 2, 13)
    assert row.closing == db.session.get(Goods, item.id).stock


@pytest.fixture
def shopkeeper(app, make_site, make_user, login):
    site = make_site("幸福家园安置点")
    other = make_site("石门安置点")
    user = make_user("shopkeeper", sites=[site])
    login(user)
    return {"site": site, "other": other, "user": user}


def test_shopkeeper_creates_goods_with_photo(client, shopkeeper):
    site = shopkeeper["site"]
    res = client.post(f"/admin/goods/new?site_id={site.id}", data={
        "site_id": site.id, "name": "大米 5kg", "category": "粮油", "price": "50", "unit": "袋", "low_stock": "3",
        "limit_qty": "2", "limit_period": "month", "active": "1",
        "photo": (io.BytesIO(_jpeg_with_exif((1200, 900))), "rice.jpg")}, content_type="multipart/form-data")
    assert res.status_code == 302
    item = db.session.execute(select(Goods)).scalar_one()
    assert (item.price, item.limit_qty, item.stock, item.photo_version) == (50, 2, 0, 1)
    photo = client.get(f"/kiosk/photo/{item.id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and b"SecretCam" not in photo.data
    page = client.get(f"/admin/goods?site_id={site.id}").get_data(as_text=True)
    assert "大米 5kg" in page and "库存预警" in page


@pytest.mark.parametrize("field,value,words", [("price", "0", "积分价格"), ("price", "abc", "积分价格"),
                                               ("name", "", "名称"), ("limit_qty", "2", "限购周期")])
def test_goods_form_rejects_bad_input(client, shopkeeper, field, value, words):
    data = {"site_id": shopkeeper["site"].id, "name": "肥皂", "price": "5", "unit": "块", "active": "1", field: value}
    res = client.post(f"/admin/goods/new?site_id={shopkeeper['site'].id}", data=data)
    page = res.get_data(as_text=True)
    assert res.status_code == 400 and words in page and 'class="field-error"' in page
    assert field == "name" or 'value="肥皂"' in page  # the typed values are kept
    assert db.session.execute(select(func.count()).select_from(Goods)).scalar_one() == 0


def test_edit_keeps_the_photo_when_none_is_sent(client, shopkeeper):
    site = shopkeeper["site"]
    client.post(f"/admin/goods/new?site_id={site.id}", data={
        "site_id": site.id, "name": "香皂", "price": "5", "active": "1",
        "photo": (io.BytesIO(_jpeg_with_exif((300, 200))), "soap.jpg")}, content_type="multipart/form-data")
    item = db.session.execute(select(Goods)).scalar_one()
    page = client.get(f"/admin/goods/{item.id}/edit").get_data(as_text=True)
    assert 'value="香皂"' in page and 'value="5"' in page
    res = client.post(f"/admin/goods/{item.id}/edit", data={"site_id": site.id, "name": "香皂", "price": "6"})
    assert res.status_code == 302, res.get_data(as_text=True)[-3000:]
    db.session.refresh(item)
    assert (item.price, item.photo_version, item.active) == (6, 1, False)


def test_stock_form_refusal_reshows_the_form(client, shopkeeper):
    item = add_goods(shopkeeper["site"], stock=3)
    db.session.commit()
    moves = db.session.execute(select(func.count()).select_from(StockMovement)).scalar_one()
    res = client.post(f"/admin/goods/{item.id}/stock", data={"kind": "in", "quantity": "十二", "source": "donor",
                                                             "source_name": "爱心企业"})
    page = res.get_data(as_text=True)
    assert res.status_code == 400 and "数量必须是整数" in page and 'value="爱心企业"' in page
    assert db.session.get(Goods, item.id).stock == 3
    assert db.session.execute(select(func.count()).select_from(StockMovement)).scalar_one() == moves


def test_non_image_upload_refused_nothing_written(client, shopkeeper):
    res = client.post(f"/admin/goods/new?site_id={shopkeeper['site'].id}", data={
        "site_id": shopkeeper["site"].id, "name": "肥皂", "price": "5", "active": "1",
        "photo": (io.BytesIO(b"MZ\x90\x00 definitely not a picture"), "virus.jpg")},
        content_type="multipart/form-data")
    assert res.status_code == 400 and "不是可用的图片" in res.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Goods)).scalar_one() == 0


def test_stock_forms_and_scope(client, shopkeeper):
    mine = add_goods(shopkeeper["site"], stock=0)
    theirs = add_goods(shopkeeper["other"], "食用油", stock=4)
    db.session.commit()
    client.post(f"/admin/goods/{mine.id}/stock", data={"kind": "in", "quantity": "12", "source": "donor",
                                                       "source_name": "爱心企业"})
    res = client.post(f"/admin/goods/{mine.id}/stock", data={"kind": "loss", "quantity": "20", "note": "丢失"},
                      follow_redirects=True)
    assert "库存不足" in res.get_data(as_text=True)
    assert db.session.get(Goods, mine.id).stock == 12
    assert client.post(f"/admin/goods/{theirs.id}/stock", data={"kind": "loss", "quantity": "1",
                                                                "note": "x"}).status_code == 403
    assert client.get(f"/admin/goods?site_id={shopkeeper['other'].id}").status_code == 403
    assert client.get(f"/admin/goods/{theirs.id}").status_code == 403
    assert db.session.get(Goods, theirs.id).stock == 4


def test_reconciliation_page_and_excel(client, shopkeeper):
    from openpyxl import load_workbook

    add_goods(shopkeeper["site"], stock=7)
    db.session.commit()
    page = client.get(f"/admin/goods/reconciliation?site_id={shopkeeper['site'].id}")
    assert page.status_code == 200 and "期初" in page.get_data(as_text=True)
    res = client.get(f"/admin/goods/reconciliation?site_id={shopkeeper['site'].id}&format=xlsx")
    book = load_workbook(io.BytesIO(res.data))
    assert book.sheetnames == ["库存对账", "兑换台账"]
    assert [c.value for c in book["库存对账"][3]][3:7] == [0, 7, 0, 7]
    assert client.get("/admin/goods/reconciliation?month=2026-13").status_code == 400


def test_void_from_staff_page(client, shopkeeper, make_household):
    from models import Card, Household, Redemption
    from services.households.cards import issue_card
    from services.supermarket import devices as kiosk_devices
    from services.supermarket import redemption
    from tests.supermarket.kiosk_helpers import new_request_id, paired_device

    site = shopkeeper["site"]
    item = add_goods(site, stock=5)
    home = make_household(site=site, balance=100)
    issue_card(home)
    device, _ = paired_device(site)
    card = db.session.execute(select(Card).where(Card.household_id == home.id)).scalar_one()
    session, _ = kiosk_devices.start_session(device, card)
    r = redemption.redeem(device, redemption.parse_request(session["id"], new_request_id(),
                                                           [{"goods_id": item.id, "qty": 1}]))
    db.session.commit()
    assert "确认作废" in client.get(f"/admin/redemptions/{r.id}").get_data(as_text=True)
    res = client.post(f"/admin/redemptions/{r.id}/void", data={"reason": ""}, follow_redirects=True)
    assert "作废原因" in res.get_data(as_text=True)
    client.post(f"/admin/redemptions/{r.id}/void", data={"reason": "拿错了"})
    client.post(f"/admin/redemptions/{r.id}/void", data={"reason": "再点一次"})
    assert db.session.get(Redemption, r.id).status == "void"
    assert db.session.get(Household, home.id).balance == 100
    assert db.session.get(Goods, item.id).stock == 5
    assert db.session.execute(select(func.count()).select_from(StockMovement)
                              .where(StockMovement.kind == "void")).scalar_one() == 1
    assert "已作废" in client.get(f"/admin/redemptions?site_id={site.id}").get_data(as_text=True)


def test_kiosk_admin_is_admin_only_and_pairs(client, app, make_site, make_user, login):
    site = make_site()
    shop = make_user("shopkeeper", sites=[site])
    login(shop)
    assert client.post("/admin/kiosks/new", data={"site_id": site.id, "name": "一号机"}).status_code == 403
    client.post("/admin/logout")
    login(make_user("admin"))
    res = client.post("/admin/kiosks/new", data={"site_id": site.id, "name": "一号机"})
    html = res.get_data(as_text=True)
    import re
    code = re.search(r'data-testid="pairing-code">([A-Z0-9-]+)<', html).group(1)
    paired = client.post("/kiosk/api/pair", json={"code": code})
    assert paired.status_code == 201
    token = paired.get_json()["token"]
    device = db.session.execute(select(KioskDevice)).scalar_one()
    assert device.token_hash and token not in (device.token_hash or "")
    client.post(f"/admin/kiosks/{device.id}/disable")
    assert client.get("/kiosk/api/device", headers={"Authorization": f"Device {token}"}).status_code == 401


def test_admin_forms_keep_csrf(app, make_site, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    site = make_site()
    item = add_goods(site, stock=1)
    user = make_user("shopkeeper", sites=[site])
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    res = client.post(f"/admin/goods/{item.id}/stock", data={"kind": "in", "quantity": "5", "source": "donor"})
    assert res.status_code == 400
    assert db.session.get(Goods, item.id).stock == 1
