"""The forms of the staff pages: a staff account, and the audit log filter (a GET form)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.validators import Optional as Opt

from admin.fields import DayField, IdField, MultiCheckboxField
from models.staff import ROLES


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
    household_id = IdField("本人家庭户号(评分、审批时自家须回避;不是住户可不填)",
                           message="本人家庭户号应是住户编号(正整数)", required=False)
    password = PasswordField("初始密码 / 重置密码", validators=[Opt(), Length(8, 200, "密码至少 8 位")])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    actor = SelectField("操作人", coerce=int, validate_choice=False, validators=[Opt()])
    action = StringField("操作", validators=[Opt(), Length(max=64)])
    object_type = StringField("对象类型", validators=[Opt(), Length(max=32)])
    object_id = StringField("对象编号", validators=[Opt(), Length(max=64)])
    date_from = DayField("起始日期")
    date_to = DayField("截止日期")
