"""The kiosk redemption through its one entry point (redemption.redeem_for) on SQLite AND PostgreSQL,
where it is one call of the jifen_redeem function: every refusal answers as before with nothing
written, replays return the first receipt, and the entry's HMAC recomputes."""
import pytest
from sqlalchemy import func, select, text

from extensions import db
from models import Goods, Household, KioskDevice, LedgerEntry, StockMovement
from services.ledger.verify import verify
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device, table_counts


@pytest.fixture
def shop(any_app, make_site, make_household):
    site = make_site("幸福家园安置点")
    rice = add_goods(site, "大米 5kg", price=50, stock=3)
    soap = add_goods(site, "肥皂", price=5, stock=20, unit="块", category="日用品")
    oil = add_goods(site, "食用油", price=10, stock=20, unit="桶", limit_qty=2, limit_period="month")
    home = make_household(site=site, head_name="张小𠮷", balance=120)
    card = card_for(home)
    device, token = paired_device(site)
    db.session.commit()
    client = any_app.test_client()
    session_id = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token)).get_json()["session_id"]
    return {"site": site, "rice": rice.id, "soap": soap.id, "oil": oil.id, "home": home.id, "token": token,
            "device": device.id, "client": client, "session_id": session_id}


def redeem(shop, cart, request_id=None, token=None, **extra):
    payload = {"session_id": shop["session_id"], "request_id": request_id or new_request_id(),
               "cart": [{"goods_id": goods_id, "qty": qty} for goods_id, qty in cart], **extra}
    res = shop["client"].post("/kiosk/api/redeem", json=payload, headers=auth(token or shop["token"]))
    db.session.remove()
    return res.status_code, res.get_json()


def stock(goods_id):
    return db.session.get(Goods, goods_id).stock


def test_a_redemption_writes_every_row_and_a_hash_that_recomputes(shop):
    status, body = redeem(shop, [(shop["soap"], 2), (shop["rice"], 1)], expected_total=60)
    assert status == 200, body
    receipt = body["receipt"]
    assert receipt["total"] == 60 and receipt["balance_after"] == 60 and receipt["site"] == "幸福家园安置点"
    assert [(line["name"], line["qty"], line["points"]) for line in receipt["lines"]] == [
        ("大米 5kg", 1, 50), ("肥皂", 2, 10)]  # by goods id
    assert db.session.get(Household, shop["home"]).balance == 60
    assert (stock(shop["rice"]), stock(shop["soap"])) == (2, 18)
    movements = db.session.execute(select(StockMovement.goods_id, StockMovement.quantity, StockMovement.stock_after)
                                   .where(StockMovement.kind == "redeem")).all()
    assert sorted(movements) == sorted([(shop["rice"], -1, 2), (shop["soap"], -2, 18)])
    entry = db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == "redemption")).scalar_one()
    assert entry.points == -60 and entry.balance_after == 60 and entry.note.startswith("积分超市兑换 ")
    assert entry.idempotency_key == f"redeem:{receipt['request_id']}"
    assert db.session.get(Household, shop["home"]).ledger_hash == entry.hash
    assert db.session.get(KioskDevice, shop["device"]).last_seen_at is not None
    report = verify()
    assert report.ok, [str(p) for p in report.problems]


REFUSALS = [
    # (cart maker, extra JSON, status, error code, words in the message)
    (lambda s: [(s["rice"], 3)], {}, 409, "insufficient_points", "积分"),
    (lambda s: [(s["soap"], 1), (s["soap"] + 10_000, 1)], {}, 404, "not_found", "没有这个商品"),
    (lambda s: [(s["soap"], 21)], {}, 409, "out_of_stock", "“肥皂”库存不足"),
    (lambda s: [(s["rice"], 1), (s["soap"], 21)], {}, 409, "out_of_stock", "“肥皂”库存不足"),
    (lambda s: [(s["oil"], 3)], {}, 409, "limit_exceeded", "“食用油”每月每户限兑 2桶"),
    (lambda s: [(s["soap"], 1)], {"expected_total": 4}, 409, "price_changed", ""),
]


@pytest.mark.parametrize("cart,extra,status,code,words", REFUSALS)
def test_refusals_answer_as_before_and_write_nothing(shop, cart, extra, status, code, words):
    before, stocks = table_counts(), (stock(shop["rice"]), stock(shop["soap"]))
    got, body = redeem(shop, cart(shop), **extra)
    assert (got, body["error"]) == (status, code), body
    assert words in body["message"]
    if code == "price_changed":
        assert body["total"] == 5
    if code == "insufficient_points":
        assert body["needed"] == 150
    if code in ("not_found", "out_of_stock", "limit_exceeded"):
        assert body["goods_id"] in cart(shop)[-1]
    assert table_counts() == before
    assert (stock(shop["rice"]), stock(shop["soap"])) == stocks
    assert db.session.get(Household, shop["home"]).balance == 120


def test_the_limit_counts_earlier_redemptions_of_the_period(shop):
    assert redeem(shop, [(shop["oil"], 2)])[0] == 200
    status, body = redeem(shop, [(shop["oil"], 1)])
    assert (status, body["error"]) == (409, "limit_exceeded")
    assert stock(shop["oil"]) == 18


def test_foreign_and_withdrawn_goods(shop, make_site):
    foreign = add_goods(make_site("石门安置点"), "食用油 5L", price=85, stock=5).id
    db.session.get(Goods, shop["soap"]).active = False
    db.session.commit()
    status, body = redeem(shop, [(foreign, 1)])
    assert (status, body["error"], body["goods_id"]) == (403, "forbidden", foreign)
    status, body = redeem(shop, [(shop["soap"], 1)])
    assert (status, body["error"]) == (409, "goods_unavailable") and "“肥皂”已下架" in body["message"]


def test_points_beyond_the_ledger_limit_are_refused(shop):
    dear = add_goods(db.session.get(Household, shop["home"]).site, "彩电", price=100_000, stock=20).id
    db.session.commit()
    status, body = redeem(shop, [(dear, 11)])
    assert status == 400 and "一百万" in body["message"]
    assert stock(dear) == 20


def test_device_session_and_card_refusals(shop):
    before = table_counts()
    status, body = redeem(shop, [(shop["soap"], 1)], token="not-a-real-token")
    assert (status, body["error"]) == (401, "device_unauthorized")
    _other, other_token = paired_device(db.session.get(Household, shop["home"]).site, "二号机")
    db.session.commit()
    status, body = redeem(shop, [(shop["soap"], 1)], token=other_token)  # another kiosk's session
    assert (status, body["error"]) == (410, "session_expired")
    assert redeem({**shop, "session_id": "x" * 60}, [(shop["soap"], 1)])[0] == 410
    card_for(db.session.get(Household, shop["home"]))  # a new card: the scanned one is revoked
    db.session.commit()
    status, body = redeem(shop, [(shop["soap"], 1)])
    assert (status, body["error"]) == (403, "card_unusable") and "停用" in body["message"]
    assert table_counts()["redemption"] == before["redemption"]
    assert table_counts()["ledger_entry"] == before["ledger_entry"]
    assert stock(shop["soap"]) == 20


def test_replays_return_the_first_receipt_also_after_the_session_ended(shop):
    request_id = new_request_id()
    status, first = redeem(shop, [(shop["soap"], 2)], request_id)
    assert status == 200
    counts = table_counts()
    assert redeem(shop, [(shop["soap"], 2)], request_id) == (200, first)
    status, body = redeem(shop, [(shop["soap"], 3)], request_id)  # the same id with another cart
    assert (status, body["error"]) == (409, "idempotency_conflict")
    shop["client"].post("/kiosk/api/session/end", headers=auth(shop["token"]), json={"session_id": shop["session_id"]})
    db.session.remove()
    assert redeem(shop, [(shop["soap"], 2)], request_id) == (200, first)
    assert redeem(shop, [(shop["soap"], 2)])[0] == 410  # a new request on the ended session
    assert table_counts() == counts
    assert stock(shop["soap"]) == 18
    assert db.session.execute(select(func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.kind == "redemption")).scalar_one() == 1


def test_postgresql_redeems_in_one_function_call(shop, monkeypatch):
    """On PostgreSQL the statement-by-statement path is not used at all; on SQLite it is the path."""
    from services.supermarket import redemption

    postgres = db.engine.dialect.name == "postgresql"
    calls = []
    original = redemption._redeem
    monkeypatch.setattr(redemption, "_redeem", lambda *args: calls.append(1) or original(*args))
    assert redeem(shop, [(shop["soap"], 1)])[0] == 200
    assert calls == ([] if postgres else [1])
    if postgres:  # created by the migration
        assert db.session.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'jifen_redeem'")).scalar() == 1


def test_the_redemption_and_its_void_keep_the_month_totals(shop, make_user):
    """On PostgreSQL the entry comes through post_moved in the function's pipelined send; the void
    through post(): each counts in the household's month total in its own transaction."""
    from models import LedgerMonthTotal, Redemption, Site
    from services.ledger import month_totals
    from services.supermarket import redemption

    status, body = redeem(shop, [(shop["soap"], 2)])
    assert status == 200, body
    totals = lambda: {t.kind: t.points for t in db.session.execute(select(LedgerMonthTotal).where(  # noqa: E731
        LedgerMonthTotal.household_id == shop["home"])).scalars()}
    assert totals() == {"adjustment": 120, "redemption": -10}
    sale = db.session.execute(select(Redemption)).scalar_one()
    redemption.void(sale.id, make_user("shopkeeper", sites=[db.session.execute(select(Site)).scalar_one()]), "拿错了")
    db.session.commit()
    assert totals() == {"adjustment": 120, "redemption": -10, "redemption_void": 10}
    assert month_totals.mismatches() == [] and verify().ok
