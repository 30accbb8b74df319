"""Staff pages for integrity: recusal, anomalies, two-person controls, stocktake (盘点), the points fund
(资金台账) with its adjustments and exports. This package holds what the topic modules share."""
from flask import flash, redirect, url_for

from extensions import db
from services.errors import ValidationFailed

STAFF = ("cadre", "committee", "shopkeeper", "auditor")


def _done(endpoint: str, message: str, **args):
    """Commit, flash `message` and redirect to `endpoint`."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **args))


def _first_error(form) -> ValidationFailed:
    """A refused form's first field error, for a form whose fields sit in a table row (flashed above it)."""
    messages = [message for errors in form.errors.values() for message in errors]
    return ValidationFailed(messages[0] if messages else "请刷新页面后重试")
