"""flask backup / flask restore round trip on SQLite and PostgreSQL."""
from sqlalchemy import select

from extensions import db
from models import Area, Household, LedgerEntry, Site
from services import ledger


def _snapshot():
    balances = db.session.execute(select(Household.id, Household.balance).order_by(Household.id)).all()
    hashes = db.session.execute(select(LedgerEntry.hash).order_by(LedgerEntry.id)).scalars().all()
    return balances, hashes


def test_backup_restore_round_trip(any_app, tmp_path):
    village = Area(level="village", name="石门村")
    site = Site(name="石门安置点", code="SM9", area=village)
    homes = [Household(site=site, head_name=f"龙{n}", head_initials="") for n in range(5)]
    db.session.add_all([village, site, *homes])
    db.session.flush()
    for n, home in enumerate(homes):
        ledger.post(home, 10 + n, "adjustment", None, None, None, f"open:{home.id}")
    first_id = homes[0].id
    db.session.commit()
    before = _snapshot()
    runner = any_app.test_cli_runner()
    target = tmp_path / "backup.bin"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    ledger.post(first_id, -5, "redemption", None, None, None, "redeem:after-backup")
    db.session.commit()
    assert _snapshot() != before

    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    db.session.remove()
    assert _snapshot() == before


def test_restore_of_missing_file_is_a_clear_error(app):
    result = app.test_cli_runner().invoke(args=["restore", "/nonexistent/backup.db", "--yes"])
    assert result.exit_code != 0
