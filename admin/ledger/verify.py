"""The ledger verify report: the hash chain and balances of the points ledger, and the points fund."""
from flask import render_template

from admin import bp
from admin.auth import roles_required
from services.integrity.fund_verify import fund_verify
from services.ledger.verify import verify


@bp.route("/ledger/verify")
@roles_required("auditor")
def ledger_verify():
    return render_template("admin/verify.html", report=verify(), fund=fund_verify())
