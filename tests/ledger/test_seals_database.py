"""Ledger seals on SQLite AND PostgreSQL: an insider who drops the triggers, deletes a household's
newest entries and sets its head back, or restores an older backup, is caught against a seal."""
import json
import os
import sqlite3

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from extensions import db
from models import Household, LedgerEntry, LedgerSeal
from services import ledger
from services.database.backup import backup, restore
from services.ledger import month_totals
from services.ledger.seals import SealRefused, check_proof, latest_seal_file, load_seal, make_seal, prove
from services.ledger.verify import verify


def _county(count=3, points=(10, 5, 7)):
    from models import Area, Site

    village = Area(level="village", name="幸福社区")
    sites = [Site(name=f"安置点{n}", code=f"S{n}", area=village) for n in range(2)]
    homes = [Household(site=sites[n % 2], head_name=f"王{n}", head_initials="w") for n in range(count)]
    db.session.add_all([village, *sites, *homes])
    db.session.flush()
    for home in homes:
        for step, amount in enumerate(points):
            ledger.post(home, amount, "adjustment", None, None, "期初", f"open:{home.id}:{step}")
    ids = [home.id for home in homes]
    db.session.commit()
    return ids


def _as_insider(*statements, params=None):
    """Raw database access, as someone with the database file or password would have it: the triggers
    (and foreign keys) go first, then the statements."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            db.session.execute(text(statement), params or {})
        db.session.commit()
        return
    db.session.remove()
    shell = sqlite3.connect(db.engine.url.database, timeout=15)  # the sqlite3 shell: foreign keys off
    for name in ("ledger_entry_no_update", "ledger_entry_no_delete", "household_seq_no_lower"):
        shell.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        shell.execute(statement, params or {})
    shell.commit()
    shell.close()


def _seal():
    row = make_seal()
    db.session.commit()
    return load_seal(latest_seal_file()), row


def _kinds(report):
    return {(p.kind, p.household_id) for p in report.problems}


def test_head_is_signed_and_a_hand_set_head_is_caught(any_app):
    hid = _county(1)[0]
    home = db.session.get(Household, hid)
    assert len(home.head_sig) == 64 and verify().ok
    _as_insider("UPDATE household SET head_sig = 'x' WHERE id = :h", params={"h": hid})
    assert _kinds(verify()) == {("head signature", hid)}


def test_tail_deleted_and_head_set_back_is_caught_against_the_seal(any_app):
    hid, other, _ = _county()
    first = db.session.execute(select(LedgerEntry).where(LedgerEntry.household_id == hid, LedgerEntry.seq == 1)
                               ).scalar_one()
    # the head as it stood after the first entry, signature included (copied from an old backup)
    old_head = {"h": hid, "seq": 1, "hash": first.hash, "bal": first.balance_after,
                "sig": ledger.head_signature(hid, 1, first.hash, first.balance_after, ledger.ledger_key())}
    seal, _row = _seal()
    _as_insider("DELETE FROM ledger_entry WHERE household_id = :h AND seq > 1",
                "UPDATE household SET ledger_seq = :seq, ledger_hash = :hash, balance = :bal, head_sig = :sig "
                "WHERE id = :h", params=old_head)
    # the month totals still count the deleted entries (docs/decisions.md#month-totals) …
    assert {p.kind for p in verify().problems} == {"month totals"}
    # … so a careful insider recomputes them too
    month = month_totals.month_sql(db.engine.dialect.name)
    _as_insider("DELETE FROM ledger_month_total WHERE household_id = :h",
                f"INSERT INTO ledger_month_total ({', '.join(month_totals.COLUMNS)}) SELECT * FROM "
                f"({month_totals.recompute_sql(month)}) r WHERE r.household_id = :h", params={"h": hid})
    assert verify().ok  # the hole the seal closes: the chain, the head and the totals agree again
    report = verify(seal=seal)
    assert not report.ok
    assert [(p.kind, p.household_id, p.detail) for p in report.problems] == [
        ("rolled back", hid, "sealed at seq 3, the ledger now ends at seq 1")]
    assert other not in {p.household_id for p in report.problems}


def test_restore_of_a_backup_older_than_the_seal_is_caught(any_app, tmp_path):
    hid = _county(2)[0]
    target = backup(str(tmp_path / "old.bin"))
    ledger.post(hid, 3, "activity", None, None, None, "activity:after-backup")
    db.session.commit()
    _seal()
    restore(target)
    db.session.remove()
    report = verify(seal=load_seal(latest_seal_file()))
    assert ("rolled back", hid) in _kinds(report)
    result = any_app.test_cli_runner().invoke(args=["ledger", "verify", "--seal", latest_seal_file()])
    assert result.exit_code == 1
    assert f"[rolled back] household {hid}: sealed at seq 4, the ledger now ends at seq 3" in result.output


def test_a_deleted_household_and_a_changed_sealed_entry_are_caught(any_app):
    gone, changed, _ = _county()
    seal, _row = _seal()
    _as_insider("DELETE FROM ledger_entry WHERE household_id = :g", "DELETE FROM member WHERE household_id = :g",
                "DELETE FROM household WHERE id = :g",
                "UPDATE ledger_entry SET hash = 'f00d' WHERE household_id = :c AND seq = 3",
                params={"g": gone, "c": changed})
    kinds = _kinds(verify(seal=seal))
    assert ("sealed household missing", gone) in kinds
    assert ("sealed entry changed", changed) in kinds


def test_a_hand_edited_seal_file_is_refused(any_app):
    hid = _county(2)[0]
    _seal()
    path = latest_seal_file()
    document = json.loads(open(path, encoding="utf-8").read())
    document["heads"][0][2] = 1  # "household 1 was only sealed at seq 1"
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out)
    with pytest.raises(SealRefused, match="签名不对"):
        load_seal(path)
    result = any_app.test_cli_runner().invoke(args=["ledger", "verify", "--seal", path])
    assert result.exit_code == 1 and "REFUSED" in result.output
    assert hid


def test_a_normal_day_of_posting_after_a_seal_verifies_clean(any_app):
    ids = _county()
    seal, row = _seal()
    for n, hid in enumerate(ids):
        ledger.post(hid, 2, "activity", None, None, None, f"activity:day:{hid}")
        ledger.post(hid, -1 - n, "redemption", None, None, None, f"redeem:day:{hid}")
    db.session.commit()
    report = verify(seal=seal)
    assert report.ok, report.problems
    assert report.seal["code"] == row.code == seal["code"]
    assert len(row.code) == 19 and row.code.count("-") == 3


def test_prove_leads_from_the_household_to_the_printed_code(any_app):
    ids = _county(5)
    seal, row = _seal()
    for hid in ids:
        proof = prove(hid, seal)
        assert proof["code"] == row.code and check_proof(proof)
    proof = prove(ids[2], seal)
    proof["head"]["balance"] += 1
    assert not check_proof(proof)
    result = any_app.test_cli_runner().invoke(args=["ledger", "prove", str(ids[0])])
    assert result.exit_code == 0 and row.code in result.output and "proof OK" in result.output


def test_seal_row_and_file_agree_and_the_file_is_private(any_app):
    _county(2)
    _seal()
    path = latest_seal_file()
    row = db.session.execute(select(LedgerSeal)).scalar_one()
    assert open(path, encoding="utf-8").read() == row.document
    assert os.stat(path).st_mode & 0o077 == 0


def test_seal_refuses_a_head_set_by_hand(any_app):
    hid = _county(1)[0]
    _as_insider("UPDATE household SET balance = 99 WHERE id = :h", params={"h": hid})
    with pytest.raises(SealRefused):
        make_seal()


@pytest.mark.parametrize("statement", [
    "UPDATE household SET ledger_seq = ledger_seq - 1",
    "UPDATE audit_log SET action = 'x'",
    "DELETE FROM audit_log",
    "UPDATE ledger_seal SET code = 'x'",
    "DELETE FROM ledger_seal",
])
def test_triggers_refuse(any_app, statement):
    _county(1)
    from services.staff.audit import record

    record(None, "test.action", "household", 1)
    _seal()
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("table", ["ledger_entry", "fund_entry", "support_problem_change", "audit_log",
                                   "ledger_seal"])
def test_postgresql_refuses_truncate(pg_app, table):
    """TRUNCATE is PostgreSQL's (SQLite has none), so this runs there only."""
    with pg_app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(f"TRUNCATE {table} CASCADE"))
        db.session.rollback()
        db.session.remove()


def test_verify_names_a_source_row_whose_entry_is_gone(any_app, make_user):
    from services.ledger.verify import source_columns

    assert {("rule_event", "ledger_entry_id"), ("redemption", "ledger_entry_id"), ("round_line", "ledger_entry_id"),
            ("activity_signin", "ledger_entry_id")} <= set(source_columns())
    hid = _county(1)[0]
    clerk = make_user("admin")
    entry = db.session.execute(select(LedgerEntry).where(LedgerEntry.household_id == hid)).scalars().first()
    db.session.execute(text(
        "INSERT INTO points_adjustment (site_id, household_id, points, reason, status, requested_by_id, "
        "requested_at, ledger_entry_id) SELECT site_id, household_id, points, 'x', 'confirmed', :u, created_at, id "
        "FROM ledger_entry WHERE id = :e"), {"e": entry.id, "u": clerk.id})
    entry_id = entry.id
    db.session.commit()
    _as_insider("DELETE FROM ledger_entry WHERE id = :e", params={"e": entry_id})
    assert any(p.kind == "missing entry" and p.entry_id == entry_id for p in verify().problems)


def test_head_signature_formula_is_pinned():
    """Like the entry hash, the head formula must never change: seals and heads already signed use it."""
    assert ledger.head_signature(7, 3, "ab" * 32, 120, b"k") == (
        "1241b77175d9cc83b9a682dd561e3f64a1250d2119f5fd30d9e6c3e3869debac")
    assert ledger.head_signature(7, 0, "", 0, b"k") == ""


def test_the_migration_signs_existing_heads(any_app):
    from flask_migrate import downgrade, upgrade

    _county(2)
    directory = any_app.extensions["migrate"].directory
    db.session.remove()
    downgrade(directory=directory, revision="0009_open_sessions")
    upgrade(directory=directory, revision="heads")
    assert verify().ok
    assert all(len(sig) == 64 for sig in db.session.execute(select(Household.head_sig)).scalars())
