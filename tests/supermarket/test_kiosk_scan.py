"""The kiosk scan: the shelf's limits counted within its one statement, and what a refused card
leaves alone (the open session of the resident at the kiosk)."""
import pytest

from extensions import db
from models import Household
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device, table_counts


def test_scan_lists_each_goods_limit_within_the_shelf_query(client, app, make_site, make_household):
    """Limits of different periods: what this household redeemed counts against each goods' own
    period, and the whole shelf's limits come from one query (not one per goods)."""
    from datetime import timedelta

    from sqlalchemy import event

    from models import Redemption

    site = make_site()
    oil = add_goods(site, "食用油 5L", price=10, stock=20, unit="桶", limit_qty=2, limit_period="month")
    eggs = add_goods(site, "鸡蛋", price=2, stock=50, unit="盒", category="食品", limit_qty=3, limit_period="day")
    soap = add_goods(site, "肥皂", price=1, stock=50, unit="块", category="日用品", limit_qty=5, limit_period="year")
    add_goods(site, "毛巾", price=1, stock=50, unit="条", category="日用品")  # no limit
    card = card_for(make_household(site=site, balance=500))
    _device, token = paired_device(site)
    db.session.commit()

    def redeem(cart):
        session_id = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token)).get_json()["session_id"]
        res = client.post("/kiosk/api/redeem", headers=auth(token), json={
            "session_id": session_id, "request_id": new_request_id(), "cart": cart})
        assert res.status_code == 200, res.get_json()
        return res.get_json()["receipt"]

    redeem([{"goods_id": oil.id, "qty": 1}, {"goods_id": eggs.id, "qty": 2}, {"goods_id": soap.id, "qty": 1}])
    older = redeem([{"goods_id": eggs.id, "qty": 1}, {"goods_id": soap.id, "qty": 1}])
    # the second redemption happened two days ago: its eggs no longer count today, its soap still does
    stored = db.session.query(Redemption).filter_by(request_id=older["request_id"]).one()
    stored.created_at -= timedelta(days=2)
    db.session.commit()

    limit_queries = []

    def count(_conn, _cursor, statement, *_args):
        if "redemption_line" in statement:
            limit_queries.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        listed = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token)).get_json()["goods"]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    from services.supermarket.goods import period_start

    soap_left = 5 - 1 - (stored.created_at >= period_start("year"))  # on 1-2 January it was last year
    left = {g["name"]: g["limit_left"] for g in listed}
    assert left == {"食用油 5L": 1, "鸡蛋": 1, "肥皂": soap_left, "毛巾": None}
    assert limit_queries == []  # the shelf's own statement counts what was used: no query of its own


@pytest.mark.parametrize("refused", ["lost", "revoked", "moved_out", "other_site"])
def test_a_refused_scan_keeps_the_open_session_and_opens_none(any_app, make_site, make_household, refused):
    """A refused card (at the kiosk while a resident's session is open) neither ends that session nor
    opens one; the resident's next scan does both."""
    from sqlalchemy import select

    from models import Card, KioskSession

    site = make_site("幸福家园安置点")
    resident, other = make_household(site=site, balance=10), make_household(site=site, balance=10)
    if refused == "other_site":
        other = make_household(site=make_site("新村安置点"), balance=10)
    resident_card, other_card = card_for(resident), card_for(other)
    _device, token = paired_device(site)
    db.session.commit()
    client = any_app.test_client()
    open_id = client.post("/kiosk/api/scan", json={"card": resident_card}, headers=auth(token)).get_json()["session_id"]
    if refused == "revoked":
        card_for(db.session.get(Household, other.id))  # a reissue revokes the old card
    elif refused == "moved_out":
        db.session.get(Household, other.id).status = "moved_out"
    elif refused == "lost":
        db.session.execute(select(Card).where(Card.household_id == other.id)).scalar_one().status = "lost"
    db.session.commit()
    before = table_counts()

    res = client.post("/kiosk/api/scan", json={"card": other_card}, headers=auth(token))
    assert res.status_code == 403 and res.get_json()["reason"] == {"moved_out": "household_inactive"}.get(refused, refused)
    db.session.expire_all()
    assert table_counts() == before
    sessions = db.session.execute(select(KioskSession.id, KioskSession.ended_at)).all()
    assert sessions == [(open_id, None)]

    res = client.post("/kiosk/api/scan", json={"card": resident_card}, headers=auth(token))
    db.session.expire_all()
    assert res.status_code == 200 and db.session.get(KioskSession, open_id).ended_at is not None
    assert db.session.get(KioskSession, res.get_json()["session_id"]).ended_at is None

