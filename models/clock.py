"""Time helpers: everything is stored as naive UTC; business dates use the configured zone."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    """Naive UTC now (the database columns hold naive UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc).astimezone(local_zone())


def local_today() -> date:
    return to_local(utcnow()).date()
