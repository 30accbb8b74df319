"""Monthly stocktake (盘点): counted quantities, differences posted as adjustments with a reason, 账实不符."""
import pytest
from sqlalchemy import select

from extensions import db
from models import StockMovement
from models.clock import local_today
from services.errors import ValidationFailed
from services.supermarket import stocktake
from tests.supermarket.kiosk_helpers import add_goods


@pytest.fixture
def shop(app, make_site, make_user):
    app.config["GOODS_CONTROL_POINTS"] = 100
    site = make_site("幸福家园安置点")
    oil = add_goods(site, "食用油 5L", price=85, stock=10, unit="桶")
    soap = add_goods(site, "肥皂", price=5, stock=50, unit="块")
    return {"site": site, "oil": oil, "soap": soap, "a": make_user("shopkeeper", sites=[site]),
            "b": make_user("shopkeeper", sites=[site])}


def test_stocktake_posts_differences_and_reports_mismatch(shop):
    today = local_today()
    take = stocktake.open_stocktake(shop["a"], shop["site"].id, today.year, today.month)
    assert stocktake.open_stocktake(shop["a"], shop["site"].id, today.year, today.month) is take
    stocktake.record_counts(shop["a"], take, {shop["oil"].id: 8, shop["soap"].id: "47"})
    with pytest.raises(ValidationFailed, match="原因"):
        stocktake.post_stocktake(shop["a"], take)
    stocktake.record_counts(shop["a"], take, {}, {shop["oil"].id: "老鼠咬破", shop["soap"].id: "受潮"})
    result = stocktake.post_stocktake(shop["a"], take)
    assert result == {"posted": 1, "pending": 1}  # soap −15 points posts, oil −170 points waits
    soap_moves = db.session.execute(select(StockMovement).where(StockMovement.goods_id == shop["soap"].id,
                                                                StockMovement.kind == "adjust")).scalars().all()
    assert [m.quantity for m in soap_moves] == [-3] and "盘点" in soap_moves[0].note
    control = stocktake.controls(shop["b"])[0]
    stocktake.decide(shop["b"], control.id, True)
    db.session.expire_all()
    assert shop["oil"].stock == 8 and shop["soap"].stock == 47
    [row] = stocktake.mismatches(shop["a"])
    assert (row.mismatched, row.difference_units, row.difference_points) == (2, -5, -185)


def test_uncounted_goods_block_posting(shop):
    today = local_today()
    take = stocktake.open_stocktake(shop["a"], shop["site"].id, today.year, today.month)
    stocktake.record_counts(shop["a"], take, {shop["oil"].id: 10})
    with pytest.raises(ValidationFailed, match="没有盘点"):
        stocktake.post_stocktake(shop["a"], take)
    with pytest.raises(ValidationFailed):
        stocktake.record_counts(shop["a"], take, {shop["soap"].id: "-1"})


def test_future_month_refused(shop):
    today = local_today()
    with pytest.raises(ValidationFailed):
        stocktake.open_stocktake(shop["a"], shop["site"].id, today.year + 1, 1)
