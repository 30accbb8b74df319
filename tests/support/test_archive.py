"""一户一档 archive: the household PDF has a table of contents and every part of the file, identity numbers
masked unless the role may see them, the village zip holds two identical sets and a manifest, scope,
roles, and every export in the audit log."""
import hashlib
import io
import re
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models import AuditLog, HouseholdTag, Member
from models.clock import local_today
from services.support import archive, jobs, monitoring, problems, settlement, visits
from services.support import responsibility as support

FULL_ID = "520101198001011234"


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "archive.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def family(make_site, make_household, make_user):
    site, other = make_site(), make_site()
    home = make_household(site=site, head_name="陈家兴", head_id_number=FULL_ID, balance=120, phone="13800001111")
    home.members[0].id_number = FULL_ID
    home.members.append(Member(name="陈小燕", relation="子女", id_number="520101200501011234"))
    db.session.add(HouseholdTag(household_id=home.id, tag="low_income"))
    admin = make_user("admin")
    cadre_row = support.create_cadre(admin, "包保员李", "13900000000")
    support.assign(home, cadre_row, admin)
    visits.record_visit(home, admin, visit_date=local_today(), visitors="李", confirm_name="陈家兴")
    problems.create_problem(admin, site_id=site.id, household_id=home.id, category="就业", description="想找本地工作")
    monitoring.open_case(home, "marginal", admin, local_today())
    settlement.set_causes(admin, home, ["illness"])
    jobs.save_employment(admin, home.members[1], status="migrant", workplace="福建泉州 鞋厂")
    far = make_household(site=other, head_name="外村户")
    db.session.commit()
    return dict(site=site, other=other, home=home, far=far, admin=admin)


def test_the_household_pdf_has_contents_and_every_part(app, family, tmp_path):
    text = pdf_text(archive.household_pdf(family["home"], full_ids=False), tmp_path)
    assert "一户一档" in text and re.search(r"目\s+录", text)
    for part in ("基本情况与家庭成员", "类别标签与致贫/风险原因", "包保责任人", "走访记录", "问题台账", "就业情况",
                 "防返贫监测", "积分情况"):
        assert text.count(part) >= 2, part  # in the contents and as a heading
    for fact in ("陈小燕", "低收入户", "因病", "包保员李", "想找本地工作", "福建泉州", "边缘易致贫户", "当前余额 120 分"):
        assert fact in text, fact
    assert FULL_ID not in text and "5201**********1234" in text


def test_full_identity_numbers_only_for_the_allowed_roles(app, family, tmp_path, make_user):
    assert FULL_ID in pdf_text(archive.household_pdf(family["home"], full_ids=True), tmp_path)
    assert archive.may_see_full_ids(family["admin"])
    assert not archive.may_see_full_ids(make_user("cadre"))
    app.config["ARCHIVE_FULL_ID_ROLES"] = ("admin", "cadre")
    assert archive.may_see_full_ids(make_user("cadre"))


def test_export_pages_scope_roles_and_audit(client, login, family, make_user, tmp_path):
    cadre = make_user("cadre", sites=[family["site"]])
    login(cadre)
    assert "幸福社区" in client.get("/admin/support/archive").get_data(as_text=True)
    response = client.get(f"/admin/support/archive/households/{family['home'].id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert FULL_ID not in pdf_text(response.data, tmp_path)  # a cadre sees masked numbers
    assert client.get(f"/admin/support/archive/households/{family['far'].id}.pdf").status_code == 403
    assert client.get(f"/admin/support/archive/villages/{family['other'].area_id}.zip").status_code == 403
    response = client.get(f"/admin/support/archive/villages/{family['site'].area_id}.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as zipped:
        names = zipped.namelist()
        station = [n for n in names if "/站存/" in n]
        county = [n for n in names if "/报县/" in n]
        assert len(station) == len(county) == 1
        assert zipped.read(station[0]) == zipped.read(county[0])
        manifest = load_workbook(io.BytesIO(zipped.read(next(n for n in names if n.endswith("清单.xlsx"))))).active
        assert manifest["F4"].value == hashlib.sha256(zipped.read(station[0])).hexdigest()
    actions = db.session.execute(select(AuditLog.action, AuditLog.after).where(AuditLog.actor_id == cadre.id,
                                                                          AuditLog.action.like("archive.%"))
                                 .order_by(AuditLog.id)).all()
    assert [a for a, _ in actions] == ["archive.export", "archive.export_village"]
    assert '"完整身份证号": false' in actions[0][1]


def test_a_committee_member_cannot_export(client, login, family, make_user):
    login(make_user("committee", sites=[family["site"]]))
    assert client.get(f"/admin/support/archive/households/{family['home'].id}.pdf").status_code == 403
    assert client.get("/admin/support/archive").status_code == 403
