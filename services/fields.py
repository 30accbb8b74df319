"""Parsing of submitted values into clean Python values, with Chinese messages on bad input.

The one set of field parsers: the services call them on what they are given, and the admin forms
(admin/fields.py) wrap them as WTForms validators, so a value is refused with the same message
wherever it comes in. Each raises ValidationFailed; none writes anything."""
from datetime import date, datetime
from typing import Optional

from models.clock import local_today, local_zone
from services.errors import ValidationFailed

#: the largest id or amount a database integer column holds
INT_MAX = 2**31 - 1


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def integer(value, label: str, low: int = -INT_MAX, high: int = INT_MAX) -> int:
    """A whole number within [low, high]; booleans, blanks and text like "1.5" are refused."""
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}必须是整数")
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"{label}必须是整数") from None
    if not low <= number <= high:
        raise ValidationFailed(f"{label}必须在 {low} 到 {high} 之间")
    return number


def optional_integer(value, label: str, low: int = -INT_MAX, high: int = INT_MAX) -> Optional[int]:
    """None when blank, else integer()."""
    return None if _blank(value) else integer(value, label, low, high)


def record_id(value, message: str) -> int:
    """An id a row could have (1 .. INT_MAX); anything else, blank included, is refused with `message`."""
    try:
        return integer(value, "", 1, INT_MAX)
    except ValidationFailed:
        raise ValidationFailed(message) from None


def text(value, label: str, limit: int, required: bool = True, field: Optional[str] = None) -> Optional[str]:
    """Stripped text of at most `limit` characters; None when empty and not required. `field` names the
    form field a refusal belongs beside (admin.fields.refused_on_field)."""
    named = {"field": field} if field else {}
    value = (value or "").strip() if isinstance(value, (str, type(None))) else str(value).strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}", **named)
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", **named)
    return value or None


def day(value, label: str, required: bool = True) -> Optional[date]:
    """A date in ISO form (2026-01-31); blank is refused when required, else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _blank(value):
        if required:
            raise ValidationFailed(f"请填写{label}")
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"{label}格式应为 2026-01-31") from None


def month(value, label: str = "月份", required: bool = True) -> Optional[tuple[int, int]]:
    """A month typed as 2026-01, as (year, month); blank is refused when required, else None."""
    if _blank(value):
        if required:
            raise ValidationFailed(f"请填写{label}")
        return None
    year, _, number = str(value).strip().partition("-")
    if not (len(year) == 4 and year.isdecimal() and number.isdecimal() and 1 <= int(number) <= 12
            and len(number) <= 2 and int(year) >= 1):
        raise ValidationFailed(f"{label}格式应为 2026-01")
    return int(year), int(number)


def past_date(value, label: str = "日期") -> date:
    """A date that is not in the future (local time); empty means today."""
    parsed = day(value, label, required=False) or local_today()
    if parsed > local_today():
        raise ValidationFailed(f"{label}不能晚于今天")
    return parsed


def local_datetime(value, label: str) -> datetime:
    """A local date and time (2026-01-31T09:30) as an aware datetime in the local zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=local_zone())
    if _blank(value):
        raise ValidationFailed(f"请填写{label}")
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"{label}格式应为 2026-01-31 09:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())
