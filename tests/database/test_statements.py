"""services/database: statements sent together (one round trip on PostgreSQL), refusals and reads, and the
transaction kinds (a READ transaction takes SQLite's write lock only for its writes; a LOSABLE_WRITE
does not wait for the disk)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Date, DateTime, bindparam, select, text

from extensions import db
from models import Household, StockMovement
from services import database
from services.database import statements
from services.database.statements import Statement, run_together
from services.errors import ValidationFailed
from tests.supermarket.kiosk_helpers import add_goods

_BUMP = text("UPDATE household SET base_points = base_points + 1 WHERE id = :id AND base_points < :cap "
             "RETURNING base_points")


def test_rows_in_order_and_the_first_refusal_wins(any_app, make_household):
    home = make_household(balance=0)
    db.session.commit()
    first, plain, second = run_together([
        Statement(_BUMP, {"id": home.id, "cap": 9}),
        Statement(text("UPDATE household SET note = 'x' WHERE id = :id"), {"id": home.id}),
        Statement(_BUMP, {"id": home.id, "cap": 9}),
    ])
    assert (first, plain, second) == ([(home.base_points + 1,)], [], [(home.base_points + 2,)])
    with pytest.raises(ValidationFailed, match="第一"):
        run_together([Statement(_BUMP, {"id": home.id, "cap": 0}, ValidationFailed("第一")),
                       Statement(_BUMP, {"id": -1, "cap": 9}, ValidationFailed("第二"))])
    db.session.rollback()


@pytest.mark.parametrize("first_in_transaction", [True, False])  # PostgreSQL: pipelined with BEGIN, or alone
def test_duplicate_key_raises_the_sessions_integrity_error(any_app, make_household, first_in_transaction):
    from sqlalchemy.exc import IntegrityError

    from tests.supermarket.kiosk_helpers import card_for

    card_for(make_household())
    db.session.commit()
    if not first_in_transaction:
        assert run_together([Statement(text("SELECT COUNT(*) FROM card"), {})]) == [[(1,)]]
    copy_cards = text("INSERT INTO card (household_id, token_hash, short_code, generation, status, issued_at) "
                      "SELECT household_id, token_hash, short_code, generation, status, issued_at FROM card")
    with pytest.raises(IntegrityError):
        run_together([Statement(copy_cards, {})])
    db.session.rollback()


def test_dates_and_times_are_stored_as_the_orm_stores_them(any_app, make_site):
    site = make_site()
    goods = add_goods(site, "肥皂", price=1, stock=5)
    moment, day = datetime(2026, 11, 23, 8, 0, 0), date(2026, 11, 23)  # a whole second: no microseconds
    insert = text("INSERT INTO stock_movement (goods_id, site_id, kind, quantity, stock_after, movement_date, "
                  "created_at) VALUES (:goods, :site, 'in', 1, 6, :day, :now)").bindparams(
        bindparam("day", type_=Date()), bindparam("now", type_=DateTime()))
    run_together([Statement(insert, {"goods": goods.id, "site": site.id, "day": day, "now": moment})])
    db.session.add(StockMovement(goods_id=goods.id, site_id=site.id, kind="in", quantity=1, stock_after=7,
                                 movement_date=day, created_at=moment))
    db.session.commit()
    stored = db.session.execute(text("SELECT DISTINCT created_at, movement_date FROM stock_movement "
                                      "WHERE goods_id = :g AND stock_after IN (6, 7)"), {"g": goods.id}).all()
    assert len(stored) == 1  # SQL text and the ORM wrote the very same text (SQLite) / value
    found = db.session.execute(select(StockMovement.created_at).where(StockMovement.goods_id == goods.id,
                                                                      StockMovement.created_at == moment)).all()
    assert [row[0] for row in found] == [moment, moment]


def test_a_read_transaction_swaps_to_a_write_transaction_and_refuses_an_earlier_write(app, make_household):
    home_id = make_household(balance=0).id
    db.session.commit()
    db.session.remove()
    database.expect(database.READ)
    try:
        db.session.get(Household, home_id)  # plain BEGIN: a read snapshot, no lock
        assert db.session.connection().info["deferred_at_changes"] is not None
        database.begin_writes()
        assert db.session.connection().info["deferred_at_changes"] is None
        run_together([Statement(_BUMP, {"id": home_id, "cap": 9})])
        db.session.commit()
        assert db.session.connection().info["deferred_at_changes"] is None  # a writer for the rest of its work

        db.session.remove()
        database.expect(database.READ)
        db.session.execute(text("UPDATE household SET note = 'early' WHERE id = :id"), {"id": home_id})
        with pytest.raises(RuntimeError, match="must not write"):
            database.begin_writes()
        db.session.rollback()
    finally:
        database.end_request()
    assert db.session.get(Household, home_id).note is None


def test_expect_has_no_effect_inside_a_transaction(app, make_household):
    home_id = make_household(balance=0).id
    db.session.commit()
    db.session.get(Household, home_id)  # a WRITE transaction has begun
    try:
        database.expect(database.READ)
        database.begin_writes()  # still a writer: nothing to swap
        assert db.session.connection().info["deferred_at_changes"] is None
    finally:
        database.end_request()
    db.session.rollback()


def test_a_losable_write_commits_without_waiting_for_the_disk_on_postgresql(pg_app, make_site, make_household):
    """LOSABLE_WRITE (the scan writes only its session row, which a crash may lose): SET LOCAL
    synchronous_commit TO OFF goes with the transaction's first statements, for that transaction only."""
    from services.supermarket import devices as kiosk_devices

    with pg_app.app_context():
        device, card = _kiosk_and_card(make_site, make_household)
        kiosk_devices.start_session(device, card)
        assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
        db.session.commit()
        database.expect(database.LOSABLE_WRITE)
        try:
            kiosk_devices.start_session(device, card)
            assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "off"
            db.session.commit()
        finally:
            database.end_request()
        assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"  # SET LOCAL: this one only


def test_a_new_session_ends_the_devices_open_one_also_in_memory(any_app, make_site, make_household):
    from models import KioskSession
    from services.supermarket import devices as kiosk_devices

    device, card = _kiosk_and_card(make_site, make_household)
    kept, _ = kiosk_devices.start_session(device, card)
    db.session.commit()
    assert db.session.get(KioskSession, kept["id"]).ended_at is None  # now in the session's identity map
    again, _ = kiosk_devices.start_session(device, card)
    assert db.session.get(KioskSession, kept["id"]).ended_at is not None  # expired in memory, read again
    db.session.commit()
    assert db.session.get(KioskSession, again["id"]).ended_at is None


def _kiosk_and_card(make_site, make_household):
    """A paired kiosk and an active card of a household of its site, committed."""
    from models import Card
    from tests.supermarket.kiosk_helpers import card_for, paired_device

    site = make_site()
    home = make_household(site=site)
    card_for(home)
    device, _token = paired_device(site)
    db.session.commit()
    return device, db.session.execute(select(Card).where(Card.household_id == home.id)).scalar_one()


def test_reads_make_values_and_errors_come_in_statement_order(any_app, make_household):
    """A statement's read makes its value; refusals and read errors are raised statement by statement,
    so the first statement's wins (the kiosk: a bad device credential before a bad card)."""
    home = make_household(balance=0)
    db.session.commit()
    count = text("SELECT COUNT(*) FROM household WHERE id = :id")
    assert database.run(Statement(count, {"id": home.id}, read=lambda rows: rows[0][0] * 10)) == 10

    def refuse(message):
        def read(rows):
            raise ValidationFailed(message)
        return read

    with pytest.raises(ValidationFailed, match="第一"):
        run_together([Statement(count, {"id": home.id}, read=refuse("第一")),
                      Statement(_BUMP, {"id": -1, "cap": 9}, ValidationFailed("第二"))])
    with pytest.raises(ValidationFailed, match="第一"):
        run_together([Statement(_BUMP, {"id": -1, "cap": 9}, ValidationFailed("第一")),
                      Statement(count, {"id": home.id}, read=refuse("第二"))])
    db.session.rollback()


def _count_round_trips(monkeypatch) -> dict:
    """Counts round trips to PostgreSQL: our pipelines', and psycopg's own (its connection's BEGIN,
    COMMIT and ROLLBACK, and its cursors)."""
    import psycopg

    from services.database import pg_pipeline

    round_trips = {"pipelined": 0, "psycopg": 0}

    def counted(kind, function):
        def call(*args, **kwargs):
            round_trips[kind] += 1
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(pg_pipeline, "_results", counted("pipelined", pg_pipeline._results))
    monkeypatch.setattr(psycopg.generators, "execute", counted("psycopg", psycopg.generators.execute))
    monkeypatch.setattr(psycopg._cursor_base, "execute", counted("psycopg", psycopg._cursor_base.execute))
    monkeypatch.setattr(psycopg._cursor_base, "send", counted("psycopg", psycopg._cursor_base.send))
    return round_trips


def test_a_scan_and_a_redemption_take_two_round_trips_each_on_postgresql(pg_app, make_site, make_household,
                                                                         monkeypatch):
    """Scan: the device with the card; the session, recent entries, shelf and COMMIT. Redemption: the
    jifen_redeem call (device, session, goods, every write under the locks); the ledger entry with
    the COMMIT. Each BEGIN goes with the first, and SQLAlchemy's commit afterwards sends nothing."""
    from tests.supermarket.kiosk_helpers import auth, card_for, new_request_id, paired_device

    with pg_app.app_context():
        site = make_site()
        soap = add_goods(site, "肥皂", price=1, stock=5).id
        card = card_for(make_household(site=site, balance=9))
        _device, token = paired_device(site)
        db.session.commit()
        db.session.remove()
    round_trips = _count_round_trips(monkeypatch)
    client = pg_app.test_client()
    for turn in range(2):  # the first prepares the statements, the second uses them
        round_trips.update(pipelined=0, psycopg=0)
        res = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token))
        assert res.status_code == 200, res.get_json()
        assert res.get_json()["household"]["balance"] == 9 - turn
        assert round_trips == {"pipelined": 2, "psycopg": 0}
        res = client.post("/kiosk/api/redeem", headers=auth(token), json={
            "session_id": res.get_json()["session_id"], "request_id": new_request_id(),
            "cart": [{"goods_id": soap, "qty": 1}]})
        assert res.status_code == 200, res.get_json()
        assert res.get_json()["receipt"]["balance_after"] == 8 - turn
        assert round_trips == {"pipelined": 4, "psycopg": 0}


def test_pipelined_statements_open_the_sessions_transaction_and_keep_prepared_across_a_rollback(
        pg_app, make_household):
    """run_together's BEGIN is the session's transaction: a rollback undoes its writes and the ORM's.
    Its prepared statements outlive the rollback (psycopg's own preparing, which would drop them, is off)."""
    with pg_app.app_context():
        home_id = make_household(balance=0).id
        db.session.commit()
        raw = db.session.connection().connection.driver_connection
        assert raw.prepare_threshold is None
        for _ in range(2):
            assert run_together([Statement(_BUMP, {"id": home_id, "cap": 9})]) == [[(1,)]]
            db.session.get(Household, home_id).note = "改了"
            db.session.flush()
            db.session.rollback()
            stored = db.session.execute(text("SELECT base_points, note FROM household WHERE id = :id"),
                                        {"id": home_id}).one()
            assert tuple(stored) == (0, None)
            db.session.rollback()


def test_the_last_statements_carry_the_commit_only_when_the_view_commits_right_after(any_app, make_household):
    """run_last: inside commit_follows() the COMMIT goes with the statements (committed before the
    session's own commit, so SQLite's write lock goes before the view builds its answer), once; what
    follows is a transaction of its own; outside it they are plain run_together. A failure commits nothing."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import IntegrityError

    with any_app.app_context():
        home_id = make_household(balance=0).id
        db.session.commit()
        note = text("UPDATE household SET note = :note WHERE id = :id")
        outside = create_engine(db.engine.url)

        def stored():
            with outside.connect() as other:
                row = other.execute(text("SELECT base_points, note FROM household WHERE id = :id"), {"id": home_id})
                return tuple(row.one())

        try:
            statements.run_last([Statement(note, {"id": home_id, "note": "零"})])
            db.session.rollback()
            assert stored() == (0, None)  # no commit_follows(): the session's transaction, rolled back
            with statements.commit_follows():
                assert statements.run_last([Statement(_BUMP, {"id": home_id, "cap": 9}),
                                            Statement(note, {"id": home_id, "note": "一"})]) == [[(1,)], []]
                assert stored() == (1, "一")  # before the session's commit
                statements.run_last([Statement(note, {"id": home_id, "note": "二"})])  # one COMMIT only
            db.session.rollback()
            assert stored() == (1, "一")
            clash = text("INSERT INTO household SELECT * FROM household WHERE id = :id")  # the same key again
            with statements.commit_follows(), pytest.raises(IntegrityError):
                statements.run_last([Statement(note, {"id": home_id, "note": "三"}), Statement(clash, {"id": home_id})])
            db.session.rollback()
            assert stored() == (1, "一")
        finally:
            outside.dispose()
        with statements.commit_follows(), pytest.raises(ValueError, match="refusal"):
            statements.run_last([Statement(_BUMP, {"id": home_id, "cap": 0}, ValidationFailed("满了"))])


@pytest.mark.parametrize("moment", [datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 23, 8, 0, 0, 5),
                                    datetime(999, 1, 2, 3, 4, 5, 999999),
                                    datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=8)))])
def test_sqlite_parameters_are_the_text_sqlalchemy_stores(moment):
    """run_together on SQLite writes dates and times as SQLAlchemy's SQLite types do, so the two compare."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.types import Date as DateType
    from sqlalchemy.types import DateTime as DateTimeType

    from services.database.statements import _sqlite_params

    as_orm = DateTimeType().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    day_as_orm = DateType().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    params = {"at": moment, "day": moment.date(), "n": 3, "s": "x", "none": None}
    assert _sqlite_params(params) == {"at": as_orm(moment), "day": day_as_orm(moment.date()), "n": 3, "s": "x",
                                      "none": None}


def test_the_scans_recent_entries_keep_one_plan_on_postgresql(pg_app, make_site, make_household):
    """The scan's statements are prepared once per connection; the recent entries' one is planned once
    (a generic plan), not again on every scan (its LIMIT is written into the SQL)."""
    from tests.supermarket.kiosk_helpers import auth, card_for, paired_device

    with pg_app.app_context():
        site = make_site()
        home = make_household(site=site, balance=9)
        card = card_for(home)
        _device, token = paired_device(site)
        db.session.commit()
        # a ledger of some size, as the planner sees it: 4,000 entries of this household
        db.session.execute(text(
            "INSERT INTO ledger_entry (household_id, site_id, seq, kind, points, requested_points, balance_after, "
            "idempotency_key, effective_date, created_at, prev_hash, hash) "
            "SELECT :home, :site, n + 1000, 'adjustment', 1, 1, 9, 'plan-' || n, CURRENT_DATE, now(), '', '' "
            "FROM generate_series(1, 4000) AS n"), {"home": home.id, "site": site.id})
        db.session.execute(text("ANALYZE ledger_entry"))
        db.session.commit()
        db.session.remove()
        client = pg_app.test_client()
        for _ in range(8):
            assert client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token)).status_code == 200
        plans = db.session.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%FROM ledger_entry e %WHERE e.household_id%ORDER BY e.effective_date DESC, e.seq DESC%'")).all()
        db.session.rollback()
    assert plans, "the recent entries' statement is not prepared on the session's connection"
    generic, custom = plans[0]
    assert generic >= 3 and custom <= 5


def test_a_losable_write_made_durable_before_its_first_write(any_app, make_site, make_household):
    """make_durable() (the scan that returns an offline allowance): after the losable transaction's
    reads, its COMMIT waits for the disk after all; on SQLite only before it wrote."""
    from models import Household

    home = make_household(make_site())
    db.session.commit()
    sqlite = db.engine.dialect.name == "sqlite"
    setting = text("PRAGMA synchronous") if sqlite else text("SHOW synchronous_commit")
    database.expect(database.LOSABLE_WRITE)
    try:
        database.run(database.Statement(text("SELECT balance FROM household WHERE id = :id"), {"id": home.id}))
        assert db.session.execute(setting).scalar() in (1, "off")  # NORMAL on SQLite
        database.make_durable()
        assert db.session.execute(setting).scalar() in (2, "on")  # FULL on SQLite
        db.session.execute(text("UPDATE household SET note = 'durable' WHERE id = :id"), {"id": home.id})
        db.session.commit()
        assert db.session.get(Household, home.id).note == "durable"
        db.session.commit()
        if sqlite:
            database.expect(database.LOSABLE_WRITE)
            db.session.execute(text("UPDATE household SET note = 'losable' WHERE id = :id"), {"id": home.id})
            with pytest.raises(RuntimeError):
                database.make_durable()
            db.session.rollback()
    finally:
        database.end_request()
