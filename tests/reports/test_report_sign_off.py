"""The monthly report's narrative (工作开展情况 / 存在问题 / 下步打算), its 填报人 / 审核人 sign-off
before export, and the per-cadre visit table."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from models.monthly_report import MonthlyReportNote
from services.errors import Forbidden
from services.reports import monthly_report, report_notes
from services.support import responsibility as support
from services.support import visits


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def world(make_site, make_household, make_user):
    site = make_site()
    homes = [make_household(site=site, head_name=n) for n in ("张喆", "李彧", "王堃")]
    for home in homes:
        db.session.add(HouseholdTag(household_id=home.id, tag="low_income"))
    admin = make_user("admin")
    writer, reviewer = make_user("cadre", sites=[site]), make_user("cadre", sites=[site])
    writer.display_name, reviewer.display_name = "李书记", "王主任"
    cadre = support.create_cadre(admin, "李书记", "13900000001", staff_user_id=writer.id)
    for home in homes[:2]:
        support.assign(home, cadre, admin, local_today() - timedelta(days=40))
    visits.record_visit(homes[0], writer, visit_date=local_today(), visitors="李书记", confirm_name="张喆")
    db.session.commit()
    return dict(site=site, scope=f"site:{site.id}", writer=writer, reviewer=reviewer)


def month():
    today = local_today()
    return f"{today.year}-{today.month:02d}"


def test_per_cadre_visit_table(app, world):
    today = local_today()
    report = monthly_report.build(today.year, today.month, [world["site"].id], "测试")
    section = report.section("cadre_visits")
    assert section.rows == [["李书记", 2, 1, "50%", 1]]


def test_narrative_then_sign_off_then_export(client, login, world):
    url = f"/admin/support/report.xlsx?scope={world['scope']}&month={month()}"
    login(world["writer"])
    refused = client.get(url)
    assert refused.status_code == 409 and "审核签字" in refused.get_data(as_text=True)
    page = client.get(f"/admin/support/report?scope={world['scope']}").get_data(as_text=True)
    assert "下载 Excel" not in page and "工作开展情况" in page
    response = client.post("/admin/support/report/narrative", data={
        "scope": world["scope"], "month": month(), "work_done": "", "issues": "=1+1 两户未走访"})
    assert response.status_code == 400 and "请填写“工作开展情况”" in response.get_data(as_text=True)
    assert "=1+1 两户未走访" in response.get_data(as_text=True)  # typed values kept
    assert db.session.execute(select(func.count(MonthlyReportNote.id))).scalar_one() == 0
    response = client.post("/admin/support/report/narrative", data={
        "scope": world["scope"], "month": month(), "work_done": "本月入户走访 1 户", "issues": "=1+1 两户未走访",
        "next_steps": "月底前走访完毕"})
    assert response.status_code == 302
    assert client.post("/admin/support/report/sign", data={"scope": world["scope"], "month": month()}).status_code == 403
    assert client.get(url).status_code == 409
    client.post("/admin/logout")
    login(world["reviewer"])
    assert client.post("/admin/support/report/sign", data={"scope": world["scope"], "month": month()}).status_code == 302
    xlsx = client.get(url)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data))["汇报正文"]
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "本月入户走访 1 户" in values and "=1+1 两户未走访" in values and "月底前走访完毕" in values
    assert "填报人:李书记    审核人:王主任" in values
    assert sheet.cell(row=6, column=1).data_type == "s"  # the typed "=1+1" stays text
    pdf = client.get(f"/admin/support/report.pdf?scope={world['scope']}&month={month()}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_changing_a_signed_narrative_needs_a_new_sign_off(app, world):
    today = local_today()
    note = report_notes.save(world["scope"], today.year, today.month, world["writer"], work_done="走访 1 户")
    with pytest.raises(Forbidden, match="填报人不能审核"):
        report_notes.sign(note, world["writer"])
    report_notes.sign(note, world["reviewer"])
    assert note.signed
    report_notes.save(world["scope"], today.year, today.month, world["writer"], work_done="走访 1 户")
    assert note.signed  # nothing changed
    report_notes.save(world["scope"], today.year, today.month, world["reviewer"], work_done="走访 2 户")
    assert not note.signed and note.filled_by_id == world["reviewer"].id
