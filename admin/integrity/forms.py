"""The POST forms of the integrity pages (回避, 双人复核, 盘点, 资金台账, 积分调整, 异常核查). Field names
are the names the templates post; ids, numbers, dates and months parse through services/fields.py,
amounts in 元 through the fund service."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from admin.fields import DayField, IdField, IntField, MonthField, TextField

#: the largest counted quantity services/supermarket/stocktake.record_counts takes
MAX_COUNT = 10**6


class RecusalForm(FlaskForm):
    user_id = IdField("工作人员", message="所选的工作人员不存在,请刷新后重试", required=False)
    household_id = IdField("亲属家庭户号", message="请填写亲属家庭户号(正整数)")
    relation = TextField("关系", limit=32)


class RecusalWithdrawForm(FlaskForm):
    declaration_id = IdField("回避申报", message="所选的记录不存在,请刷新后重试")


class DecisionForm(FlaskForm):
    """确认 / 驳回 of a two-person control or a points adjustment."""

    decision = SelectField("复核", choices=[("confirm", "确认"), ("reject", "驳回")])
    note = TextField("意见", limit=500)


class AdjustmentForm(FlaskForm):
    household_id = IdField("户号", message="请填写户号(正整数)")
    points = IntField("调整分数")
    reason = TextField("原因", limit=500, required=True)


class StocktakeOpenForm(FlaskForm):
    month = MonthField("盘点月份")


def stocktake_sheet_form(take):
    """The sheet's form class: count-<goods id> and reason-<goods id> per line, and the action."""

    class StocktakeSheetForm(FlaskForm):
        action = SelectField("操作", choices=[("save", "保存"), ("post", "过账")], default="save")

        def counts(self) -> dict:
            return {line.goods_id: self[f"count-{line.goods_id}"].data for line in take.lines}

        def reasons(self) -> dict:
            return {line.goods_id: self[f"reason-{line.goods_id}"].data for line in take.lines}

    for line in take.lines:
        setattr(StocktakeSheetForm, f"count-{line.goods_id}",
                IntField(f"“{line.goods.name}”实盘数量", low=0, high=MAX_COUNT, required=False))
        setattr(StocktakeSheetForm, f"reason-{line.goods_id}", TextField("差异原因", limit=500))
    return StocktakeSheetForm


class FundLedgerForm(FlaskForm):
    """资金到账 (action=money), 入库单计价 (value) or 冲正 (reverse) at the page's site."""

    action = SelectField("操作", choices=[("money", "资金到账"), ("value", "入库单计价"), ("reverse", "冲正")])
    amount = StringField("金额(元)")
    source = StringField("来源")
    source_name = TextField("付款单位", limit=100)
    reference = TextField("凭证号", limit=100)
    entry_date = DayField("日期")
    note = TextField("备注", limit=500)
    movement_id = IdField("入库单", message="请选择一张入库单", required=False)
    unit_cost = StringField("单价(元)")
    entry_id = IdField("台账记录", message="没有这条台账记录", required=False)
    reason = TextField("冲正原因", limit=500)

    def validate_movement_id(self, field):
        if self.action.data == "value" and field.data is None:
            raise ValidationError("请选择一张入库单")

    def validate_entry_id(self, field):
        if self.action.data == "reverse" and field.data is None:
            raise ValidationError("没有这条台账记录")


class AnomalyCheckForm(FlaskForm):
    rule = StringField("规则")
    fingerprint = StringField("发现")
    note = TextField("核查说明", limit=1000, required=True)
    back = StringField("返回")


class AnomalyRunForm(FlaskForm):
    """开始核查: the period and thresholds ride in the action's query string; the form carries the CSRF token."""
