"""SQLite writers queue on a file lock before BEGIN IMMEDIATE (services/database/sqlite.py):
a waiting writer is woken by the release instead of polling, and every way out of a write
transaction releases the queue."""
import fcntl
import os
import sqlite3
import threading

import pytest

from extensions import db


@pytest.fixture
def connect(app):
    """sqlite3 connections of the app's engine, each checked out of the pool for the whole test."""
    fairies = []

    def checkout():
        fairies.append(db.engine.raw_connection())
        return fairies[-1].driver_connection

    yield checkout
    for fairy in fairies:
        fairy.invalidate()  # the tests close some of them themselves


def _queue_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_second_writer_waits_for_the_first_and_then_goes_on(connect):
    first, second = connect(), connect()
    assert first.writer_lock_path and first.writer_lock_path == second.writer_lock_path
    first.begin_immediate()
    first.execute("UPDATE site SET name = name")
    started = threading.Event()
    entered = threading.Event()

    def write():
        started.set()
        second.begin_immediate()
        entered.set()
        second.execute("UPDATE site SET name = name")
        second.commit()

    waiter = threading.Thread(target=write)
    waiter.start()
    started.wait(5)
    assert not entered.wait(0.3), "the second writer began while the first held the write lock"
    first.commit()
    assert entered.wait(5), "the second writer was not woken by the first one's COMMIT"
    waiter.join(5)
    assert _queue_is_free(first.writer_lock_path)


@pytest.mark.parametrize("finish", ["commit", "rollback", "close"])
def test_every_end_of_a_write_transaction_frees_the_queue(connect, finish):
    connection = connect()
    connection.begin_immediate()
    assert not _queue_is_free(connection.writer_lock_path)
    getattr(connection, finish)()
    assert _queue_is_free(connection.writer_lock_path)


def test_a_begin_that_fails_frees_the_queue(connect):
    """A process that does not queue (the sqlite3 shell) holds the write lock: BEGIN IMMEDIATE times out."""
    path = db.engine.url.database
    outsider = sqlite3.connect(path, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    connection = connect()
    connection.execute("PRAGMA busy_timeout = 0")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        connection.begin_immediate()
    assert not connection.in_transaction
    assert _queue_is_free(connection.writer_lock_path)
    outsider.rollback()
    outsider.close()


def test_the_app_writes_through_the_queue(app, make_household):
    home = make_household(balance=0)
    db.session.commit()
    from services import ledger

    ledger.post(home.id, 5, "adjustment", None, None, "测试", "queue-test")
    path = db.session.connection().connection.driver_connection.writer_lock_path
    assert not _queue_is_free(path)  # a write request holds it until its COMMIT
    db.session.commit()
    assert _queue_is_free(path)
    assert db.session.get(type(home), home.id).balance == 5


def test_a_scan_commits_without_fsync_and_the_next_write_with_it(app, client, make_site, make_household):
    """The scan writes only its kiosk session (a crash may lose it: the resident scans again)."""
    from sqlalchemy import event

    from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device

    site = make_site()
    soap = add_goods(site, "肥皂", price=5, stock=20)
    card = card_for(make_household(site=site, balance=50))
    _device, token = paired_device(site)
    db.session.commit()
    soap_id = soap.id
    db.session.close()  # as between requests: the redemption must begin its own (reads-first) transaction
    committed_with = []

    connections = set()

    def record(connection):
        sqlite = connection.connection.driver_connection
        connections.add(id(sqlite))
        committed_with.append(sqlite.execute("PRAGMA synchronous").fetchone()[0])

    event.listen(db.engine, "commit", record)
    try:
        scanned = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token))
        assert scanned.status_code == 200 and committed_with == [1]  # NORMAL
        redeemed = client.post("/kiosk/api/redeem", headers=auth(token), json={
            "session_id": scanned.get_json()["session_id"], "request_id": new_request_id(),
            "cart": [{"goods_id": soap_id, "qty": 1}]})
        assert redeemed.status_code == 200 and committed_with[-1] == 2  # FULL again
        assert len(connections) == 1  # the redemption reused the scan's connection (the case that matters)
    finally:
        event.remove(db.engine, "commit", record)


def test_a_connection_dropped_without_close_frees_the_queue(app):
    import gc

    from services.database.sqlite import QueuedWriterConnection

    path = db.engine.url.database
    connection = sqlite3.connect(path, isolation_level=None, factory=QueuedWriterConnection)
    connection.writer_lock_path = f"{path}.writers"
    connection.begin_immediate()
    assert not _queue_is_free(connection.writer_lock_path)
    del connection
    gc.collect()
    assert _queue_is_free(f"{path}.writers")
