"""积分台账 / 兑换台账 exports: totals reconcile with verify; Excel and PDF are readable."""
import io
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from extensions import db
from services import ledger
from services.ledger import exports as ledger_exports
from services.ledger.verify import verify
from tests.reports.test_reports import YEAR, generated  # noqa: F401  (shared generated-data fixture)

ALL_TIME = (date(2000, 1, 1), date(2100, 12, 31))


def _last_column(table, label):
    return next(row[-1] for row in table.totals if row[0] == label)


def test_site_ledger_totals_equal_verify_per_site(generated):  # noqa: F811
    by_site = verify().by_site
    for site in generated["sites"]:
        table = ledger_exports.site_ledger({site.id}, *ALL_TIME)
        for kind, total in by_site[site.id].items():
            assert _last_column(table, f"合计 · {ledger_exports.LEDGER_KIND_LABELS[kind]}") == total
        assert _last_column(table, "合计 · 净变动") == sum(by_site[site.id].values())
        assert sum(row[-1] for row in table.rows) == sum(by_site[site.id].values())


def test_household_ledger_closes_at_the_balance_and_splits_by_date(generated):  # noqa: F811
    for home in generated["homes"][:6]:
        whole = ledger_exports.household_ledger(home.id, *ALL_TIME)
        assert _last_column(whole, "期末结余") == home.balance == ledger.balance_of(home.id)
        first = ledger_exports.household_ledger(home.id, date(2026, 1, 1), date(2026, 6, 30))
        second = ledger_exports.household_ledger(home.id, date(2026, 7, 1), date(2026, 12, 31))
        assert _last_column(first, "期末结余") == _last_column(second, "期初结余")
        assert _last_column(second, "期末结余") == home.balance


def test_redemption_ledger_counts_done_redemptions(generated):  # noqa: F811
    table = ledger_exports.redemption_ledger(None, *ALL_TIME)
    redeemed = -sum(kinds.get("redemption", 0) for kinds in verify().by_site.values())
    assert _last_column_by_index(table, "合计 · 有效兑换", 5) == redeemed
    assert table.header[-2:] == ["户签字", "经办人签字"]


def _last_column_by_index(table, label, index):
    return next(row[index] for row in table.totals if row[0] == label)


def test_excel_and_pdf_outputs(generated, tmp_path, make_household):  # noqa: F811
    site = generated["sites"][0]
    sneaky = make_household(site=site, head_name="=HYPERLINK(\"x\")")
    ledger.post(sneaky, 5, "activity", None, None, "<b>志愿</b>", "act:sneaky", effective_date=date(2026, 5, 1))
    table = ledger_exports.site_ledger({site.id}, *YEAR)
    book = load_workbook(io.BytesIO(ledger_exports.to_xlsx(table)))
    sheet = book.active
    assert sheet["A1"].value.endswith("积分台账") and [c.value for c in sheet[3]] == table.header
    names = [row[1].value for row in sheet.iter_rows(min_row=4) if row[1].value]
    assert "=HYPERLINK(\"x\")" in names
    cell = next(row[1] for row in sheet.iter_rows(min_row=4) if row[1].value == "=HYPERLINK(\"x\")")
    assert cell.data_type == "s"  # text, not a formula
    path = tmp_path / "site.pdf"
    path.write_bytes(ledger_exports.to_pdf(table))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "积分台账" in text and "报表安置点0" in text and "<b>志愿</b>" in text and "合计" in text
    assert "NotoSansCJK" in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout


def test_export_route_filters_scope_and_roles(generated, client, login, make_user):  # noqa: F811
    site, other = generated["sites"][0], generated["sites"][1]
    cadre = make_user("cadre", sites=[site])
    shop = make_user("shopkeeper", sites=[site])
    home = next(h for h in generated["homes"] if h.site_id == site.id)
    outsider_home = next(h for h in generated["homes"] if h.site_id == other.id)
    db.session.commit()
    login(cadre)
    response = client.get(f"/admin/reports/export?type=site&format=xlsx&site_id={site.id}&start=2026-01-01&end=2026-12-31")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    response = client.get(f"/admin/reports/export?type=household&format=pdf&household_id={home.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get(f"/admin/reports/export?type=household&format=pdf&household_id={outsider_home.id}").status_code == 403
    assert client.get(f"/admin/reports/export?type=site&format=pdf&site_id={other.id}").status_code == 403
    client.post("/admin/logout")
    login(shop)
    assert client.get(f"/admin/reports/export?type=redemption&format=pdf&site_id={site.id}").status_code == 200
    assert client.get(f"/admin/reports/export?type=site&format=pdf&site_id={site.id}").status_code == 403


def test_month_notice_lists_posted_points_with_masked_names(app, make_site, make_household, make_user, client,
                                                            login, tmp_path):
    site = make_site("公示安置点")
    good = make_household(site=site, head_name="欧阳小明", building="3栋")
    bad = make_household(site=site, head_name="张三", building="5栋")
    ledger.post(good, 10, "rule_award", None, None, "月度入户检查达标", "m:1", effective_date=date(2026, 11, 5))
    ledger.post(bad, 30, "activity", None, None, "志愿服务", "m:2", effective_date=date(2026, 11, 6))
    ledger.post(bad, -5, "rule_deduction", None, None, "乱扔垃圾", "m:3", effective_date=date(2026, 11, 7))
    ledger.post(bad, -20, "redemption", None, None, None, "m:4", effective_date=date(2026, 11, 8))  # not a notice item
    ledger.post(good, 10, "rule_award", None, None, "下月", "m:5", effective_date=date(2026, 12, 1))
    login(make_user("cadre", sites=[site]))
    response = client.get(f"/admin/reports/month-notice?site_id={site.id}&month=2026-11&contact=居委会")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "公示安置点2026年11月积分公示" in text
    assert "欧**明" in text and "张*" in text and "欧阳小明" not in text and "张三" not in text
    assert "乱扔垃圾" in text and "+25" in text and "下月" not in text and "超市兑换" not in text
    assert client.get(f"/admin/reports/month-notice?site_id={site.id}&month=2026-13").status_code == 400


def test_too_large_exports_are_refused_with_a_message(generated, monkeypatch):  # noqa: F811
    monkeypatch.setitem(ledger_exports.MAX_ROWS, "pdf", 5)
    table = ledger_exports.site_ledger(None, *ALL_TIME)
    with pytest.raises(ledger_exports.TooLarge, match="请缩小日期范围"):
        ledger_exports.check_size(table, "pdf")
    monkeypatch.setitem(ledger_exports.MAX_ROWS, "xlsx", 5)
    with pytest.raises(ledger_exports.TooLarge):
        ledger_exports.site_ledger(None, *ALL_TIME)
