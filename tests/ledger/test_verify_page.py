"""The 账本校验 page runs verify in the background and shows the stored report (site names, Chinese
labels), checked against the newest seal; `flask ledger verify` reads a snapshot and holds no write lock."""
import threading
import time

from sqlalchemy import select, text

from extensions import db
from models import LedgerEntry, LedgerVerifyRun
from services import ledger


def _wait_for_run(timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.remove()
        run = db.session.execute(select(LedgerVerifyRun).order_by(LedgerVerifyRun.id.desc())).scalars().first()
        if run is not None and run.state != "running":
            return run
        time.sleep(0.1)
    raise AssertionError("the verify run did not finish")


def test_verify_runs_in_the_background_and_shows_names(client, make_user, login, make_household, make_site):
    site = make_site(name="石门安置点")
    make_household(site=site, head_name="龙小英", balance=8)
    login(make_user("auditor", username="a1"))
    page = client.get("/admin/ledger/verify").get_data(as_text=True)
    assert "还没有运行过校验" in page and "还没有封存过账本" in page

    response = client.post("/admin/ledger/verify")
    assert response.status_code == 302
    run = _wait_for_run()
    assert run.state == "done" and run.ok, run.report
    page = client.get("/admin/ledger/verify").get_data(as_text=True)
    assert "校验通过" in page and "石门安置点" in page and "调整 +8" in page
    assert "adjustment" not in page


def test_verify_page_reports_a_rollback_against_the_seal(client, make_user, login, make_household, make_site):
    site = make_site(name="幸福安置点")
    home = make_household(site=site, head_name="王𠮷祥", balance=5)
    ledger.post(home, 3, "activity", None, None, None, "activity:page:1")
    hid = home.id
    login(make_user("auditor", username="a2"))
    page = client.post("/admin/ledger/seal", follow_redirects=True).get_data(as_text=True)
    assert "已封存账本,封存码" in page
    first = db.session.execute(select(LedgerEntry).where(LedgerEntry.household_id == hid, LedgerEntry.seq == 1)
                               ).scalar_one()
    old = {"h": hid, "hash": first.hash, "sig": ledger.head_signature(hid, 1, first.hash, 5, ledger.ledger_key())}
    db.session.commit()
    db.session.execute(text("DROP TRIGGER ledger_entry_no_delete"))
    db.session.execute(text("DROP TRIGGER household_seq_no_lower"))
    db.session.execute(text("DELETE FROM ledger_entry WHERE household_id = :h AND seq = 2"), old)
    db.session.execute(text("UPDATE household SET ledger_seq = 1, balance = 5, ledger_hash = :hash, head_sig = :sig "
                            "WHERE id = :h"), old)
    db.session.commit()
    client.post("/admin/ledger/verify")
    assert _wait_for_run().ok is False
    page = client.get("/admin/ledger/verify").get_data(as_text=True)
    assert "账本被回退(比封存时少)" in page and "王𠮷祥" in page and "幸福安置点" in page
    assert "封存时到第 2 条,现在只到第 1 条" in page


def test_cli_verify_reads_a_snapshot_while_kiosks_write(app, runner, make_household, monkeypatch):
    """A write from another connection finishes while `flask ledger verify` is mid-run (SQLite WAL)."""
    hid = make_household(balance=10).id
    db.session.commit()
    db.session.remove()
    from services.ledger import verify as verify_module

    written = []

    def write_meanwhile(report):
        def post():
            with app.app_context():
                ledger.post(hid, 1, "activity", None, None, None, "activity:during-verify")
                db.session.commit()
                written.append(True)
                db.session.remove()

        writer = threading.Thread(target=post)
        writer.start()
        writer.join(timeout=5)
        assert written, "the write waited for verify: verify holds the write lock"

    monkeypatch.setattr(verify_module, "_check_transfers", write_meanwhile)
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "OK: every chain intact" in result.output and written


def test_every_verify_detail_has_chinese_words():
    from services.ledger.verify_runs import chinese_detail

    assert chinese_detail("seq 4, expected 3") == "序号 4,应为 3"
    assert chinese_detail("cached 500, Σ entries 10") == "户余额 500,明细合计 10"
    assert chinese_detail("rule_event 7 names entry 12, which is gone") == "细则记录 7 记着账目 12,这条账目已不存在"
