"""Allowances coming back: an online scan at the kiosk that holds one (the balance it shows includes
it), staff returning a lost kiosk's allowances; verify's allowance identity; what staff and the
resident see while points are held at a kiosk."""
import pytest
from sqlalchemy import func, select, text

from extensions import db
from models import AllowanceMove, AuditLog, Household, KioskDevice, LedgerEntry
from services.integrity.fund import site_fund
from services.integrity.fund_verify import fund_verify
from services.ledger.passbook_pdf import balance_text
from services.ledger.verify import verify
from services.ledger.verify_runs import PROBLEM_LABELS, chinese_detail
from services.supermarket import allowance_returns, allowances
from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, paired_device


@pytest.fixture
def held(any_app, make_site, make_household):
    """A kiosk that refreshed: it holds 100 of the household's 150 points."""
    site = make_site("幸福家园安置点")
    home = make_household(site=site, head_name="欧阳小明", balance=150)
    card = card_for(home)
    rice = add_goods(site, "大米 5kg", price=120, stock=3)
    device, token = paired_device(site)
    db.session.commit()
    client = any_app.test_client()
    assert client.post("/kiosk/api/offline/refresh", json={"counter": 0, "queue": 0},
                       headers=auth(token)).status_code == 200
    db.session.expire_all()
    return {"site": site, "home": home, "card": card, "device": device, "token": token, "client": client,
            "rice": rice}


def scan(shop, **extra):
    return shop["client"].post("/kiosk/api/scan", json={"card": shop["card"], **extra}, headers=auth(shop["token"]))


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_an_online_scan_returns_the_allowance_and_shows_the_whole_balance(held):
    assert db.session.get(Household, held["home"].id).balance == 50
    res = scan(held, offline_counter=0)
    assert res.status_code == 200
    data = res.get_json()
    assert data["allowance_returned"] == 100 and data["household"]["balance"] == 150
    rice = next(g for g in data["goods"] if g["id"] == held["rice"].id)
    assert rice["available"]  # 120 points: payable only with the allowance back in the balance
    assert all("离线" not in line["label"] and "暂存" not in line["label"] for line in data["household"]["recent"])
    db.session.expire_all()
    assert allowances.held(held["device"].id, held["home"].id) == 0
    assert db.session.get(Household, held["home"].id).balance == 150
    last = db.session.execute(select(AllowanceMove.reason, AllowanceMove.points).order_by(AllowanceMove.id.desc())).first()
    assert tuple(last) == ("online", 100)
    entries = count(LedgerEntry)
    again = scan(held)
    assert again.get_json()["allowance_returned"] == 0 and count(LedgerEntry) == entries  # nothing more written
    assert verify().ok and fund_verify().ok


def test_a_kiosk_that_sold_offline_beyond_what_was_applied_must_sync_first(held):
    before = count(LedgerEntry)
    res = scan(held, offline_counter=1)
    assert res.status_code == 409 and res.get_json()["error"] == "sync_first"
    for bad in (-1, "1", 1.5, True):
        res = scan(held, offline_counter=bad)
        assert res.status_code == 400 and "离线编号" in res.get_json()["message"], bad
    assert count(LedgerEntry) == before
    assert allowances.held(held["device"].id, held["home"].id) == 100
    db.session.execute(text("UPDATE kiosk_device SET offline_counter = 1"))
    db.session.commit()
    assert scan(held, offline_counter=1).get_json()["allowance_returned"] == 100


def test_staff_return_every_allowance_of_a_lost_kiosk(held, make_user):
    staff = make_user("admin", sites=[held["site"]])
    device = db.session.get(KioskDevice, held["device"].id)
    assert allowance_returns.return_all(device, staff) == 100
    db.session.commit()
    assert allowances.held(device.id, held["home"].id) == 0
    assert db.session.get(Household, held["home"].id).balance == 150
    move = db.session.execute(select(AllowanceMove).order_by(AllowanceMove.id.desc())).scalars().first()
    assert (move.reason, move.actor_id) == ("staff", staff.id)
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "kiosk.allowances_return")).scalar_one()
    assert '"points": 100' in log.before
    logs = count(AuditLog)
    assert allowance_returns.return_all(device, staff) == 0 and count(AuditLog) == logs  # nothing left, no log
    assert verify().ok


def test_verify_reports_a_tampered_allowance(held):
    assert verify().ok
    db.session.execute(text("UPDATE kiosk_allowance SET points = points + 5"))
    db.session.commit()
    report = verify()
    kinds = {problem.kind for problem in report.problems}
    assert kinds == {"allowance drift", "allowance moves"}
    for problem in report.problems:
        assert PROBLEM_LABELS[problem.kind] and chinese_detail(problem.detail) != problem.detail
    assert "终端暂存 105 分" in chinese_detail(next(p.detail for p in report.problems if p.kind == "allowance drift"))


def test_verify_reports_a_move_that_is_not_its_entry(held):
    """Moves are append-only (a trigger): the tamperer drops it first; verify still finds the change."""
    on_table = " ON kiosk_allowance_move" if db.engine.dialect.name == "postgresql" else ""
    db.session.execute(text(f"DROP TRIGGER kiosk_allowance_move_no_update{on_table}"))
    db.session.execute(text("UPDATE kiosk_allowance_move SET points = points - 1"))
    db.session.commit()
    kinds = {problem.kind for problem in verify().problems}
    assert {"allowance source", "allowance moves"} <= kinds


def test_staff_and_the_resident_see_the_points_held_at_the_kiosk(held, make_user):
    home = db.session.get(Household, held["home"].id)
    assert balance_text(home) == "50 分(另有 100 分暂存在超市终端作离线额度)"
    assert site_fund(held["site"]).outstanding_points == 150
    staff = make_user("admin", sites=[held["site"]])
    db.session.commit()
    client = held["client"]
    client.post("/admin/login", data={"username": staff.username, "password": "password123"})
    page = client.get(f"/admin/households/{home.id}").get_data(as_text=True)
    assert "暂存在超市终端" in page and "本户共有 150 分" in page
    resident = client.get(f"/c/{held['card']}").get_data(as_text=True)
    assert "其中 100 分暂存在超市终端" in resident and ">150<" in resident
