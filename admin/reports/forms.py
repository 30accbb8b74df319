"""The POST forms of the report pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class ReportNarrativeForm(FlaskForm):
    """The monthly report's narrative; scope and month say which report it belongs to."""

    scope = HiddenField("范围")
    month = HiddenField("月份")
    work_done = TextAreaField("工作开展情况")
    issues = TextAreaField("存在问题")
    next_steps = TextAreaField("下步打算")


class ReportSignForm(FlaskForm):
    scope = HiddenField("范围")
    month = HiddenField("月份")
