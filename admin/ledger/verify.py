"""The ledger verify report: the hash chain and balances of the points ledger, and the points fund."""
from flask import render_template
from flask_login import current_user

from admin import bp
from admin.auth import roles_required
from extensions import db
from services import database
from services.integrity.fund_verify import fund_verify
from services.ledger.verify import verify
from services.reports import today


@bp.route("/ledger/verify")
@roles_required("auditor")
def ledger_verify():
    report, fund = verify(), fund_verify()
    # the run is remembered so the auditor's home page can show the last result
    database.begin_writes()
    today.record_verify(current_user, report.ok and fund.ok, len(report.problems) + len(fund.problems))
    db.session.commit()
    return render_template("admin/verify.html", report=report, fund=fund)
