"""The POST forms of the 积分超市 staff pages. Field names are the names the templates post; numbers,
dates and text parse through services/fields.py (admin/fields.py) with the services' own limits."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import ValidationError

from admin.fields import DayField, IdField, IntField, TextField
from models.goods import LIMIT_PERIODS
from services.supermarket.goods import MAX_PRICE, MAX_STOCK_STEP

#: 每户限兑数量 accepted by services/supermarket/goods.save_goods
MAX_LIMIT_QTY = 999


class _BlankSelectField(SelectField):
    """A select whose stored None (no limit) is the blank choice, so an edit that sends none is valid."""

    def process_data(self, value):
        super().process_data("" if value is None else value)


class GoodsForm(FlaskForm):
    name = TextField("名称", limit=64, required=True)
    category = TextField("分类", limit=32, default="粮油")
    price = IntField("积分价格", low=1, high=MAX_PRICE)
    unit = TextField("单位", limit=16, default="个")
    low_stock = IntField("库存预警线", low=0, high=MAX_STOCK_STEP, required=False, default=5)
    limit_qty = IntField("限购数量", low=1, high=MAX_LIMIT_QTY, required=False)
    limit_period = _BlankSelectField("限兑周期", choices=[("", "不限"), *LIMIT_PERIODS.items()], default="")
    active = BooleanField("上架(终端可兑换)", default=True)
    photo = FileField("商品照片")

    def validate_limit_period(self, field):
        if self.limit_qty.data is not None and not field.data:
            raise ValidationError("设置限购数量时请选择限购周期")


class StockForm(FlaskForm):
    """入库 (kind=in) or 报损/盘点调整 (loss/adjust): the sign and range per kind are the service's."""

    kind = SelectField("类型", choices=[("in", "入库"), ("loss", "报损"), ("adjust", "盘点调整")])
    quantity = IntField("数量", low=-MAX_STOCK_STEP, high=MAX_STOCK_STEP)
    source = StringField("来源")
    source_name = TextField("捐赠人 / 帮扶单位 / 供货方", limit=100)
    movement_date = DayField("日期")
    note = TextField("备注", limit=500)


class VoidForm(FlaskForm):
    reason = TextField("作废原因", limit=500, required=True)


class KioskForm(FlaskForm):
    """A new kiosk device; without site_id it goes to the first site in scope (admin.scope.chosen_site)."""

    site_id = IdField("安置点", message="请选择安置点", required=False)
    name = TextField("终端名称", limit=64, required=True)


class SettleForm(FlaskForm):
    """对账 of one owed line: how it was squared (goods handed over later, points collected …)."""

    note = TextField("对账说明", limit=500, required=True)


class SkipCounterForm(FlaskForm):
    """跳过 a counter the kiosk can never send: which one (as the page showed it) and why."""

    counter = IntField("序号", low=1)
    note = TextField("跳过原因", limit=500, required=True)


class ReturnAllowancesForm(FlaskForm):
    """退回离线额度: the confirmation page's button (CSRF only)."""
