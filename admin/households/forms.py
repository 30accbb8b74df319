"""The forms of the household pages: 一户一档, 迁出, cards, Excel import, and 分户/合户/迁入 (life events).
Field names are the names the templates post; ids and dates parse through services/fields.py."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Regexp

from admin.fields import MultiCheckboxField
from models.household import HOUSEHOLD_TAGS
from services.households.registry import RELATIONS


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
