"""The forms of the ledger pages: the year-end run (and its county/year query, a GET form)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import InputRequired

from admin.fields import IdField, IntField

#: the years the year-end page accepts
FIRST_YEAR, LAST_YEAR = 2000, 2100


class YearEndQueryForm(FlaskForm):
    """?county_id=&year= of the year-end page and its Excel dry run; both may be left out."""

    class Meta:
        csrf = False  # a GET query

    county_id = IdField("县", message="没有这个县", required=False)
    year = IntField("年份", low=FIRST_YEAR, high=LAST_YEAR, required=False)


class YearEndRunForm(FlaskForm):
    county_id = IdField("县", message="没有这个县")
    year = IntField("年份", low=FIRST_YEAR, high=LAST_YEAR)
    confirm = BooleanField("我已核对试算结果", validators=[InputRequired("请勾选“我已核对试算结果”后再执行")])


class ButtonForm(FlaskForm):
    """A POST with nothing but its CSRF token: start a verify run, make a seal."""
