"""Fund ledger database behaviour on SQLite AND PostgreSQL: append-only triggers, per-site chain under
two writers' order, verify catching an edit made around the trigger."""
import pytest
from sqlalchemy import text

from extensions import db
from models import Area, Site, StaffUser
from services.integrity import fund
from services.integrity.fund_verify import fund_verify


def _site_and_admin():
    county = Area(level="county", name="测试县")
    site = Site(name="幸福家园安置点", code="F001", area=Area(level="village", name="幸福社区",
                                                           parent=Area(level="township", name="城关镇", parent=county)))
    admin = StaffUser(username="fundadmin", display_name="管理员", password_hash="x", roles_text="admin")
    db.session.add_all([county, site, admin])
    db.session.flush()
    return site, admin


def test_fund_entry_is_append_only(any_app):
    site, admin = _site_and_admin()
    entry = fund.receive_money(admin, site.id, 1000, "collective", "村集体", "x")
    db.session.commit()
    for sql in ("UPDATE fund_entry SET cash_fen = 1 WHERE id = :i", "DELETE FROM fund_entry WHERE id = :i"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(sql), {"i": entry.id})
        db.session.rollback()


def test_chain_and_verify_catch_an_edit(any_app):
    site, admin = _site_and_admin()
    for n in range(3):
        fund.receive_money(admin, site.id, 1000 * (n + 1), "fiscal", "县财政局", f"拨款 {n}")
    db.session.commit()
    assert fund_verify().ok
    postgres = db.engine.dialect.name == "postgresql"
    db.session.execute(text("DROP TRIGGER fund_entry_no_update" + (" ON fund_entry" if postgres else "")))
    db.session.execute(text("UPDATE fund_entry SET reference = '改过' WHERE seq = 2"))
    db.session.commit()
    problems = fund_verify().problems
    assert [p.kind for p in problems] == ["fund bad hash"]


def test_the_dashboard_reads_every_site_at_once_and_the_last_three_months_from_the_totals(
        any_app, make_site, make_household, make_user):
    from datetime import date

    from services import ledger

    today = date(2026, 6, 15)  # the 3 months: 2026-03-01 onwards
    sites = [make_site(), make_site()]
    for n, site in enumerate(sites):
        home = make_household(site=site)
        ledger.post(home, 500, "rule_award", None, None, None, f"old:{n}", effective_date=date(2026, 2, 28))
        ledger.post(home, 90 * (n + 1), "activity", None, None, None, f"new:{n}", effective_date=date(2026, 3, 1))
        ledger.post(home, -30, "redemption", None, None, None, f"spent:{n}", effective_date=date(2026, 6, 20))
        fund.receive_money(make_user("admin", username=f"a{n}"), site.id, 1000 * (n + 1), "fiscal", "县财政局", "x")
    db.session.commit()
    data = fund.dashboard(make_user("admin", username="viewer"), today)
    rows = {row.site.id: row for row in data["sites"]}
    for n, site in enumerate(sites):
        alone = fund.site_fund(site, today)
        row = rows[site.id]
        assert (row.issued_3m, row.redeemed_3m) == (alone.issued_3m, alone.redeemed_3m) == (90 * (n + 1), 30)
        assert (row.outstanding_points, row.cash_fen) == (alone.outstanding_points, alone.cash_fen) == (
            560 + 90 * n, 1000 * (n + 1))
