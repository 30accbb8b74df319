"""一户一档 export of a large list: prepared in the background, offered on its own page, kept for its
requester; a small list still downloads in the request."""
import io
import time
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, HouseholdExport, Site, StaffUser
from models.clock import utcnow
from services.households import excel, exports
from services.households import registry as svc


@pytest.fixture
def world(app, make_site, make_household, make_user, login, monkeypatch):
    monkeypatch.setattr(exports, "IN_REQUEST_LIMIT", 2)
    site, other = make_site("幸福家园安置点"), make_site("石门安置点")
    for n in range(3):
        make_household(site, head_name=f"住户{n}", balance=10 * n)
    make_household(other, head_name="别的点")
    cadre = make_user("cadre", sites=[site])
    db.session.commit()
    login(cadre)
    return site, other, cadre


def _finished(export_id: int, timeout=60) -> HouseholdExport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.remove()  # a fresh snapshot each look: the thread commits on its own connection
        export = db.session.get(HouseholdExport, export_id)
        if export.state != "running":
            return export
        time.sleep(0.05)
    raise AssertionError("the export did not finish")


def test_a_large_export_is_prepared_in_the_background(world, client):
    response = client.get("/admin/households/export.xlsx")
    assert response.status_code == 302
    export_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/admin/households/exports/{export_id}").get_data(as_text=True)
    assert "共 <strong>3</strong> 户" in page
    assert ("正在生成表格" in page and 'http-equiv="refresh"' in page) or "下载 Excel 表格" in page
    assert _finished(export_id).state == "done"
    page = client.get(f"/admin/households/exports/{export_id}").get_data(as_text=True)
    assert "下载 Excel 表格" in page and 'http-equiv="refresh"' not in page
    sheet = client.get(f"/admin/households/exports/{export_id}.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0] == excel.EXPORT_COLUMNS
    assert sorted(r[2] for r in rows[1:]) == ["住户0", "住户1", "住户2"]  # only the cadre's site
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "household.export")).scalar_one()
    assert audit.object_type == "household_export" and audit.object_id == str(export_id)
    # asked again: the export just made, not a second run
    again = client.get("/admin/households/export.xlsx")
    assert again.headers["Location"].endswith(f"/admin/households/exports/{export_id}")
    assert db.session.execute(select(func.count(HouseholdExport.id))).scalar_one() == 1


def test_a_small_list_still_downloads_at_once(world, client):
    response = client.get("/admin/households/export.xlsx", query_string={"q": "住户1"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["住户1"]
    assert db.session.execute(select(func.count(HouseholdExport.id))).scalar_one() == 0


def test_only_the_requester_gets_the_file_and_only_for_a_day(world, client, make_user, login):
    site_id, cadre_id = world[0].id, world[2].id
    export_id = int(client.get("/admin/households/export.xlsx").headers["Location"].rsplit("/", 1)[1])
    assert _finished(export_id).state == "done"
    login(make_user("cadre", sites=[db.session.get(Site, site_id)], username="other-cadre"))
    for url in (f"/admin/households/exports/{export_id}", f"/admin/households/exports/{export_id}.xlsx"):
        response = client.get(url)
        assert response.status_code == 404 and "这份导出不存在或已过期" in response.get_data(as_text=True)
    login(db.session.get(StaffUser, cadre_id))
    export = db.session.get(HouseholdExport, export_id)
    export.started_at -= exports.KEEP_FOR + timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/admin/households/exports/{export_id}.xlsx").status_code == 404
    # the next export made removes the expired one
    new_id = int(client.get("/admin/households/export.xlsx").headers["Location"].rsplit("/", 1)[1])
    kept = _finished(new_id)
    assert kept.state == "done" and utcnow() - kept.started_at < exports.KEEP_FOR  # SQLite may reuse the id
    assert db.session.execute(select(func.count(HouseholdExport.id))).scalar_one() == 1


def test_a_failed_export_says_so_and_can_be_asked_again(world, client, monkeypatch):
    def broken(query):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(excel, "export", broken)
    export_id = int(client.get("/admin/households/export.xlsx").headers["Location"].rsplit("/", 1)[1])
    assert _finished(export_id).state == "failed"
    page = client.get(f"/admin/households/exports/{export_id}").get_data(as_text=True)
    assert "这次导出没有完成:磁盘已满" in page and "重新导出" in page
    follow = client.get(f"/admin/households/exports/{export_id}.xlsx", follow_redirects=True)
    assert "这次导出没有完成,请重新导出" in follow.get_data(as_text=True)
    monkeypatch.undo()
    monkeypatch.setattr(exports, "IN_REQUEST_LIMIT", 2)
    retry = int(client.get("/admin/households/export.xlsx").headers["Location"].rsplit("/", 1)[1])
    assert retry != export_id and _finished(retry).state == "done"


def test_the_stored_filter_is_the_list_filter(app):
    flt = svc.HouseholdFilter(q="张", site_id=3, tag="hardship", min_balance=5, status="", imported=(4, 9))
    assert exports.filter_of(HouseholdExport(filter=exports.filter_key(flt))) == flt
