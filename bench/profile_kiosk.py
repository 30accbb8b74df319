"""Python CPU per kiosk request, in-process (Flask test client, no HTTP server), with a cProfile
summary: what docs/performance.md's before/after profile tables come from.

    python -m bench.profile_kiosk DATABASE_URL [--requests 2000] [--what redeem|scan] [--top 25] [--through-flask]

Uses a bench.generate database (seed 7): `redeem` buys one unit of its site's cheapest bench goods
for up to N households with 100 points or more in turn (sessions opened straight in the database), `scan` scans their cards.
Prints CPU µs per request (process time, median of 3 passes) and the top functions by own CPU time."""
import argparse
import cProfile
import io
import pstats
import statistics
import time
import uuid

from bench.generate import card_token, device_token, goods_ids_of, make_app


def open_sessions(app, count: int) -> list[tuple[str, str, int]]:
    import secrets
    from datetime import timedelta

    from sqlalchemy import text

    from extensions import db
    from models.clock import utcnow

    with app.app_context():
        rows = db.session.execute(text(
            "SELECT h.id, h.site_id, c.id FROM household h JOIN card c ON c.household_id = h.id "
            "AND c.status = 'active' WHERE h.balance >= 100 ORDER BY h.id LIMIT :n"), {"n": count}).all()
        now, out, inserts = utcnow(), [], []
        for hid, site, card in rows:
            sid = secrets.token_urlsafe(24)
            inserts.append(dict(id=sid, dev=site, hid=hid, card=card, now=now, exp=now + timedelta(days=1)))
            out.append((device_token(7, site), sid, goods_ids_of(site)[-1]))
        db.session.execute(text("INSERT INTO kiosk_session (id, device_id, household_id, card_id, created_at, "
                                "expires_at) VALUES (:id, :dev, :hid, :card, :now, :exp)"), inserts)
        db.session.commit()
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--what", choices=("redeem", "scan"), default="redeem")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--through-flask", action="store_true",
                        help="past kiosk/hot_path.py: Flask's request machinery answers (the before side)")
    args = parser.parse_args(argv)
    app = make_app(args.database_url)
    if args.through_flask:
        from werkzeug.test import Client

        client = Client(app.wsgi_app.flask_wsgi, app.response_class)
    else:
        client = app.test_client()
    households = min(args.requests, 5000)
    if args.what == "redeem":
        sessions = open_sessions(app, households)

        def one(n):
            token, sid, goods = sessions[n % len(sessions)]
            return client.post("/kiosk/api/redeem", headers={"Authorization": f"Device {token}"},
                               json={"session_id": sid, "request_id": str(uuid.uuid4()),
                                     "cart": [{"goods_id": goods, "qty": 1}]})
    else:
        from sqlalchemy import text

        from extensions import db

        with app.app_context():
            sites = dict(db.session.execute(text("SELECT id, site_id FROM household WHERE id <= :n"),
                                            {"n": households}).all())
            db.session.rollback()

        def one(n):
            hid = 1 + n % households
            return client.post("/kiosk/api/scan", headers={"Authorization": f"Device {device_token(7, sites[hid])}"},
                               json={"card": card_token(7, hid)})

    for n in range(50):  # warm: prepared statements, caches
        assert one(n).status_code == 200, one(n).get_json()
    passes = []
    for _ in range(3):
        started = time.process_time()
        for n in range(args.requests):
            one(n)
        passes.append((time.process_time() - started) / args.requests * 1e6)
    profile = cProfile.Profile(time.process_time)  # CPU, not wall: waits on the database are not Python work
    profile.enable()
    for n in range(args.requests):
        status = one(n).status_code
    profile.disable()
    print(f"{args.what}: {statistics.median(passes):.0f} µs CPU per request (passes "
          f"{', '.join(f'{p:.0f}' for p in passes)}); last status {status}")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
