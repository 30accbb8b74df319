"""The 账本校验 page in Chromium (screenshots artifacts/screenshots/ledger-verify-*.png): seal now, start a
background run, the page refreshes itself to the stored report; then a rollback against the seal."""
import os

import pytest
from sqlalchemy import select, text

from extensions import db
from models import LedgerEntry
from services import ledger
from services.ledger import month_totals

pytestmark = pytest.mark.browser


def test_seal_and_verify_in_the_browser(browser, live_server, make_site, make_household, make_user, screenshot_dir):
    app, base = live_server
    with app.app_context():
        site = make_site("幸福家园安置点")
        home = make_household(site, head_name="李䶮", balance=20)
        ledger.post(home, 5, "activity", None, None, None, "browser:1")
        make_household(make_site("石门安置点"), head_name="王𠮷祥", balance=8)
        make_user("auditor", username="audit1")
        hid = home.id
        db.session.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and "favicon" not in message.location.get("url", "")
            and errors.append(message.text))  # a CSP violation is a console error too
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "audit1")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.goto(base + "/admin/ledger/verify")
    page.click("button:has-text(\"立即封存账本\")")
    assert "已封存账本" in page.inner_text(".flash")
    page.click("button:has-text(\"开始校验\")")
    page.wait_for_selector("text=校验通过", timeout=20000)
    main = page.inner_text("main")
    assert "幸福家园安置点" in main and "志愿活动 +5" in main and "封存码" in main
    box = page.locator("button:has-text(\"开始校验\")").bounding_box()
    assert box["height"] >= 44
    page.screenshot(path=os.path.join(screenshot_dir, "ledger-verify-01-ok.png"), full_page=True)

    with app.app_context():  # the insider: the newest entry deleted, the head set back
        first = db.session.execute(select(LedgerEntry).where(LedgerEntry.household_id == hid,
                                                             LedgerEntry.seq == 1)).scalar_one()
        old = {"h": hid, "hash": first.hash, "sig": ledger.head_signature(hid, 1, first.hash, 20, ledger.ledger_key())}
        db.session.commit()
        for statement in ("DROP TRIGGER ledger_entry_no_delete", "DROP TRIGGER household_seq_no_lower",
                          "DELETE FROM ledger_entry WHERE household_id = :h AND seq = 2",
                          "UPDATE household SET ledger_seq = 1, balance = 20, ledger_hash = :hash, head_sig = :sig "
                          "WHERE id = :h",
                          # a careful insider recomputes the month totals too (docs/decisions.md#month-totals)
                          "DELETE FROM ledger_month_total WHERE household_id = :h",
                          f"INSERT INTO ledger_month_total ({', '.join(month_totals.COLUMNS)}) SELECT * FROM "
                          f"({month_totals.recompute_sql(month_totals.month_sql('sqlite'))}) r WHERE r.household_id = :h"):
            db.session.execute(text(statement), old)
        db.session.commit()
    page.click("button:has-text(\"开始校验\")")
    page.wait_for_selector("text=发现 1 个问题", timeout=20000)
    main = page.inner_text("main")
    assert "账本被回退(比封存时少)" in main and "李䶮" in main
    page.screenshot(path=os.path.join(screenshot_dir, "ledger-verify-02-rolled-back.png"), full_page=True)
    assert not errors, errors
