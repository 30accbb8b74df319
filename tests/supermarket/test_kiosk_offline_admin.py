"""What staff see of offline selling: the kiosk list's figures (one grouped query per measure), the
kiosk's offline page, 对账 of owed lines (once, in scope, by the right roles, audit-logged) and the
refusals of 退回离线额度. Rows the sync service writes are made here directly (docs/offline.md)."""
import re

import pytest
from sqlalchemy import event, func, select

from extensions import db
from models import AuditLog, OwedLine, SyncRefusal
from services.supermarket import allowances
from tests.supermarket.kiosk_helpers import paired_device
from tests.supermarket.offline_admin_helpers import offline_world


def _client(app, user):
    db.session.commit()
    client = app.test_client()
    assert client.post("/admin/login", data={"username": user.username, "password": "password123"}).status_code == 302
    return client


@pytest.fixture
def world(any_app, make_site, make_household, make_user):
    return offline_world(make_site, make_household, make_user)


def _row(html, name):
    """The text of the kiosk list's row whose kiosk is `name`, tags dropped."""
    row = next(r for r in html.split("<tr>") if f">{name}</a>" in r)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


def test_the_list_shows_each_kiosks_offline_figures_in_scope(any_app, world):
    html = _client(any_app, world["shop"]).get("/admin/kiosks").get_data(as_text=True)
    busy, quiet = _row(html, "一号机"), _row(html, "二号机")
    # 上次同步, 离线待同步, 离线额度, 欠货/欠分 open (the settled one not), 同步拒收 (of which recent)
    assert re.search(r"\d\d:\d\d 3 笔 2 户 130 分 2 3 \(近7天 2\)$", busy), busy
    assert quiet.endswith("从未 0 — 0 0"), quiet
    assert "乙一号机" not in html  # another site's kiosk
    assert "新增终端" not in html and "新配对码" not in html  # managing devices is the admin's
    admin_html = _client(any_app, world["make_user"]("admin")).get("/admin/kiosks").get_data(as_text=True)
    assert "乙一号机" in admin_html and "新增终端" in admin_html
    assert "1 户 20 分" in _row(admin_html, "乙一号机")


def test_the_figures_are_one_grouped_query_each_however_many_kiosks(any_app, world, make_site):
    from services.supermarket import offline_admin

    counted = []

    def count(*_args):
        counted.append(1)

    def queries():
        counted.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = offline_admin.figures(None)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(counted), found

    few, found = queries()
    assert found[world["device"].id] == offline_admin.OfflineFigures(households=2, points=130, owed_open=2,
                                                                     refusals=3, refusals_recent=2)
    assert world["quiet"].id not in found
    for n in range(30):
        device, _ = paired_device(world["site"], f"加装{n}")
        db.session.add(SyncRefusal(device_id=device.id, error="counter_gap"))
    db.session.commit()
    many, found = queries()
    assert few == many == 3 and len(found) == 32
    assert offline_admin.figures({world["other_site"].id}).keys() == {world["far"].id}


def test_the_kiosks_offline_page(any_app, world):
    device = world["device"]
    html = _client(any_app, world["shop"]).get(f"/admin/kiosks/{device.id}/offline").get_data(as_text=True)
    assert "欧**明" in html and "张*" in html and "欧阳小明" not in html  # names masked
    assert "100 分" in html and "30 分" in html
    assert "终端时间" in html and "同步时间" in html
    sales = html.split('id="sales"')[1].split('id="refusals"')[0]
    assert sales.count("<tr><td class=\"num\">") == 2
    refusals = html.split('id="refusals"')[1]
    assert "记录编号不连续" in refusals and "签名对不上" in refusals and "格式不对" in refusals
    owed = html.split('id="owed"')[1].split('id="allowances"')[0]
    assert "大米 5kg 2袋" in owed and "5 分" in owed and "早已补货" in owed
    assert owed.count('name="note"') == 2  # only the open lines take a settlement
    assert "退回离线额度" in html


def test_settle_once_twice_refused_audit_logged(any_app, world):
    client, line = _client(any_app, world["shop"]), world["open_stock"]
    url = f"/admin/kiosks/owed/{line.id}/settle"
    blank = client.post(url, data={"note": "  "})
    assert blank.status_code == 400 and "请填写对账说明" in blank.get_data(as_text=True)
    assert db.session.get(OwedLine, line.id).settled_at is None
    done = client.post(url, data={"note": "已补货交给户主"})
    assert done.status_code == 302 and done.location.endswith(f"/admin/kiosks/{world['device'].id}/offline#owed")
    db.session.expire_all()
    row = db.session.get(OwedLine, line.id)
    assert (row.settle_note, row.settled_by) == ("已补货交给户主", world["shop"].id) and row.settled_at
    logged = db.session.execute(select(AuditLog).where(AuditLog.action == "kiosk.owed_settle")).scalar_one()
    assert (logged.actor_id, logged.object_id, logged.site_id) == (world["shop"].id, str(line.id), world["site"].id)
    again = client.post(url, data={"note": "再来一次"})
    assert again.status_code == 409 and "已经" in again.get_data(as_text=True) and "不能重复对账" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OwedLine, line.id).settle_note == "已补货交给户主"
    assert db.session.execute(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "kiosk.owed_settle")).scalar_one() == 1
    page = client.get(f"/admin/kiosks/{world['device'].id}/offline").get_data(as_text=True)
    assert "已补货交给户主" in page and "测试员" in page


def test_settle_out_of_scope_or_by_a_reader_is_refused(any_app, world):
    make_user, line = world["make_user"], world["open_points"]
    url = f"/admin/kiosks/owed/{line.id}/settle"
    stranger = _client(any_app, make_user("shopkeeper", sites=[world["other_site"]]))
    assert stranger.post(url, data={"note": "越权"}).status_code == 403
    assert stranger.get(f"/admin/kiosks/{world['device'].id}/offline").status_code == 403
    auditor = _client(any_app, make_user("auditor", sites=[world["site"]]))
    assert auditor.get(f"/admin/kiosks/{world['device'].id}/offline").status_code == 200
    assert auditor.post(url, data={"note": "审计"}).status_code == 403
    cadre = _client(any_app, make_user("cadre", "committee", sites=[world["site"]]))
    assert cadre.get("/admin/kiosks").status_code == 403
    assert cadre.get(f"/admin/kiosks/{world['device'].id}/offline").status_code == 403
    assert cadre.post(url, data={"note": "干部"}).status_code == 403
    assert stranger.post("/admin/kiosks/owed/999999/settle", data={"note": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(OwedLine, line.id).settled_at is None


def test_return_page_explains_and_its_refusals(any_app, world):
    make_user, device = world["make_user"], world["device"]
    url = f"/admin/kiosks/{device.id}/offline/return"
    shop = _client(any_app, world["shop"])
    page = shop.get(url).get_data(as_text=True)
    assert "2 户保管着 130 分" in page and "欠分" in page and "确认退回 130 分" in page
    empty = shop.post(f"/admin/kiosks/{world['quiet'].id}/offline/return")
    assert empty.status_code == 400 and "没有保管离线额度" in empty.get_data(as_text=True)
    stranger = _client(any_app, make_user("shopkeeper", sites=[world["other_site"]]))
    assert stranger.get(url).status_code == 403 and stranger.post(url).status_code == 403
    auditor = _client(any_app, make_user("auditor", sites=[world["site"]]))
    assert auditor.post(url).status_code == 403
    assert allowances.held(device.id, world["homes"][0].id) == 100


def test_return_moves_every_allowance_back_through_the_ledger(any_app, world):
    from models import AllowanceMove, LedgerEntry
    from services.ledger import balance_of
    from services.ledger.verify import verify

    device, homes = world["device"], world["homes"]
    before = [balance_of(home.id) for home in homes]
    shop = _client(any_app, world["shop"])
    done = shop.post(f"/admin/kiosks/{device.id}/offline/return", follow_redirects=True)
    assert done.request.path == f"/admin/kiosks/{device.id}/offline"
    assert "已把这台终端保管的 130 分退回 2 户" in done.get_data(as_text=True)
    db.session.expire_all()
    assert [balance_of(home.id) for home in homes] == [before[0] + 100, before[1] + 30]
    assert allowances.held(device.id, homes[0].id) == allowances.held(device.id, homes[1].id) == 0
    moves = db.session.execute(select(AllowanceMove.points, AllowanceMove.reason, AllowanceMove.actor_id)
                               .where(AllowanceMove.device_id == device.id, AllowanceMove.points > 0)).all()
    assert sorted(tuple(m) for m in moves) == [(30, "staff", world["shop"].id), (100, "staff", world["shop"].id)]
    assert db.session.execute(select(func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.kind == "allowance_return")).scalar_one() == 2
    assert db.session.execute(select(AuditLog.actor_id).where(
        AuditLog.action == "kiosk.allowances_return")).scalar_one() == world["shop"].id
    assert allowances.held(world["far"].id, db.session.execute(
        select(AllowanceMove.household_id).where(AllowanceMove.device_id == world["far"].id)).scalar()) == 20
    again = shop.post(f"/admin/kiosks/{device.id}/offline/return")
    assert again.status_code == 400 and "没有保管离线额度" in again.get_data(as_text=True)
    # the world's synced sales are rows written without their redemptions (offline_admin_helpers), which
    # verify reports as such; the allowances and their moves must be clean
    assert {p.kind for p in verify().problems} == {"offline sale"}


def test_settling_at_once_settles_once(any_app, world):
    """Six shopkeepers settle the same line at the same moment: one wins, the others hear 409."""
    import threading

    line_id, clients = world["open_stock"].id, [_client(any_app, world["shop"]) for _ in range(6)]
    db.session.remove()
    barrier, results = threading.Barrier(len(clients)), [None] * len(clients)

    def settle(i, client):
        barrier.wait()
        results[i] = client.post(f"/admin/kiosks/owed/{line_id}/settle", data={"note": f"第{i}位"}).status_code

    threads = [threading.Thread(target=settle, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [302] + [409] * 5, results
    winner = results.index(302)
    assert db.session.get(OwedLine, line_id).settle_note == f"第{winner}位"
    assert db.session.execute(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "kiosk.owed_settle")).scalar_one() == 1


def test_the_demo_shows_every_offline_state_on_day_one(demo_app):
    """The demo's offline kiosk, made through pairing, refresh and sync with signed items: allowances
    out, synced offline sales, one open and one settled owed line, one refused (tampered) item."""
    from models import KioskDevice
    from services.demo.offline_kiosk import DEMO_OFFLINE_KIOSK
    from services.ledger.verify import verify
    from services.supermarket import offline_admin
    from tests.reliability.bad_input_helpers import logged_in

    device = db.session.execute(select(KioskDevice).where(KioskDevice.name == DEMO_OFFLINE_KIOSK)).scalar_one()
    figures = offline_admin.figures(None)[device.id]
    assert figures.households > 0 and figures.points > 0 and figures.owed_open == 1 and figures.refusals == 1
    view = offline_admin.kiosk_offline(device)
    assert view.sales_count == 3 and all(receipt for _s, _h, _r, receipt in view.sales)
    assert [row.line.settled_at is not None for row in view.owed] == [False, True]
    assert view.refusals[0].error == "bad_signature" and device.last_sync_at and device.queue_reported == 1
    shop = logged_in(demo_app, "shop", "shop12345")
    assert DEMO_OFFLINE_KIOSK in shop.get("/admin/kiosks").get_data(as_text=True)
    page = shop.get(f"/admin/kiosks/{device.id}/offline").get_data(as_text=True)
    assert "签名对不上" in page and "次日补货后已交给户主" in page and page.count('name="note"') == 1
    assert verify().ok
