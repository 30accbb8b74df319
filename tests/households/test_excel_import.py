"""Excel 一户一档: template, preview with row-by-row Chinese errors, all-or-nothing import, export round trip."""
import io
import time

import pytest
from openpyxl import Workbook, load_workbook

from extensions import db
from models import AuditLog, Household
from services.households import excel
from services.households import registry as svc

ID_A, ID_B, ID_C = "51012319900101123X", "522601199001011232", "11010519491231002X"


def sheet(rows, header=excel.COLUMNS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, data: bytes, name="村里的表.xlsx"):
    return client.post("/admin/households/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def count():
    return db.session.execute(db.select(db.func.count(Household.id))).scalar_one()


@pytest.fixture
def setup(app, make_site, make_user, login):
    site = make_site("幸福家园安置点")
    other = make_site("石门安置点")
    user = make_user("cadre", sites=[site])
    login(user)
    return site, other, user


def test_template_download(app, client, setup):
    site, other, _ = setup
    resp = client.get("/admin/households/import/template.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    assert [c.value for c in wb["一户一档"][1]] == list(excel.COLUMNS)
    assert wb["一户一档"]["C2"].number_format == "@"  # ID numbers stay text
    help_text = [r[0] for r in wb["填写说明"].iter_rows(values_only=True)]
    assert site.name in help_text and other.name not in help_text  # only the user's sites


def test_broken_sheet_lists_every_problem_and_writes_nothing(app, client, setup, make_household):
    site, other, _ = setup
    make_household(site, head_name="已在册", head_id_number=ID_C)
    db.session.commit()
    before = count()
    broken = sheet([
        (site.name, "张三", ID_A, "13800001111", "1栋", "101", "低收入户", "李四(配偶)", ""),   # row 2: fine
        (site.name, "", "", "13800002222", "", "", "", "", ""),                                # 3: no 户主
        (site.name, "王五", "", "12345", "", "", "", "", ""),                                  # 4: bad phone
        ("不存在安置点", "赵六", "", "", "", "", "", "", ""),                                   # 5: unknown site
        (other.name, "钱七", "", "", "", "", "", "", ""),                                      # 6: out of scope
        (site.code, "孙八", ID_A, "", "", "", "", "", ""),                                     # 7: dup ID in file
        (site.name, "周九", ID_C, "", "", "", "", "", ""),                                     # 8: ID already registered
        (site.name, "吴十", 5.22601199001012e17, "", "", "", "", "", ""),                      # 9: ID became a number
        (site.name, "郑一", "", "", "", "", "五保户", "", ""),                                  # 10: unknown tag
        (site.name, "冯二", "", "", "", "", "", "冯小二(邻居)", ""),                            # 11: bad relation
        (site.name, "陈三", "522601199001011233", "", "", "", "", "", ""),                     # 12: bad check digit
    ])
    html = upload(client, broken).get_data(as_text=True)
    expected = {3: "缺少户主姓名", 4: "电话号码“12345”格式不对", 5: "没有名为“不存在安置点”的安置点",
                6: "不在您的管理范围内", 7: "户主身份证号与第 2 行重复", 8: "户主身份证号已登记在册",
                9: "被 Excel 存成了数字", 10: "未知的标签“五保户”", 11: "关系“邻居”不在可选范围", 12: "校验位不对"}
    for row, message in expected.items():
        assert message in html, (row, message)
    assert "共 11 行,其中 10 行有错误。没有导入任何数据" in html
    assert 'name="batch"' not in html  # no confirm button
    assert count() == before


def test_preview_then_confirm_imports_everything(app, client, setup):
    site, _, user = setup
    good = sheet([
        (site.name, "张三", ID_A, "13800001111", "1栋", "101", "低收入户、党员中心户", "李四(配偶)、张小明(子女)", "备注一"),
        (site.code, "欧阳𬌗", " ５２２６０１１９９００１０１１２３２ ", 13900002222, "2栋", "202", "", "", ""),
        (site.name, "王五", "", "", "", "", "", "", ""),
    ])
    html = upload(client, good).get_data(as_text=True)
    assert "共 3 户,检查通过" in html and count() == 0
    batch = html.split('name="batch" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/admin/households/import/confirm", data={"batch": batch})
    assert resp.status_code == 302
    homes = db.session.execute(db.select(Household).order_by(Household.id)).scalars().all()
    assert [h.head_name for h in homes] == ["张三", "欧阳𬌗", "王五"]
    zhang, ouyang, _ = homes
    assert zhang.head_initials == "zs" and zhang.tags == ["low_income", "party_centre"]
    assert [(m.name, m.relation) for m in zhang.members] == [("张三", "户主"), ("李四", "配偶"), ("张小明", "子女")]
    assert ouyang.head_id_number == ID_B and ouyang.phone == "13900002222"  # full-width digits cleaned
    log = db.session.execute(db.select(AuditLog).where(AuditLog.action == "household.import")).scalar_one()
    assert '"count": 3' in log.after and log.actor_id == user.id
    again = client.post("/admin/households/import/confirm", data={"batch": batch})
    assert again.status_code == 302 and count() == 3  # a second confirm imports nothing


def test_confirm_rechecks_and_refuses_when_register_changed(app, client, setup, make_household):
    site, _, _ = setup
    html = upload(client, sheet([(site.name, "张三", ID_A, "", "", "", "", "", "")])).get_data(as_text=True)
    batch = html.split('name="batch" type="hidden" value="')[1].split('"')[0]
    make_household(site, head_name="抢先登记", head_id_number=ID_A)
    db.session.commit()
    html = client.post("/admin/households/import/confirm", data={"batch": batch}).get_data(as_text=True)
    assert "户主身份证号已登记在册" in html and count() == 1


def test_import_is_all_or_nothing_when_writing_fails(app, client, setup, monkeypatch):
    site, _, _ = setup
    html = upload(client, sheet([(site.name, f"住户{n}", "", "", "", "", "低收入户", "", "") for n in range(50)])
                  ).get_data(as_text=True)
    batch = html.split('name="batch" type="hidden" value="')[1].split('"')[0]

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(excel.audit, "record", explode)  # fails after households, members and tags were inserted
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.post("/admin/households/import/confirm", data={"batch": batch})
    assert resp.status_code == 500
    db.session.rollback()
    assert count() == 0


def test_not_an_excel_file(app, client, setup):
    html = upload(client, b"not a spreadsheet").get_data(as_text=True)
    assert "无法读取这个文件" in html
    html = upload(client, b"x", name="table.csv").get_data(as_text=True)
    assert "只支持 .xlsx" in html
    html = upload(client, sheet([("a", "b")], header=("名字", "地址"))).get_data(as_text=True)
    assert "没有找到表头" in html


def test_export_round_trip(app, client, setup, make_household, make_user):
    """Export the filtered list, move those households out, import the file: the same register comes back."""
    site, _, user = setup
    data = svc.HouseholdData(site_id=site.id, head_name="张喆", head_id_number=ID_A, phone="13800001111",
                             building="3栋", door_no="2单元501", tags=["hardship", "monitored"], note="老党员",
                             members=[svc.MemberData("李秀英", "配偶"), svc.MemberData("张小明", "子女")])
    original = svc.create(user, data)
    make_household(site, head_name="不导出")
    db.session.commit()
    resp = client.get("/admin/households/export.xlsx", query_string={"q": "张喆"})
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0] == excel.EXPORT_COLUMNS and len(rows) == 2
    svc.move_out(user, original, "测试往返")
    db.session.commit()
    html = upload(client, resp.data).get_data(as_text=True)
    assert "共 1 户,检查通过" in html
    batch = html.split('name="batch" type="hidden" value="')[1].split('"')[0]
    client.post("/admin/households/import/confirm", data={"batch": batch})
    copy = db.session.execute(db.select(Household).where(Household.head_name == "张喆", Household.status == "active")
                              ).scalar_one()
    fields = ("site_id", "head_id_number", "phone", "building", "door_no", "tags", "note")
    assert {f: getattr(copy, f) for f in fields} == {f: getattr(original, f) for f in fields}
    assert [(m.name, m.relation) for m in copy.members] == [(m.name, m.relation) for m in original.members]


def test_ten_thousand_rows_import_in_seconds(app, setup):
    site, _, user = setup
    rows = [(site.name, f"住户{n}", "", f"139{n:08d}", f"{n % 30}栋", f"{n}", "低收入户" if n % 7 == 0 else "",
             f"成员{n}(子女)", "") for n in range(10_000)]
    path = app.instance_path + "/10k.xlsx"
    with open(path, "wb") as fh:
        fh.write(sheet(rows))
    started = time.perf_counter()
    result = excel.preview(user, path)
    assert result.ok, result.error_rows[:3]
    ids = excel.import_rows(user, result, "10k.xlsx")
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert len(ids) == 10_000 and count() == 10_000
    assert elapsed < 20, f"10k rows took {elapsed:.1f}s"


def test_bulk_import_on_both_databases(any_app, make_site, make_user):
    """The bulk INSERT ... RETURNING keeps row order on SQLite and PostgreSQL alike."""
    site = make_site()
    user = make_user("cadre", sites=[site])
    data = sheet([(site.name, f"住户{n}", "", "", "", f"{n}", "低收入户" if n % 2 else "", f"成员{n}(子女)", "")
                  for n in range(300)])
    result = excel.preview(user, io.BytesIO(data))
    ids = excel.import_rows(user, result, "x.xlsx")
    db.session.commit()
    homes = db.session.execute(db.select(Household).where(Household.id.in_(ids))).scalars().all()
    by_id = {h.id: h for h in homes}
    for n, hid in enumerate(ids):
        home = by_id[hid]
        assert home.head_name == f"住户{n}" and home.door_no == str(n)
        assert [m.name for m in home.members] == [f"住户{n}", f"成员{n}"]
        assert home.tags == (["low_income"] if n % 2 else [])


def test_after_importing_the_list_shows_only_the_new_households(app, client, setup, make_household):
    site, _, _ = setup
    make_household(site=site, head_name="老住户")
    db.session.commit()
    html = upload(client, sheet([(site.name, "张三", ID_A, "", "1栋", "101", "", "", ""),
                                 (site.name, "王五", "", "", "", "", "", "", "")])).get_data(as_text=True)
    batch = html.split('name="batch" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/admin/households/import/confirm", data={"batch": batch})
    assert resp.status_code == 302 and "imported=" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "张三" in page and "王五" in page and "老住户" not in page
    assert "只显示这次导入的住户" in page and "已导入 2 户" in page
