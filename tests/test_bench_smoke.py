"""The benchmark harness on tiny data, so it never rots (docs/performance.md). Checks that it runs and that the
invariants hold after every load run; never timings."""
import shutil

import pytest
from sqlalchemy import text

from bench import admin_crawl, bare_loop, civic_data, generate, harness, invariants, redemptions, run


@pytest.fixture
def tiny_url(tmp_path):
    url = f"sqlite:///{tmp_path}/tiny.db"
    app = generate.make_app(url)
    with app.app_context():
        from admin.commands import migrate_to_head

        migrate_to_head()
        generate.generate(app, "tiny")
    civic_data.add(app)  # as bench.generate does
    return url


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_harness_runs_every_measure_on_tiny_data(tiny_url):
    section = run.main(["--database-url", tiny_url, "--scale", "tiny", "--runs", "1", "--seconds", "1",
                        "--clients", "4", "--scan-cards", "5", "--excel-rows", "20"])
    for measure in ("1. kiosk scan", "2. redemptions/s, hot", "2. redemptions/s, spread", "3. ranking",
                    "4. QR card PDF", "5. Excel import", "6. ledger verify", "peak RSS"):
        assert measure in section
    ranking = [line for line in section.splitlines() if line.startswith("| 3.")]
    assert "one site, as an honor list ranks" in ranking[0] and "≤ 300" in ranking[0]
    assert "for reference" in ranking[1] and "≤" not in ranking[1]
    checked = [line for line in section.splitlines() if "invariants" in line]
    assert len(checked) == 4 and all(line.endswith("invariants OK") for line in checked)


def test_bare_loop_keeps_the_invariants_and_they_catch_a_fork(tiny_url, tmp_path):
    bench = harness.Bench(tiny_url, "tiny", 7, 1, 1, 4, 1, str(tmp_path))
    app = generate.make_app(tiny_url)
    sessions = redemptions.prepare_sessions(bench, app, "hot")
    with app.app_context():
        mark = invariants.marks()
    result = bare_loop.run(tiny_url, bare_loop.read_sessions(sessions), seconds=0.5, threads=4)
    assert result["ok"] > 0
    with app.app_context():
        checked = invariants.check(mark)
        assert checked.ok, checked
        assert checked.entries_checked == result["ok"]
        # a second entry chained onto the same predecessor: a fork
        last = dict(db_row(f"SELECT * FROM ledger_entry WHERE id = {mark[0] + 1}"))
        last.update(id=None, seq=last["seq"] + 1_000_000, idempotency_key="smoke:fork", source_id=None,
                    source_type=None)
        columns = [c for c in last if c != "id"]
        from extensions import db

        db.session.execute(text(f"INSERT INTO ledger_entry ({', '.join(columns)}) "
                                f"VALUES ({', '.join(':' + c for c in columns)})"), last)
        db.session.commit()
        broken = invariants.check(mark)
        assert not broken.ok and broken.counts["forks"] == 1


def test_rounds_and_honor_lists_are_made_and_their_pages_crawled(tiny_url):
    """bench/civic_data.py: rounds and lists in every state, the ledger still verifies, a second run adds
    nothing; bench/admin_crawl.py times every round's and list's detail pages (the sample covers every
    state), all 200."""
    from services.ledger import verify

    app = generate.make_app(tiny_url)
    with app.app_context():
        rounds = dict(db_rows("SELECT id, status FROM evaluation_round"))
        lists = dict(db_rows("SELECT id, status FROM honor_list"))
        assert sorted(rounds.values()) == ["draft", "notice", "posted", "scoring"]
        assert sorted(set(lists.values())) == ["draft", "notice", "published", "withdrawn"]
        # the posted round's site: 15 households, each scored
        assert db_row("SELECT COUNT(*) AS n FROM ledger_entry WHERE source_type = 'round_line'")["n"] == 15
        assert db_row("SELECT COUNT(*) AS n FROM honor_entry")["n"] > len(lists)
        report = verify.verify()
        assert report.ok, report.problems
    assert civic_data.add(app) == {}
    crawled = admin_crawl.main(["--database-url", tiny_url, "--only", "/(evaluations|honors)/", "--runs", "1"])
    status = {page["url"]: page["status"] for page in crawled["pages"]}
    wanted = [f"/admin/evaluations/{i}{tail}" for i in rounds for tail in ("", "/grid")]
    wanted += [f"/admin/honors/{i}{tail}" for i in lists for tail in ("", "/broadcast")]
    wanted += [f"/admin/public/honors/{i}" for i, state in lists.items() if state == "published"]
    assert {url: status.get(url) for url in wanted} == {url: 200 for url in wanted}
    assert all(code == 200 for code in status.values()), status
    # at larger scales the sample of 5 still takes a record of every state
    rows = [(i, "posted") for i in range(1, 18)] + [(18, "notice"), (19, "scoring"), (20, "draft")]
    assert admin_crawl.sampled(rows, 5) == [1, 5, 18, 19, 20]


def db_rows(sql):
    from extensions import db

    return db.session.execute(text(sql)).all()


def db_row(sql):
    from extensions import db

    return db.session.execute(text(sql)).one()._mapping


def test_faster_entry_hash_gives_the_same_bytes_as_the_original_formula():
    """services/ledger/__init__.py was tuned for verify (docs/performance.md); the hash must not change."""
    import hashlib
    import hmac
    import json
    from datetime import date, datetime
    from types import SimpleNamespace

    from services.ledger import canonical_fields, entry_hash

    for moment in (datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 11, 23, 8, 0, 0, 123456), datetime(2025, 12, 1)):
        entry = SimpleNamespace(household_id=7, site_id=2, seq=3, kind="redemption", points=-5, requested_points=-5,
                                balance_after=10, idempotency_key="redeem:x", source_type="redemption", source_id=9,
                                reverses_id=None, effective_date=date(2026, 1, 2), actor_id=None,
                                note="积分超市兑换 “𠮷”\n", created_at=moment, prev_hash="ab" * 32)
        fields = canonical_fields(entry)
        assert fields["created_at"] == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert entry_hash(fields, b"k") == hmac.new(b"k", payload.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_an_offline_market_day_keeps_the_same_books_as_an_online_one(dialect, tmp_path, request):
    """bench/offline_market_day.py: 100 purchases on 2 kiosks, once online, once offline then synced
    (every batch twice): the same balances, stock and purchases, nothing left held, verify clean."""
    from bench import offline_market_day
    from tests.conftest import PG_SERVER_URL

    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path}/market.db"
    else:
        url = PG_SERVER_URL.rsplit("/", 1)[0] + f"/{request.getfixturevalue('pg_template')[1]}_market"
    results = offline_market_day.run(url, seed=3)
    assert results["identical"], (results["online"], results["offline"])
    assert results["applied"] == results["items"] == offline_market_day.PURCHASES
    offline = results["offline"]
    assert offline["held"] == 0 and offline["owed"] == 0
    assert offline["verify_ok"] and results["online"]["verify_ok"]
    assert offline["entries_by_kind"]["redemption"] == offline_market_day.PURCHASES
    if dialect == "postgresql":
        offline_market_day.drop(url)
        offline_market_day.drop(url + "_offline")


def test_statement_timings_reads_auto_explain_entries_from_the_server_log():
    from bench.statement_timings import timed_statements

    log = ("2026-12-07 22:48:01.100 UTC [7] postgres@bench LOG:  duration: 0.250 ms  plan:\n"
           "\tQuery Text: INSERT INTO redemption (request_id,\n\t    household_id) VALUES ($1, $2)\n"
           "\tInsert on redemption  (cost=0.00..0.01 rows=0 width=0) (actual time=0.2..0.2 rows=0 loops=1)\n"
           "2026-12-07 22:48:01.200 UTC [7] postgres@bench LOG:  duration: 0.750 ms  plan:\n"
           "\tQuery Text: INSERT INTO redemption (request_id,\n\t    household_id) VALUES ($1, $2)\n"
           "2026-12-07 22:48:01.300 UTC [7] postgres@bench LOG:  checkpoint starting: time\n")
    assert timed_statements(log) == {"INSERT INTO redemption (request_id,": [0.25, 0.75]}
