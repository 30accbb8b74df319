"""The forms of the household pages: 一户一档, 迁出, cards, Excel import, and the life events (分户, 合户,
户主变更, 成员增减, 换安置点, 迁出, 迁入). Field names are the names the templates post; ids, numbers,
dates and text parse through services/fields.py (admin/fields.py)."""
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

from admin.fields import DayField, IdField, IdListField, IntField, MultiCheckboxField, TextField, TextListField
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


class LifeEventForm(FlaskForm):
    """What every life event asks: the day it took effect (today when blank) and a note."""

    event_date = DayField("办理日期")
    note = TextField("说明 / 依据", limit=500)


class SplitForm(LifeEventForm):
    member_ids = IdListField("分出的成员", message="成员选择有误")
    new_head_id = IdField("新户户主", message="请选择新户的户主")
    policy = StringField("积分办法")
    amount = IntField("积分", required=False)
    site_id = IdField("新户安置点", message="请选择安置点", required=False)
    building = TextField("楼栋", limit=32)
    door_no = TextField("门牌", limit=32)
    phone = TextField("电话", limit=20)


class MergeForm(LifeEventForm):
    absorbed_id = IdField("被合并的户", message="请选择被合并的户")


class HeadChangeForm(LifeEventForm):
    new_head_id = IdField("新户主", message="请选择新户主")
    phone = TextField("新联系电话", limit=20)


class MemberAddForm(LifeEventForm):
    name = TextField("成员姓名", limit=64, required=True)
    relation = TextField("与户主关系", limit=16, default="子女")
    id_number = TextField("身份证号", limit=18)


class MemberDeceasedForm(LifeEventForm):
    member_id = IdField("成员", message="请选择成员")
    new_head_id = IdField("新户主", message="请选择新户主", required=False)


class MoveSiteForm(LifeEventForm):
    site_id = IdField("新安置点", message="请选择新安置点")
    building = TextField("楼栋", limit=32)
    door_no = TextField("门牌", limit=32)


class MoveOutEventForm(LifeEventForm):
    """迁出县外: the date and the note only."""


#: the form of each life event, by the URL's kind
LIFE_EVENT_FORMS = {"split": SplitForm, "merge": MergeForm, "head_change": HeadChangeForm,
                    "member_add": MemberAddForm, "member_deceased": MemberDeceasedForm,
                    "move_site": MoveSiteForm, "move_out": MoveOutEventForm}


class MoveInForm(LifeEventForm):
    site_id = IdField("安置点", message="请选择安置点")
    head_name = TextField("户主姓名", limit=64, required=True)
    id_number = TextField("身份证号", limit=18)
    phone = TextField("电话", limit=20)
    building = TextField("楼栋", limit=32)
    door_no = TextField("门牌", limit=32)
    member_name = TextListField("成员姓名", limit=64)
    member_relation = TextListField("关系", limit=16)
