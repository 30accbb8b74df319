"""The automatic seal: the first request after local midnight seals the ledger once, in the background."""
import time

from sqlalchemy import func, select

from extensions import db
from models import LedgerSeal
from models.clock import local_today
from services.ledger import daily_seal
from tests.conftest import _sqlite_app


def _seals() -> int:
    db.session.remove()
    count = db.session.execute(select(func.count(LedgerSeal.id))).scalar_one()
    db.session.rollback()  # a read outside a request is a writer on SQLite: let the seal thread in
    return count


def test_first_request_of_the_day_seals_once(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.setattr(daily_seal, "_next_check", 0.0)  # as if the last request was yesterday
    app = _sqlite_app(sqlite_template, tmp_path, SEAL_DAILY=True)
    with app.app_context():
        assert _seals() == 0
        client = app.test_client()
        assert client.get("/admin/login").status_code == 200
        deadline = time.monotonic() + 15
        while _seals() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _seals() == 1
        assert daily_seal._next_check > time.time()  # the next check is after the next midnight
        client.get("/admin/login")
        assert daily_seal.on_request(app) is None and _seals() == 1
        # another process of the same day finds today's seal and makes none
        daily_seal._seal_if_due(app, local_today())
        assert _seals() == 1
        db.session.remove()
        db.engine.dispose()


def test_no_daily_seal_when_switched_off(app, client, monkeypatch):
    monkeypatch.setattr(daily_seal, "_next_check", 0.0)
    client.get("/admin/login")
    assert daily_seal._next_check == 0.0
