"""The points fund (资金台账): chain, reversals, stock at cost, dashboard, verify, invariants under hypothesis."""
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from extensions import db
from models.fund import FundEntry
from services import ledger
from services.errors import ValidationFailed
from services.integrity import fund
from services.integrity.fund_verify import fund_verify
from services.supermarket import goods as goods_service
from tests.supermarket.kiosk_helpers import add_goods


@pytest.fixture
def world(app, make_site, make_household, make_user):
    site = make_site("幸福家园安置点")
    admin = make_user("admin")
    home = make_household(site, head_name="李䶮")
    oil = add_goods(site, "食用油 5L", price=60, stock=0, unit="桶")
    return {"site": site, "admin": admin, "home": home, "oil": oil}


def test_money_purchase_and_donation(world):
    site, admin, oil = world["site"], world["admin"], world["oil"]
    fund.receive_money(admin, site.id, "5000.50", "aid_unit", "县农业农村局", "转账 2026-118")
    assert fund.cash_balance(site.id) == 500050
    bought = goods_service.stock_in(oil, 20, "purchase", "县供销社")
    entry = fund.value_stock_in(admin, bought.id, "55.00", "发票 0012")
    assert (entry.kind, entry.cash_fen, entry.goods_fen) == ("purchase", -110000, 110000)
    donated = goods_service.stock_in(oil, 10, "aid_unit", "帮扶单位")
    gift = fund.value_stock_in(admin, donated.id, 6000)
    assert (gift.kind, gift.cash_fen, gift.goods_fen) == ("donated_goods", 0, 60000)
    with pytest.raises(fund.FundRefused):
        fund.value_stock_in(admin, donated.id, 6000)
    assert fund.cash_balance(site.id) == 390050
    assert fund.stock_value(site.id)["value_fen"] == 170000
    goods_service.stock_out(oil, 3, "loss", "破损", admin)
    assert fund.stock_value(site.id)["value_fen"] == 170000 * 27 // 30
    assert [e.seq for e in fund.entries(site.id)] == [1, 2, 3]
    assert fund_verify().ok


def test_purchase_needs_cash_and_reversal_once(world):
    site, admin, oil = world["site"], world["admin"], world["oil"]
    bought = goods_service.stock_in(oil, 5, "purchase", "县供销社")
    with pytest.raises(fund.FundRefused, match="现金不足"):
        fund.value_stock_in(admin, bought.id, 1000)
    money = fund.receive_money(admin, site.id, 20000, "fiscal", "县财政局", "拨款 7 号")
    back = fund.reverse(admin, money.id, "金额录错")
    assert back.cash_fen == -20000 and back.reverses_id == money.id
    with pytest.raises(fund.FundRefused):
        fund.reverse(admin, money.id, "再冲一次")
    with pytest.raises(fund.FundRefused):
        fund.reverse(admin, back.id, "冲正冲正")
    assert fund.cash_balance(site.id) == 0 and fund_verify().ok


def test_bad_amounts(world):
    for bad in ("", "abc", "-5", "0", "1.234"):
        with pytest.raises(ValidationFailed):
            fund.receive_money(world["admin"], world["site"].id, bad, "collective", "村集体", "x")
    with pytest.raises(ValidationFailed):
        fund.receive_money(world["admin"], world["site"].id, "10", "collective", "村集体", "")
    assert fund.parse_yuan("1,200.5") == 120050 and fund.yuan(120050) == "1,200.50"


def test_fund_entries_are_append_only(world):
    entry = fund.receive_money(world["admin"], world["site"].id, 100, "collective", "村集体", "x")
    db.session.commit()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE fund_entry SET cash_fen = 1 WHERE id = :i"), {"i": entry.id})
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM fund_entry WHERE id = :i"), {"i": entry.id})
    db.session.rollback()


def test_verify_catches_a_fund_ledger_edit(world, runner):
    site, admin = world["site"], world["admin"]
    fund.receive_money(admin, site.id, 100000, "aid_unit", "帮扶单位", "x1")
    entry = fund.receive_money(admin, site.id, 5000, "collective", "村集体", "x2")
    db.session.commit()
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    # someone with database access drops the trigger and edits an amount
    db.session.execute(text("DROP TRIGGER fund_entry_no_update"))
    db.session.execute(text("UPDATE fund_entry SET cash_fen = 500000 WHERE id = :i"), {"i": entry.id})
    db.session.commit()
    report = fund_verify()
    assert [p.kind for p in report.problems] == ["fund bad hash"] and report.problems[0].entry_id == entry.id
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1 and "fund bad hash" in result.output


def test_verify_catches_points_and_stock_mismatch(world):
    ledger.post(world["home"], 50, "rule_award", None, None, None, "t:1")
    goods_service.stock_in(world["oil"], 5, "donor", "好心人")
    assert fund_verify().ok
    db.session.execute(text("UPDATE household SET balance = balance + 7 WHERE id = :i"), {"i": world["home"].id})
    db.session.execute(text("UPDATE goods SET stock = stock + 1 WHERE id = :i"), {"i": world["oil"].id})
    kinds = sorted(p.kind for p in fund_verify().problems)
    assert kinds == ["points", "stock"]


def test_dashboard_coverage_and_forecast(world, app):
    site, admin, home, oil = world["site"], world["admin"], world["home"], world["oil"]
    app.config["POINT_VALUE_FEN"] = 100
    ledger.post(home, 300, "rule_award", None, None, None, "t:1")
    fund.receive_money(admin, site.id, 10000, "collective", "村集体", "x")  # 100 yuan
    donated = goods_service.stock_in(oil, 2, "aid_unit", "帮扶单位")
    fund.value_stock_in(admin, donated.id, 5000)  # 100 yuan of goods
    data = fund.dashboard(admin)
    [row] = data["sites"]
    assert (row.outstanding_fen, row.stock_fen, row.cash_fen) == (30000, 10000, 10000)
    assert row.coverage == pytest.approx(2 / 3) and row.warning
    assert len(row.forecast) == 3 and row.forecast[0]["outstanding_points"] == 400  # +300 issued / 3 months
    app.config["POINT_VALUE_FEN"] = 50  # 1 point = 0.5 yuan
    assert fund.dashboard(admin)["sites"][0].coverage == pytest.approx(4 / 3)


operations = st.lists(st.one_of(
    st.tuples(st.just("money"), st.integers(1, 10**7)),
    st.tuples(st.just("buy"), st.integers(1, 50), st.integers(1, 10**5)),
    st.tuples(st.just("donate"), st.integers(1, 50), st.integers(1, 10**5)),
    st.tuples(st.just("out"), st.integers(1, 50)),
    st.tuples(st.just("reverse"), st.integers(0, 40)),
), max_size=20)


@given(ops=operations)
def test_fund_invariants_hold_for_any_sequence(app, make_site, make_user, ops):
    site = make_site()
    admin = make_user("admin")
    goods = add_goods(site, "大米", price=50, stock=0)
    made = []
    for op in ops:
        try:
            if op[0] == "money":
                made.append(fund.receive_money(admin, site.id, op[1], "fiscal", "县财政局", "x"))
            elif op[0] in ("buy", "donate"):
                move = goods_service.stock_in(goods, op[1], "purchase" if op[0] == "buy" else "donor", "来源")
                made.append(fund.value_stock_in(admin, move.id, op[2]))
            elif op[0] == "out":
                goods_service.stock_out(goods, op[1], "loss", "报损", admin)
            elif made:
                made.append(fund.reverse(admin, made[op[1] % len(made)].id, "更正"))
        except (fund.FundRefused, goods_service.OutOfStock):
            pass
    rows = fund.entries(site.id)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert fund.cash_balance(site.id) == sum(r.cash_fen for r in rows) >= 0
    assert all(r.cash_fen or r.goods_fen for r in rows)
    assert fund.stock_value(site.id)["value_fen"] >= 0
    report = fund_verify()
    assert report.ok, report.text()
    assert report.sites[site.id].get("cash_fen", 0) == fund.cash_balance(site.id)
    assert db.session.query(FundEntry).filter(FundEntry.reverses_id.is_not(None)).count() == \
        len({r.reverses_id for r in db.session.query(FundEntry).filter(FundEntry.reverses_id.is_not(None))})
