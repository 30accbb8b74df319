"""The POST forms of the 后续扶持 pages. Field names are the names the templates post; ids and dates
are parsed by services/fields.py (admin/fields.py), free text is checked by the services."""
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import StringField, TextAreaField

from admin.fields import DayField, IdField, IdListField, IntField, MultiCheckboxField
from models.settlement import CAUSES
from models.support import SITUATION_AREAS


class CadreForm(FlaskForm):
    name = StringField("姓名")
    phone = StringField("电话")
    level = StringField("层级", default="village")
    unit = StringField("单位")
    staff_user_id = IdField("对应的工作人员", message="请选择对应的工作人员", required=False)
    area_id = IdField("包保范围", message="请选择包保的乡镇或村(社区)", required=False)


class AssignForm(FlaskForm):
    cadre_id = IdField("包保责任人", message="请选择包保责任人")
    start_date = DayField("开始日期")


class UnassignForm(FlaskForm):
    reason = StringField("结束原因")


class BulkAssignForm(FlaskForm):
    cadre_id = IdField("包保责任人", message="请选择包保责任人")
    site_id = IdField("安置点", message="请选择安置点")
    building = StringField("楼栋")
    all_households = StringField("包括非重点户")


class ReassignForm(FlaskForm):
    to_cadre_id = IdField("接手的包保责任人", message="请选择接手的包保责任人")
    reason = StringField("原因")


class ProblemForm(FlaskForm):
    household_id = IdField("住户", message="请选择住户", required=False)
    site_id = IdField("安置点", message="请选择安置点", required=False)
    category = StringField("问题类别")
    source = StringField("来源", default="visit")
    description = TextAreaField("问题描述")
    found_date = DayField("发现时间")
    deadline = DayField("完成时限")
    lead_unit = StringField("牵头单位")
    responsible_unit = StringField("责任单位")
    responsible_person = StringField("责任人")
    measures = TextAreaField("整改措施")
    photos = MultipleFileField("整改前照片")


class ProblemStatusForm(FlaskForm):
    to = StringField("状态")
    note = StringField("说明")
    photos = MultipleFileField("整改后照片")


class ProblemEditForm(FlaskForm):
    lead_unit = StringField("牵头单位")
    responsible_unit = StringField("责任单位")
    responsible_person = StringField("责任人")
    measures = TextAreaField("整改措施")
    deadline = DayField("完成时限")
    note = StringField("修改原因")


class MonitoringNewForm(FlaskForm):
    household_id = IdField("住户", message="请选择住户")
    type = StringField("监测对象类型")
    found_date = DayField("风险发现日期")
    risk_note = TextAreaField("风险情况")
    note = StringField("说明")


class MonitoringStepForm(FlaskForm):
    action = StringField("操作")
    step = StringField("步骤")
    step_date = DayField("日期")
    passed = StringField("结果", default="1")
    note = StringField("说明")
    publicity_start = DayField("公示开始")
    publicity_end = DayField("公示结束")


class VisitForm(FlaskForm):
    """The visit form: the situation areas (s_<area>, n_<area>) and two new problems are added below."""

    household_id = IdField("住户", message="请选择住户")
    visit_date = DayField("走访日期", required=True)
    backdate_reason = StringField("补录原因")
    visitors = StringField("走访人")
    met = StringField("见到人了吗", default="1")
    met_person = StringField("见到谁")
    reached_by = StringField("怎么联系上的")
    suggestions = TextAreaField("意见建议")
    actions = TextAreaField("帮扶措施")
    confirm_name = StringField("确认人")
    signature = StringField("签名")
    photos = MultipleFileField("照片")


for _area in SITUATION_AREAS:
    setattr(VisitForm, f"s_{_area}", StringField(_area))
    setattr(VisitForm, f"n_{_area}", StringField(_area))
for _i in (1, 2):
    setattr(VisitForm, f"p_category_{_i}", StringField("问题类别"))
    setattr(VisitForm, f"p_description_{_i}", StringField("问题描述"))


class EmploymentForm(FlaskForm):
    status = StringField("就业状态")
    workplace = StringField("务工地点/单位")
    since = DayField("开始时间")
    training_taken = StringField("已参加的培训")
    training_wanted = StringField("培训意愿")


class SubsidyForm(FlaskForm):
    kind = StringField("补贴类别")
    amount = StringField("金额(元)")
    granted_on = DayField("发放日期", required=True)
    note = StringField("备注")


class PlanForm(FlaskForm):
    area_id = IdField("乡镇", message="请选择乡镇")
    year = IntField("年度", low=2000, high=2100)
    title = StringField("计划名称")


class TaskForm(FlaskForm):
    title = TextAreaField("任务内容")
    responsible_unit = StringField("责任单位")
    responsible_user_id = IdField("责任人", message="请选择责任人", required=False)
    deadline = DayField("完成时限", required=True)


class TakeUpForm(FlaskForm):
    problem_ids = IdListField("问题", message="所选问题有误,请刷新后重试")
    responsible_unit = StringField("责任单位")
    responsible_user_id = IdField("责任人", message="请选择责任人", required=False)
    deadline = DayField("完成时限", required=True)


class NoteForm(FlaskForm):
    note = TextAreaField("情况")


class LeaderForm(FlaskForm):
    cadre_id = IdField("包保领导", message="请选择包保领导")
    start_date = DayField("开始日期")


class CauseAssignForm(FlaskForm):
    area_id = IdField("乡镇", message="请选择乡镇")
    cause = StringField("原因类别")
    cadre_id = IdField("部门干部", message="请选择部门干部")


class CausesForm(FlaskForm):
    causes = MultiCheckboxField("致贫/风险原因", choices=list(CAUSES.items()), validate_choice=False)
