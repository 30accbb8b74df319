"""Parsing of submitted form values into clean Python values, with Chinese messages on bad input."""
from datetime import date
from typing import Optional

from models.clock import local_today
from services.errors import ValidationFailed


def integer(value, label: str, low: int, high: int) -> int:
    """A whole number within [low, high]; booleans and text like "1.5" are refused."""
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}必须是整数")
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"{label}必须是整数") from None
    if not low <= number <= high:
        raise ValidationFailed(f"{label}应在 {low} 到 {high} 之间")
    return number


def text(value, label: str, limit: int, required: bool = True) -> Optional[str]:
    """Stripped text of at most `limit` characters; None when empty and not required."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}")
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字")
    return value or None


def past_date(value) -> date:
    """A date that is not in the future (local time); empty means today."""
    if isinstance(value, date):
        day = value
    elif not value:
        return local_today()
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed("日期格式应为 年-月-日") from None
    if day > local_today():
        raise ValidationFailed("日期不能晚于今天")
    return day
