"""Year-end policy: FIFO expiry of old points, reset, carry over; dry run; idempotent, audited run."""
from datetime import date

import pytest

from extensions import db
from models import AuditLog, LedgerEntry, YearEndRun
from services import ledger
from services.errors import Forbidden
from services.ledger import year_end
from services.ledger.verify import verify

AFTER = date(2027, 1, 5)


def _post(home, points, when, kind=None, key=None):
    kind = kind or ("rule_award" if points > 0 else "redemption")
    return ledger.post(home, points, kind, None, None, None, key or f"t:{home.id}:{points}:{when}", effective_date=when)


@pytest.fixture
def county(make_site, make_household, make_user):
    def build(app, policy="expire", months=12):
        app.config["YEAR_END_POLICY"], app.config["YEAR_END_EXPIRE_MONTHS"] = policy, months
        site = make_site("年末安置点")
        old_and_new = make_household(site=site, head_name="钱多多")
        _post(old_and_new, 100, date(2025, 3, 1))
        _post(old_and_new, -30, date(2026, 2, 1))
        _post(old_and_new, 50, date(2026, 5, 1))
        spent_all_old = make_household(site=site, head_name="孙节俭")
        _post(spent_all_old, 40, date(2025, 6, 1))
        _post(spent_all_old, 20, date(2026, 2, 1))
        _post(spent_all_old, -50, date(2026, 3, 1))
        fresh = make_household(site=site, head_name="周新")
        _post(fresh, 25, date(2026, 11, 1))
        admin = make_user("admin")
        db.session.flush()
        return dict(area=site.area.parent.parent, homes=(old_and_new, spent_all_old, fresh), admin=admin,
                    cadre=make_user("cadre", sites=[site]))
    return build


def test_cutoff_dates():
    assert year_end.cutoff_date(2026, 12) == date(2025, 12, 31)
    assert year_end.cutoff_date(2026, 6) == date(2026, 6, 30)
    assert year_end.cutoff_date(2026, 18) == date(2025, 6, 30)
    assert year_end.cutoff_date(2026, 1) == date(2026, 11, 30)


def test_dry_run_expires_old_points_first_in_first_out(app, county):
    world = county(app)
    plan = year_end.dry_run(world["area"], 2026)
    assert plan.cutoff == date(2025, 12, 31)
    rows = {r.head_name: (r.balance, r.expiring, r.remaining) for r in plan.rows}
    # 100 old − 30 spent = 70 old points left; the 50 from 2026 stay
    assert rows["钱多多"] == (120, 70, 50)
    # 40 old + 20 new, 50 spent: the old 40 are used up first, 10 new remain
    assert "孙节俭" not in rows and "周新" not in rows
    assert plan.total == 70
    assert db.session.execute(db.select(db.func.count(LedgerEntry.id)).where(LedgerEntry.kind == "expiry")).scalar_one() == 0


def test_reset_and_carry_over(app, county):
    world = county(app, policy="reset")
    plan = year_end.dry_run(world["area"], 2026)
    assert {r.head_name: r.expiring for r in plan.rows} == {"钱多多": 120, "孙节俭": 10, "周新": 25}
    app.config["YEAR_END_POLICY"] = "carry_over"
    assert year_end.dry_run(world["area"], 2026).rows == []
    app.config["YEAR_END_COUNTY_POLICIES"] = {world["area"].name: {"policy": "expire", "months": 24}}
    plan = year_end.dry_run(world["area"], 2026)
    assert plan.policy.months == 24 and plan.cutoff == date(2024, 12, 31) and plan.rows == []


def test_run_is_once_per_year_idempotent_and_audited(any_app, county):
    world = county(any_app)
    with pytest.raises(year_end.YearNotOver):
        year_end.run(world["admin"], world["area"], 2026, today=date(2026, 12, 31))
    with pytest.raises(Forbidden):
        year_end.run(world["cadre"], world["area"], 2026, today=AFTER)
    first = year_end.run(world["admin"], world["area"], 2026, today=AFTER)
    db.session.commit()
    rich = world["homes"][0]
    db.session.refresh(rich)
    assert (first.households, first.points, rich.balance) == (1, 70, 50)
    entry = db.session.execute(db.select(LedgerEntry).where(LedgerEntry.kind == "expiry")).scalar_one()
    assert (entry.idempotency_key, entry.points, entry.effective_date) == (f"expiry:2026:{rich.id}", -70,
                                                                           date(2026, 12, 31))
    again = year_end.run(world["admin"], world["area"], 2026, today=AFTER)
    db.session.commit()
    assert again.id == first.id
    assert db.session.execute(db.select(db.func.count(LedgerEntry.id)).where(LedgerEntry.kind == "expiry")).scalar_one() == 1
    assert db.session.execute(db.select(db.func.count(YearEndRun.id))).scalar_one() == 1
    log = db.session.execute(db.select(AuditLog).where(AuditLog.action == "year_end.run")).scalar_one()
    assert '"points": 70' in log.after
    assert verify().ok
    # next year: the 70 already expired count as used; only the 50 earned in 2026 can expire
    plan = year_end.dry_run(world["area"], 2027)
    assert {r.head_name: r.expiring for r in plan.rows}["钱多多"] == 50


def test_household_already_expired_this_year_is_skipped(app, county):
    world = county(app, policy="reset")
    rich = world["homes"][0]
    ledger.post(rich, -10, "expiry", None, None, "别处已处理", f"expiry:2026:{rich.id}", effective_date=date(2026, 12, 31))
    plan = year_end.dry_run(world["area"], 2026)
    assert plan.already == 1 and "钱多多" not in {r.head_name for r in plan.rows}
    year_end.run(world["admin"], world["area"], 2026, today=AFTER)
    assert verify().ok


def test_year_end_pages(app, county, client, login):
    world = county(app)
    login(world["admin"])
    page = client.get(f"/admin/year-end?county_id={world['area'].id}&year=2026").get_data(as_text=True)
    assert "钱多多" in page and "70" in page and "试算" in page
    sheet = client.get(f"/admin/year-end/dry-run.xlsx?county_id={world['area'].id}&year=2026")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    def submit(year, confirm="1", status=200):
        response = client.post("/admin/year-end/run", data={"county_id": world["area"].id, "year": year,
                                                            "confirm": confirm}, follow_redirects=True)
        assert response.status_code == status
        return response.get_data(as_text=True)

    refused = submit(2025, confirm="", status=400)
    assert "请勾选" in refused and 'class="field-error"' in refused and "试算结果" in refused
    assert "还没有结束" in submit(date.today().year + 1, status=409)
    assert "年份必须在 2000 到 2100 之间" in submit(1999, status=400)
    assert db.session.execute(db.select(db.func.count(YearEndRun.id))).scalar_one() == 0
    assert "年末处理已执行" in submit(2025)
    assert "已经执行过" in submit(2025)
    assert db.session.execute(db.select(db.func.count(YearEndRun.id))).scalar_one() == 1
    client.post("/admin/logout")
    login(world["cadre"])
    assert client.get("/admin/year-end").status_code == 403


def test_concurrent_runs_expire_once(any_app, make_site, make_household, make_user):
    """Four administrators press 执行 at the same moment: one run, one expiry entry per household."""
    import threading

    any_app.config["YEAR_END_POLICY"], any_app.config["YEAR_END_EXPIRE_MONTHS"] = "expire", 12
    site = make_site("并发年末安置点")
    homes = [make_household(site=site, head_name=f"并发{n}") for n in range(5)]
    for home in homes:
        _post(home, 40, date(2024, 6, 1))
        _post(home, 10, date(2025, 6, 1))
    make_user("admin", username="yearend")
    county_id = site.area.parent.parent.id
    db.session.commit()
    db.session.remove()
    clients = []
    for _ in range(4):
        client = any_app.test_client()
        client.post("/admin/login", data={"username": "yearend", "password": "password123"})
        clients.append(client)
    barrier, statuses = threading.Barrier(len(clients)), []

    def press(client):
        barrier.wait()
        statuses.append(client.post("/admin/year-end/run", data={"county_id": county_id, "year": 2025,
                                                                 "confirm": "1"}).status_code)

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302] * 4
    db.session.remove()
    assert db.session.execute(db.select(db.func.count(YearEndRun.id))).scalar_one() == 1
    expiries = db.session.execute(db.select(LedgerEntry.points).where(LedgerEntry.kind == "expiry")).scalars().all()
    assert sorted(expiries) == [-40] * 5
    assert verify().ok
