"""Integrity screens render for their roles; 资金台账 / 物资台账 exports total to the ledger."""
import io

import pytest
from openpyxl import load_workbook

from extensions import db
from models.clock import local_today
from services import ledger
from services.integrity import fund, fund_counties, fund_exports
from services.supermarket import goods as goods_service
from services.supermarket import stocktake
from tests.supermarket.kiosk_helpers import add_goods


@pytest.fixture
def world(app, make_site, make_household, make_user):
    site = make_site("幸福家园安置点")
    admin = make_user("admin")
    home = make_household(site, head_name="李䶮", balance=120)
    oil = add_goods(site, "食用油 5L", price=60, stock=0, unit="桶")
    fund.receive_money(admin, site.id, "3000", "aid_unit", "县农业农村局", "转账 118")
    fund.receive_money(admin, site.id, "800.25", "collective", "村集体经济合作社", "收据 9")
    bought = goods_service.stock_in(oil, 20, "purchase", "县供销社")
    fund.value_stock_in(admin, bought.id, "55.5", "发票 12")
    gift = goods_service.stock_in(oil, 5, "aid_unit", "帮扶单位")
    fund.value_stock_in(admin, gift.id, "60")
    goods_service.stock_out(oil, 2, "loss", "破损", admin)
    return {"site": site, "admin": admin, "home": home, "oil": oil}


def test_exports_total_to_the_ledger(world):
    site, year = world["site"], local_today().year
    book = fund_exports.fund_book(site, year)
    rows = fund.entries(site.id, year)
    assert book.sums["cash_in"] == sum(e.cash_fen for e in rows if e.cash_fen > 0) == 380025
    assert book.sums["cash_out"] == 111000
    assert book.sums["closing"] == fund.cash_balance(site.id) == 380025 - 111000
    assert book.sums["goods"] == sum(e.goods_fen for e in rows) == 111000 + 30000
    sheet = load_workbook(fund_exports.to_excel(book)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    total_row = next(r for r in values if r[0] == "合计")
    assert total_row[6] == fund.yuan(380025) and total_row[9] == fund.yuan(fund.cash_balance(site.id))
    assert any(r[0] and "村务监督委员会" in str(r[0]) for r in values)
    goods = fund_exports.goods_book(site, year)
    assert goods.sums["units"] == world["oil"].stock == 23
    assert goods.sums["closing"] == fund.stock_value(site.id)["value_fen"]
    assert goods.sums["in"] == 141000
    pdf = fund_exports.to_pdf(goods)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


@pytest.mark.parametrize("path", ["/admin/integrity/fund", "/admin/integrity/fund/ledger", "/admin/integrity/stocktake",
                                  "/admin/integrity/controls", "/admin/integrity/anomalies",
                                  "/admin/integrity/recusal", "/admin/integrity/adjustments"])
def test_pages_render(world, client, login, path):
    login(world["admin"])
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "<h1>" in response.get_data(as_text=True)


def test_fund_ledger_forms_and_exports(world, client, login):
    login(world["admin"])
    sid = world["site"].id
    response = client.post("/admin/integrity/fund/ledger", data={
        "site_id": sid, "action": "money", "amount": "abc", "source": "fiscal", "source_name": "县财政局",
        "reference": "x"}, follow_redirects=True)
    assert response.status_code == 400 and "金额应为数字" in response.get_data(as_text=True)
    assert 'value="县财政局"' in response.get_data(as_text=True)  # the typed values are kept
    client.post("/admin/integrity/fund/ledger", data={
        "site_id": sid, "action": "money", "amount": "100", "source": "fiscal", "source_name": "县财政局",
        "reference": "拨款 3"})
    db.session.rollback()
    assert fund.cash_balance(sid) == 380025 - 111000 + 10000
    for query in ("format=xlsx", "format=pdf", "format=xlsx&book=goods", "format=pdf&book=goods"):
        response = client.get(f"/admin/integrity/fund/ledger?site_id={sid}&{query}")
        assert response.status_code == 200 and len(response.data) > 1000
    workbook = load_workbook(io.BytesIO(client.get(f"/admin/integrity/fund/ledger?site_id={sid}&format=xlsx").data))
    assert "资金台账" in workbook.active["A1"].value


def test_adjustment_form_refuses_bad_values_beside_the_field(world, client, login):
    from models.fund import PointsAdjustment

    login(world["admin"])
    response = client.post("/admin/integrity/adjustments", data={"household_id": "十二", "points": "1.5",
                                                                "reason": "补录"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and page.count('class="field-error"') == 2
    assert "请填写户号" in page and "调整分数必须是整数" in page and 'value="补录"' in page
    assert db.session.execute(db.select(db.func.count(PointsAdjustment.id))).scalar_one() == 0


def test_dashboard_shows_warning(world, client, login):
    ledger.post(world["home"], 100000, "rule_award", None, None, None, "t:big")
    login(world["admin"])
    assert "不足" in client.get("/admin/integrity/fund").get_data(as_text=True)


def test_stocktake_screen_flow(world, client, login, make_user):
    shop = make_user("shopkeeper", sites=[world["site"]])
    login(shop)
    today = local_today()
    client.post("/admin/integrity/stocktake", data={"site_id": world["site"].id, "month": today.strftime("%Y-%m")})
    db.session.rollback()
    take = stocktake.open_stocktake(shop, world["site"].id, today.year, today.month)
    oil_id = world["oil"].id
    response = client.post(f"/admin/integrity/stocktake/{take.id}", data={
        f"count-{oil_id}": "22", f"reason-{oil_id}": "少一桶", "action": "post"}, follow_redirects=True)
    assert "盘点已过账" in response.get_data(as_text=True)
    response = client.get("/admin/integrity/stocktake")
    assert "账实不符" in response.get_data(as_text=True)


def test_many_counties_show_a_row_per_county_that_opens_its_sites(world, client, login, make_site, make_household):
    """A province-wide user sees each county's sums and how many of its sites are short; a county's
    link shows its sites."""
    other = make_site("石门安置点")  # in a county of its own
    make_household(other, head_name="王五", balance=40)
    ledger.post(world["home"], 100000, "rule_award", None, None, None, "t:big")
    login(world["admin"])
    page = client.get("/admin/integrity/fund").get_data(as_text=True)
    home_county, other_county = world["site"].area.parent.parent, other.area.parent.parent
    assert home_county.name in page and other_county.name in page and "幸福家园安置点" not in page
    assert "其中 1 个安置点保障不足" in page and "合计" in page
    data = fund_counties.page(world["admin"])
    [short] = [c for c in data["counties"] if c.county.id == home_county.id]
    [site_row] = [r for r in data["sites"] if r.site.id == world["site"].id]
    assert (short.outstanding_points, short.stock_fen, short.cash_fen) == (
        site_row.outstanding_points, site_row.stock_fen, site_row.cash_fen)
    assert sum(c.outstanding_points for c in data["counties"]) == data["county"]["outstanding_points"]
    one = client.get(f"/admin/integrity/fund?county_id={home_county.id}").get_data(as_text=True)
    assert "幸福家园安置点" in one and "石门安置点" not in one and "全县合计" in one and "返回各县" in one
    assert client.get("/admin/integrity/fund?county_id=999999").status_code == 404
