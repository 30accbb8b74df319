"""The POST forms of the earning pages (细则, 五评五奖, 志愿活动, 审批). Field names are the names the
templates post; numbers, ids, dates and lengths are parsed by services/fields.py (admin/fields.py),
choices and state rules are checked by the services."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField

from admin.fields import DayField, IdField, IdListField, IntField, LocalDateTimeField, TextField
from services.earning.notices import MAX_NOTICE_DAYS
from services.earning.rules import MAX_QUANTITY


# ------------------------------------------------------------------ 积分细则
class RuleForm(FlaskForm):
    category = TextField("类别", limit=32, required=True)
    name = TextField("细则名称", limit=100, required=True)
    points = IntField("分值", low=-1000, high=1000)
    unit = StringField("计分单位", default="time")
    cap_points = IntField("每户上限", low=1, required=False)
    cap_period = StringField("上限周期", default="month")
    evidence_required = BooleanField("记录时必须上传照片或证明")
    note = TextField("说明", limit=500)


class RecordForm(FlaskForm):
    site_id = IdField("安置点", message="请选择安置点", required=False)
    rule_id = IdField("细则", message="请选择细则")
    event_date = DayField("日期")
    quantity = IntField("数量", low=1, high=MAX_QUANTITY, required=False)
    note = TextField("原因 / 备注", limit=500)
    evidence = FileField("照片或证明")
    household_id = IdListField("住户", message="住户选择有误,请重新选择")


class ReverseEventForm(FlaskForm):
    reason = TextField("冲正原因", limit=200, required=True)


# ------------------------------------------------------------------ 五评五奖
class EvaluationConfigForm(FlaskForm):
    """One row of the settings page: a dimension (what=dimension) or an award type; no id adds one."""

    what = StringField("类型")
    id = IdField("项目", message="要修改的项目不存在,请刷新后重试", required=False)
    name = StringField("名称")
    max_score = IntField("满分", low=1, high=100, required=False)
    points_per_score = IntField("每分折合积分", low=1, high=100, required=False)
    bonus_points = IntField("奖励积分", low=1, high=1000, required=False)
    description = TextField("说明", limit=200)
    active = BooleanField("启用")


class RoundForm(FlaskForm):
    site_id = IdField("安置点", message="请选择安置点")
    title = TextField("期次名称", limit=64, required=True)
    period_start = DayField("评议周期开始", required=True)
    period_end = DayField("评议周期结束", required=True)
    notice_days = IntField("公示天数", low=1, high=MAX_NOTICE_DAYS, required=False, default=7)
    contact = TextField("公示联系人", limit=200)


class NoticeForm(FlaskForm):
    days = IntField("公示天数", low=1, high=MAX_NOTICE_DAYS, required=False)
    contact = TextField("联系人", limit=200)


class RoundReverseForm(FlaskForm):
    household_id = IdField("住户", message="请选择要冲正的住户")
    reason = TextField("冲正原因", limit=200)


class CancelRoundForm(FlaskForm):
    reason = TextField("取消原因", limit=500)


class ObjectionForm(FlaskForm):
    line_id = IdField("针对哪一户", message="请选择异议针对的住户")
    raised_by = TextField("反映人", limit=64)
    content = TextField("异议内容", limit=1000)


class ResolveForm(FlaskForm):
    objection_id = IdField("异议", message="没有这条异议,请刷新后重试")
    upheld = StringField("是否成立", default="0")
    resolution = TextField("处理意见", limit=500)


class StepForm(FlaskForm):
    """开始评分 / 积分入账: a button, no fields."""


# ------------------------------------------------------------------ 志愿活动
class ActivityForm(FlaskForm):
    title = TextField("活动名称", limit=100, required=True)
    site_id = IdField("安置点", message="请选择安置点")
    starts_at = LocalDateTimeField("活动开始时间")
    place = TextField("地点", limit=100)
    points_mode = StringField("计分方式", default="participant")
    points = IntField("积分", low=1, high=100, default=3)
    hours = IntField("时长", low=1, high=24, required=False, default=1)
    capacity = IntField("人数上限", low=1, required=False)
    organiser = TextField("组织者", limit=64)
    allow_other_sites = BooleanField("允许其他安置点的住户签到")
    integration = BooleanField("融合共建活动")


# ------------------------------------------------------------------ 审批
class DecideForm(FlaskForm):
    decision = StringField("审批")
    note = TextField("审批意见", limit=500)
