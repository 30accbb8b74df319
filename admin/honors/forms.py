"""The POST forms of the 光荣榜 pages. Field names are the names the templates post; ids, dates and
numbers parse through services/fields.py (admin/fields.py), the list rules stay in the service."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from admin.fields import DayField, IdField, IdListField, IntField, TextField
from services.earning import notices
from services.honors.broadcast import SCRIPT_MAX


class HonorNewForm(FlaskForm):
    site_id = IdField("安置点", message="请选择安置点")
    title = TextField("标题", limit=64, required=True)
    period_start = DayField("评选期间开始", required=True)
    period_end = DayField("评选期间结束", required=True)
    award_type_ids = IdListField("栏目(奖项)", message="所选的奖项不存在,请刷新后重试")
    extra_sections = TextField("其他栏目", limit=200, default="积分之星")

    def validate_period_end(self, field):
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError("结束日期不能早于开始日期")


class SectionForm(FlaskForm):
    name = TextField("栏目名称", limit=32, required=True)


class EntryForm(FlaskForm):
    section_id = IdField("栏目", message="请选择栏目")
    household_id = IdField("住户编号", message="请填写住户编号(正整数)")
    citation = TextField("先进事迹", limit=200)
    origin = SelectField("来源", choices=[("manual", "手工添加"), ("award", "获奖户"), ("ranking", "积分排名")],
                         default="manual")


class CitationForm(FlaskForm):
    citation = TextField("先进事迹", limit=200)


class MoveForm(FlaskForm):
    direction = SelectField("方向", choices=[("up", "上移"), ("down", "下移")])


class ButtonForm(FlaskForm):
    """A button-only POST (移除, 发布): just the CSRF token."""


class NoticeForm(FlaskForm):
    days = IntField("公示天数", low=1, high=notices.MAX_NOTICE_DAYS, required=False)
    contact = TextField("异议联系人/电话", limit=200)


class ObjectionForm(FlaskForm):
    entry_id = IdField("针对", message="所选的住户不在这张光荣榜上", required=False)
    raised_by = TextField("提出人", limit=64)
    content = TextField("异议内容", limit=1000, required=True)


class ResolveForm(FlaskForm):
    decision = SelectField("处理结果", choices=[("upheld", "成立"), ("rejected", "不成立")])
    resolution = TextField("处理意见", limit=1000, required=True)


class WithdrawForm(FlaskForm):
    reason = TextField("撤销原因", limit=500, required=True)


class BroadcastForm(FlaskForm):
    script = StringField("广播稿")
    reset = StringField("恢复自动生成")

    def validate_script(self, field):
        if len((field.data or "").replace("\r\n", "\n").strip()) > SCRIPT_MAX:
            raise ValidationError(f"广播稿请控制在 {SCRIPT_MAX} 字以内")
