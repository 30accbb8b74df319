"""One offline market day, end to end (docs/offline.md): the same purchases made twice on fresh
databases — once with both kiosks online, once with the network down all day and restored at the
end — and the books compared.

    python -m bench.offline_market_day --database-url sqlite:////tmp/market-day.db --out bench/results

Two kiosks at one site, 60 households, 100 purchases. Offline: both kiosks refresh (their
allowances), sell by signing queued items (the fake kiosk of the tests, built to the same protocol
as the browser), then sync in uneven batches with every batch sent twice (a retry after a lost
answer), and staff return what the kiosks still hold. The books are identical when every
household's balance, every goods' stock, every household's redeemed points and goods, and the
redemption count match, with verify clean on both. `--database-url` names the first database; the
second gets the same name with "-offline" (SQLite) or "_offline" (PostgreSQL) appended."""
import argparse
import json
import os
import random
import time
from datetime import date

from sqlalchemy import func, select, text

from bench.generate import make_app
from extensions import db

HOUSEHOLDS = 60
PURCHASES = 100
OPENING = 200
#: (name, price, stock): enough stock that the online run never runs short either
GOODS = [("食用油 5L", 45, 80), ("大米 10kg", 30, 80), ("洗衣粉", 12, 120), ("肥皂", 5, 200), ("牙膏", 8, 150)]


def _build(app) -> dict:
    """A county, one site, its goods, households with opening balances and cards, two kiosks."""
    from admin.commands import migrate_to_head
    from models import Area, Household, Member, Site
    from services import ledger
    from services.households.cards import issue_card
    from services.supermarket import goods as goods_service
    from tests.supermarket.offline_kiosk import FakeKiosk

    with app.app_context():
        migrate_to_head()
        county = Area(level="county", name="演示县")
        village = Area(level="village", name="幸福社区", parent=Area(level="township", name="城关镇", parent=county))
        site = Site(name="幸福家园安置点", code="M001", area=village)
        db.session.add_all([county, village, site])
        db.session.flush()
        goods = []
        for name, price, stock in GOODS:
            item = goods_service.save_goods(site.id, {"name": name, "price": str(price), "unit": "件",
                                                       "category": "日用", "active": "1"})
            goods_service.stock_in(item, stock, "donor", "县民政局")
            goods.append((item.id, price))
        cards = []
        for n in range(HOUSEHOLDS):
            home = Household(site=site, head_name=f"住户{n + 1:02d}", head_initials="")
            home.members.append(Member(name=home.head_name, relation="户主"))
            db.session.add(home)
            db.session.flush()
            ledger.post(home, OPENING, "adjustment", None, None, "期初", f"opening:{home.id}")
            cards.append(issue_card(home)[1])
        kiosks = [FakeKiosk.paired(site, f"{n + 1}号机") for n in range(2)]
        for kiosk in kiosks:
            kiosk.device_id = kiosk.device.id
        db.session.commit()
        return {"goods": goods, "cards": cards, "kiosks": kiosks}


def _purchases(world: dict, seed: int) -> list[tuple[int, int, list]]:
    """(kiosk 0/1, household index, [(goods_id, qty, price)]) within what a kiosk holds for a household
    (min(balance, cap) shared by two kiosks: 50 points each)."""
    rng = random.Random(seed)
    left = {(k, h): 50 for k in range(2) for h in range(HOUSEHOLDS)}
    out = []
    while len(out) < PURCHASES:
        k, h = rng.randrange(2), rng.randrange(HOUSEHOLDS)
        goods_id, price = rng.choice(world["goods"])
        qty = rng.randint(1, 3)
        while qty and qty * price > left[(k, h)]:
            qty -= 1
        if qty:
            left[(k, h)] -= qty * price
            out.append((k, h, [(goods_id, qty, price)]))
    return out


def _online(app, world, purchases) -> float:
    client = app.test_client()
    started = time.perf_counter()
    for k, h, lines in purchases:
        kiosk = world["kiosks"][k]
        scan = client.post("/kiosk/api/scan", headers=kiosk.headers(), json={"card": world["cards"][h]})
        assert scan.status_code == 200, scan.get_json()
        body = {"session_id": scan.get_json()["session_id"], "request_id": _uuid(),
                "cart": [{"goods_id": g, "qty": q} for g, q, _p in lines]}
        res = client.post("/kiosk/api/redeem", headers=kiosk.headers(), json=body)
        assert res.status_code == 200, res.get_json()
    return time.perf_counter() - started


def _offline(app, world, purchases, seed: int) -> dict:
    from services.supermarket.allowance_returns import return_all

    client = app.test_client()
    for kiosk in world["kiosks"]:
        res = client.post("/kiosk/api/offline/refresh", headers=kiosk.headers(), json={"counter": 0, "queue": 0})
        assert res.status_code == 200, res.get_json()
        kiosk.issued_at = res.get_json()["issued_at"]
    queues = [[], []]
    for k, h, lines in purchases:  # the network is down: every sale is a signed item in the kiosk's queue
        kiosk = world["kiosks"][k]
        queues[k].append(kiosk.sell(world["cards"][h], lines, issued_at=kiosk.issued_at))
    rng, started, statuses = random.Random(seed), time.perf_counter(), {}
    for k, queue in enumerate(queues):  # the network is back: uneven batches, each sent twice
        kiosk, at = world["kiosks"][k], 0
        while at < len(queue):
            batch = queue[at:at + rng.randint(1, 12)]
            for _attempt in range(2):
                res = kiosk.sync(client, batch, queue=len(queue) - at)
                assert res.status_code == 200, res.get_json()
                for result in res.get_json()["results"]:
                    statuses.setdefault(result["uid"], set()).add(result["status"])
            at += len(batch)
    seconds = time.perf_counter() - started
    with app.app_context():
        from models import KioskDevice

        for kiosk in world["kiosks"]:
            return_all(db.session.get(KioskDevice, kiosk.device_id), None)
        db.session.commit()
    return {"sync_seconds": seconds, "applied": sum(1 for s in statuses.values() if s == {"applied"}),
            "items": sum(len(q) for q in queues)}


def _books(app) -> dict:
    from models import Goods, Household, KioskAllowance, OwedLine, Redemption, RedemptionLine
    from services.ledger.verify import verify

    with app.app_context():
        balances = dict(db.session.execute(select(Household.head_name, Household.balance)).all())
        stock = dict(db.session.execute(select(Goods.name, Goods.stock)).all())
        spent = dict(db.session.execute(select(Household.head_name, func.sum(Redemption.total_points)).join(
            Redemption, Redemption.household_id == Household.id).group_by(Household.head_name)).all())
        goods = sorted(tuple(row) for row in db.session.execute(select(
            Household.head_name, RedemptionLine.name, func.sum(RedemptionLine.quantity)).join(
            Redemption, Redemption.id == RedemptionLine.redemption_id).join(
            Household, Household.id == Redemption.household_id).group_by(Household.head_name, RedemptionLine.name)))
        kinds = dict(db.session.execute(text("SELECT kind, COUNT(*) FROM ledger_entry GROUP BY kind")).all())
        return {"balances": balances, "stock": stock, "spent": spent, "goods": goods,
                "redemptions": db.session.execute(select(func.count(Redemption.id))).scalar_one(),
                "held": db.session.execute(select(func.coalesce(func.sum(KioskAllowance.points), 0))).scalar_one(),
                "owed": db.session.execute(select(func.count(OwedLine.id))).scalar_one(),
                "entries_by_kind": kinds, "verify_ok": verify().ok}


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def drop(url: str, create: bool = False) -> None:
    """Remove the database at `url` (a SQLite file or a PostgreSQL database), then create it if asked."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if os.path.exists(path):
            os.remove(path)
        return
    import psycopg

    base, name = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def run(url: str, seed: int) -> dict:
    offline_url = url + ("-offline" if url.startswith("sqlite") else "_offline")
    if offline_url.startswith("sqlite") and offline_url.endswith(".db-offline"):
        offline_url = offline_url[:-len(".db-offline")] + "-offline.db"
    results = {}
    for label, database in (("online", url), ("offline", offline_url)):
        drop(database, create=True)
        app = make_app(database)
        world = _build(app)
        purchases = _purchases(world, seed)
        if label == "online":
            results["online_seconds"] = _online(app, world, purchases)
        else:
            results.update(_offline(app, world, purchases, seed))
        results[label] = _books(app)
        with app.app_context():
            db.engine.dispose()
    online, offline = results["online"], results["offline"]
    results["identical"] = all(online[key] == offline[key] for key in ("balances", "stock", "spent", "goods",
                                                                       "redemptions"))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", help="a folder for <date>-offline-market-day-<dialect>.json")
    args = parser.parse_args()
    results = run(args.database_url, args.seed)
    online, offline = results["online"], results["offline"]
    print(f"purchases {PURCHASES} on 2 kiosks; offline items {offline and results['items']}, "
          f"applied once {results['applied']}")
    print(f"books identical: {results['identical']} (balances, stock, points and goods per household, "
          f"{online['redemptions']} / {offline['redemptions']} redemptions)")
    print(f"held at kiosks after staff return: {offline['held']}; owed lines: {offline['owed']}; "
          f"verify: online {online['verify_ok']}, offline {offline['verify_ok']}")
    print(f"entries by kind, offline run: {offline['entries_by_kind']}")
    if args.out:
        dialect = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
        path = os.path.join(args.out, f"{date.today().isoformat()}-offline-market-day-{dialect}.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(results, fh, ensure_ascii=False, indent=1, default=str)
        print(f"written {path}")
    return 0 if results["identical"] and online["verify_ok"] and offline["verify_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
