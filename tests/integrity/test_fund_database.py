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
