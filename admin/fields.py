"""WTForms fields over services/fields.py: a submitted value is parsed by the same function the
services use, and a refusal becomes the field's Chinese error (shown beside it, the typed value kept).

Each field's `data` is the parsed value (None when blank and optional); `_value()` gives back what
was typed, so a re-rendered form shows the user's input, not a cleaned version of it."""
from wtforms import Field, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from services import fields
from services.errors import ValidationFailed


class ParsedField(Field):
    """A text input whose value goes through the subclass's `parse(raw)`; a ValidationFailed is the
    field's error."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        try:
            self.data = self.parse(self.raw)
        except ValidationFailed as error:
            self.data = None
            raise ValueError(error.message) from None

    def _value(self):
        if getattr(self, "raw", None) is not None:
            return self.raw
        return "" if self.data is None else self.shown(self.data)

    def shown(self, data) -> str:
        """How a parsed value (from the object or defaults, nothing typed yet) is put back in the input."""
        return str(data)


class IntField(ParsedField):
    """A whole number in [low, high] (fields.integer); blank is None unless required."""

    def __init__(self, label=None, validators=None, low=-fields.INT_MAX, high=fields.INT_MAX, required=True, **kw):
        super().__init__(label, validators, **kw)
        self.low, self.high, self.required = low, high, required

    def parse(self, raw):
        name = str(self.label.text)
        if self.required:
            return fields.integer(raw, name, self.low, self.high)
        return fields.optional_integer(raw, name, self.low, self.high)


class IdField(ParsedField):
    """The id of a row (fields.record_id), refused with `message`; blank is None unless required."""

    def __init__(self, label=None, validators=None, message="请选择", required=True, **kw):
        super().__init__(label, validators, **kw)
        self.message, self.required = message, required

    def parse(self, raw):
        if not self.required and not (raw or "").strip():
            return None
        return fields.record_id(raw, self.message)


class DayField(ParsedField):
    """A date typed as 2026-01-31 (fields.day); blank is None unless required."""

    def __init__(self, label=None, validators=None, required=False, **kw):
        kw.setdefault("render_kw", {"type": "date"})
        super().__init__(label, validators, **kw)
        self.required = required

    def parse(self, raw):
        return fields.day(raw, str(self.label.text), self.required)

    def shown(self, data) -> str:
        return data.isoformat()


class LocalDateTimeField(ParsedField):
    """A local date and time typed as 2026-01-31T09:30 (fields.local_datetime), always required."""

    def __init__(self, label=None, validators=None, **kw):
        kw.setdefault("render_kw", {"type": "datetime-local"})
        super().__init__(label, validators, **kw)

    def parse(self, raw):
        return fields.local_datetime(raw, str(self.label.text))

    def shown(self, data) -> str:
        return data.strftime("%Y-%m-%dT%H:%M")


class MonthField(ParsedField):
    """A month typed as 2026-01 (fields.month), data (year, month); blank is None unless required."""

    def __init__(self, label=None, validators=None, required=True, **kw):
        kw.setdefault("render_kw", {"type": "month"})
        super().__init__(label, validators, **kw)
        self.required = required

    def parse(self, raw):
        return fields.month(raw, str(self.label.text), self.required)

    def shown(self, data) -> str:
        return f"{data[0]:04d}-{data[1]:02d}"


class TextField(ParsedField):
    """Stripped text of at most `limit` characters (fields.text); blank is None unless required."""

    def __init__(self, label=None, validators=None, limit=200, required=False, **kw):
        super().__init__(label, validators, **kw)
        self.limit, self.required = limit, required

    def parse(self, raw):
        return fields.text(raw, str(self.label.text), self.limit, self.required)


class IdListField(Field):
    """Several ids under one name (checkboxes, repeated inputs), each parsed by fields.record_id and
    refused with `message`; `data` is the list in the order given, without repeats, empty when none
    was sent."""

    def __init__(self, label=None, validators=None, message="选择有误,请刷新后重试", **kw):
        kw.setdefault("default", list)
        super().__init__(label, validators, **kw)
        self.message = message

    def process_formdata(self, valuelist):
        self.data = []
        try:
            for raw in valuelist:
                parsed = fields.record_id(raw, self.message)
                if parsed not in self.data:
                    self.data.append(parsed)
        except ValidationFailed as error:
            self.data = []
            raise ValueError(error.message) from None

    def _value(self):
        return ",".join(str(value) for value in self.data or [])


class TextListField(Field):
    """Several texts under one name (repeated inputs), each stripped and at most `limit` characters
    (fields.text); `data` is the list, blanks kept as "" so rows stay aligned."""

    def __init__(self, label=None, validators=None, limit=64, **kw):
        super().__init__(label, validators, **kw)
        self.limit = limit

    def process_formdata(self, valuelist):
        self.data = []
        try:
            self.data = [fields.text(value, str(self.label.text), self.limit, required=False) or ""
                         for value in valuelist]
        except ValidationFailed as error:
            raise ValueError(error.message) from None


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes, one per choice; `data` is the list of checked values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def refused(render, error=None):
    """The form's page again, nothing written: `render()` shows the fields with their errors and typed
    values; `error` (a DomainError from a service) or a summary is flashed above. Status 400, or the
    error's own (403 for a refusal by role, 409 for a wrong state)."""
    from flask import flash

    from extensions import db

    db.session.rollback()
    flash(error.message if error is not None else "请改正标出的问题后再提交", "error")
    return render(), error.status if error is not None else 400


def refused_on_field(form, error, render):
    """A service's ValidationFailed shown beside the field it names (`field=` in its details), the
    typed values kept; flashed above the form when it names no field of this form."""
    name = error.details.get("field")
    if name and hasattr(form, name):
        getattr(form, name).errors = [error.message]
        return refused(render)
    return refused(render, error)
