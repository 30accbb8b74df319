"""Integrity screens: recusal declarations, anomaly audit, two-person goods controls, stocktake (盘点),
the points fund (资金台账) and its dashboard and exports."""
from flask import request

from admin import bp
from extensions import db
from services import recusal


@bp.after_app_request
def _write_recusal_refusals(response):
    """A refusal rolled back with its request is written to the audit log here (also for the kiosk API)."""
    try:
        recusal.write_pending_refusals()
    except Exception:  # never turn a refusal page into a 500
        db.session.rollback()
    return response
