"""WTForms for the admin core (households, cards, staff, audit). POST forms carry the CSRF token."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, PasswordField, SelectField,
    SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional as Opt, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from models.household import HOUSEHOLD_TAGS
from models.staff import ROLES
from services.households.registry import RELATIONS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MemberForm(Form):
    """One family member row (the head is edited in the household's own fields)."""

    id = HiddenField()
    name = StringField("姓名", validators=[Length(max=64, message="姓名太长")])
    relation = SelectField("关系", choices=[(r, r) for r in RELATIONS[1:]], default="子女")
    id_number = StringField("身份证号", validators=[Length(max=18, message="身份证号最多 18 位")])
    phone = StringField("电话", validators=[Length(max=20)])
    is_current = BooleanField("在户", default=True)


class HouseholdForm(FlaskForm):
    site_id = SelectField("安置点", coerce=int, validators=[DataRequired("请选择安置点")])
    head_name = StringField("户主姓名", validators=[DataRequired("请填写户主姓名"), Length(max=64)])
    head_id_number = StringField("户主身份证号", validators=[Length(max=20)])
    phone = StringField("联系电话", validators=[Length(max=20)])
    building = StringField("楼栋", validators=[Length(max=32)])
    door_no = StringField("门牌号", validators=[Length(max=32)])
    tags = MultiCheckboxField("标签", choices=list(HOUSEHOLD_TAGS.items()))
    note = TextAreaField("备注", validators=[Length(max=2000)])
    members = FieldList(FormField(MemberForm), min_entries=0, max_entries=30)
    #: set after the first submit showed duplicate warnings
    confirm_duplicates = BooleanField("我已核实,仍然保存")


class MoveOutForm(FlaskForm):
    reason = StringField("迁出原因", validators=[DataRequired("请填写迁出原因"), Length(max=200)])


class ActionForm(FlaskForm):
    """A button-only POST (reissue, lost, revoke): just the CSRF token."""


class CardPrintForm(FlaskForm):
    household_ids = SelectMultipleField("住户", coerce=int, validate_choice=False,
                                        validators=[DataRequired("请先勾选要制卡的住户")])
    layout = SelectField("版式", choices=[("sheet", "A4 每页 10 张"), ("single", "单张卡片(CR80)")], default="sheet")


class ShortCodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET lookup

    code = StringField("卡号", validators=[DataRequired("请输入卡片上的卡号"), Length(max=16)])


class ImportUploadForm(FlaskForm):
    file = FileField("一户一档表格(.xlsx)", validators=[
        FileRequired("请选择要导入的 Excel 文件"), FileAllowed(["xlsx"], "只支持 .xlsx 格式(可先下载模板)")])


class ImportConfirmForm(FlaskForm):
    batch = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])


class StaffForm(FlaskForm):
    username = StringField("登录名", validators=[
        DataRequired("请填写登录名"), Length(2, 64, "登录名 2–64 位"),
        Regexp(r"^[A-Za-z0-9_.-]+$", message="登录名只能用字母、数字、下划线、点和减号")])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=64)])
    phone = StringField("电话", validators=[Length(max=20)])
    roles = MultiCheckboxField("角色", choices=list(ROLES.items()), validators=[DataRequired("至少选一个角色")])
    areas = MultiCheckboxField("管理范围(乡镇/村/社区,含其下所有安置点)", coerce=int, validate_choice=False)
    sites = MultiCheckboxField("管理范围(单个安置点)", coerce=int, validate_choice=False)
    active = BooleanField("启用", default=True)
    household_id = IntegerField("本人家庭户号(评分、审批时自家须回避;不是住户可不填)", validators=[Opt()])
    password = PasswordField("初始密码 / 重置密码", validators=[Opt(), Length(8, 200, "密码至少 8 位")])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    actor = SelectField("操作人", coerce=int, validate_choice=False, validators=[Opt()])
    action = StringField("操作", validators=[Opt(), Length(max=64)])
    object_type = StringField("对象类型", validators=[Opt(), Length(max=32)])
    object_id = StringField("对象编号", validators=[Opt(), Length(max=64)])
    date_from = StringField("起始日期", validators=[Opt(), Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式:2026-01-31")])
    date_to = StringField("截止日期", validators=[Opt(), Regexp(r"^\d{4}-\d{2}-\d{2}$", message="日期格式:2026-01-31")])
