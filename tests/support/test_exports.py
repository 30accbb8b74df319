"""走访 and coverage exports (title, as-of date, frozen header, text never a formula) and the
printable per-household monthly 走访 sheet."""
import io

import pytest
from openpyxl import load_workbook

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from services.support import responsibility as support
from services.support import visits


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")


@pytest.fixture
def world(make_site, make_household, make_user):
    site, other = make_site(), make_site()
    home = make_household(site=site, head_name="欧阳𠮷祥", phone="13800001234", building="3栋", door_no="2单元301")
    far = make_household(site=other, head_name="外点户")
    for h in (home, far):
        db.session.add(HouseholdTag(household_id=h.id, tag="low_income"))
    admin = make_user("admin")
    cadre = support.create_cadre(admin, "李书记", "13900000001")
    support.assign(home, cadre, admin)
    visits.record_visit(home, admin, visit_date=local_today(), visitors="李书记", confirm_name="欧阳𠮷祥",
                        situation={"income": {"status": "issue", "note": "务工收入减少"}}, suggestions="=1+1 想找工作")
    visits.record_visit(far, admin, visit_date=local_today(), visitors="别人", confirm_name="外点户")
    user = make_user("cadre", sites=[site])
    db.session.commit()
    return dict(home=home, user=user)


def _book(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def test_visits_export(client, login, world):
    login(world["user"])
    sheet = _book(client.get("/admin/support/visits/export.xlsx")).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "走访记录" in rows[0][0] and rows[1][0].startswith("截至") and sheet.freeze_panes == "A4"
    record = dict(zip(rows[2], rows[3]))
    assert len(rows) == 4  # the other site's visit is not exported
    assert (record["户主"], record["门牌"], record["联系电话"], record["包保责任人"]) == ("欧阳𠮷祥", "3栋2单元301", "13800001234", None)
    assert "收入" in record["有困难的方面"] and "务工收入减少" in record["有困难的方面"]
    cell = sheet.cell(row=4, column=rows[2].index("群众意见建议") + 1)
    assert cell.value == "=1+1 想找工作" and cell.data_type == "s"


def test_coverage_export(client, login, world):
    login(world["user"])
    book = _book(client.get("/admin/support/coverage/export.xlsx"))
    assert book.sheetnames == ["按安置点", "按包保责任人", "未按要求走访"]
    site_rows = list(book["按安置点"].iter_rows(values_only=True))
    assert site_rows[2][0] == "安置点" and site_rows[-1][:3] == ("合计", 1, 1)
    cadre_rows = list(book["按包保责任人"].iter_rows(values_only=True))
    assert cadre_rows[3][:4] == ("李书记", "13900000001", 1, 1)
    assert all(book[name].freeze_panes == "A4" for name in book.sheetnames)


def test_monthly_visit_sheet_to_sign(client, login, world):
    login(world["user"])
    home = world["home"]
    page = client.get(f"/admin/support/households/{home.id}/visit-sheet").get_data(as_text=True)
    assert "入户走访记录表" in page and "欧阳𠮷祥" in page and "务工收入减少" in page
    assert "户主签字" in page and "包保责任人签字" in page and "李书记" in page
    empty = client.get(f"/admin/support/households/{home.id}/visit-sheet?month=2020-01").get_data(as_text=True)
    assert "本月还没有走访记录" in empty
