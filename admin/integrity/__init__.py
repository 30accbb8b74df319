"""Staff pages for integrity: recusal, anomalies, two-person controls, stocktake (盘点), the points fund
(资金台账) with its adjustments and exports. This package holds what the topic modules share."""
from flask import flash, redirect, request, url_for

from extensions import db
from services.errors import DomainError, ValidationFailed

STAFF = ("cadre", "committee", "shopkeeper", "auditor")


def _form_id(name: str) -> str:
    """The form value; an integer that cannot be an id (≤ 0, beyond the database integer) is refused here."""
    raw = (request.form.get(name) or "").strip()
    try:
        number = int(raw)
    except ValueError:
        return raw
    if not 0 < number < 2**31:
        raise ValidationFailed("所选的记录不存在,请刷新后重试")
    return raw


def _done(endpoint: str, message: str, **args):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **args))


def _failed(error: DomainError, endpoint: str, **args):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for(endpoint, **args))

