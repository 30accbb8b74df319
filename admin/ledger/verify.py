"""The 账本校验 page: starts verify in the background and shows the stored report (never a full verify
inside a request); the latest seal, and sealing now (docs/decisions.md#ledger-seals)."""
import json
import threading

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from admin import background, bp
from admin.auth import roles_required
from admin.ledger.forms import ButtonForm
from extensions import db
from models.ledger import LEDGER_KINDS
from services.households.registry import LEDGER_KIND_LABELS
from services.ledger import seals, verify_runs


@bp.route("/ledger/verify")
@roles_required("auditor")
def ledger_verify():
    run = verify_runs.latest_run()
    document = json.loads(run.report) if run is not None and run.report else None
    sites, households = verify_runs.names_for(document) if document and "problems" in document else ({}, {})
    return render_template(
        "admin/verify.html", run=run, document=document, sites=sites, households=households,
        problem_labels=verify_runs.PROBLEM_LABELS, kind_labels=LEDGER_KIND_LABELS, kinds=LEDGER_KINDS,
        seal=seals.latest_seal(), seal_file=seals.latest_seal_file(), form=ButtonForm())


@bp.route("/ledger/verify", methods=["POST"])
@roles_required("auditor")
def ledger_verify_start():
    if not ButtonForm().validate_on_submit():
        flash("页面已过期,请刷新后再试", "error")
        return redirect(url_for("admin.ledger_verify"))
    try:
        run = verify_runs.start_run(current_user)
    except verify_runs.VerifyRunning as refused:
        flash(refused.message, "error")
        return redirect(url_for("admin.ledger_verify"))
    run_id = run.id
    db.session.commit()
    start_in_background(current_app._get_current_object(), run_id)
    flash("账本校验已开始,通常几秒到几分钟;本页会自动刷新显示结果", "success")
    return redirect(url_for("admin.ledger_verify"))


@bp.route("/ledger/seal", methods=["POST"])
@roles_required("auditor")
def ledger_seal_now():
    if not ButtonForm().validate_on_submit():
        flash("页面已过期,请刷新后再试", "error")
        return redirect(url_for("admin.ledger_verify"))
    try:
        code = seals.make_seal().code
    except seals.SealRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("admin.ledger_verify"))
    db.session.commit()
    flash(f"已封存账本,封存码 {code}", "success")
    return redirect(url_for("admin.ledger_verify"))


def start_in_background(app, run_id: int) -> threading.Thread:
    """Run verify (and the fund checks) against the newest seal file on a read snapshot, then store the
    report. Returns the thread (tests wait for it)."""
    return background.start_run(app, "verify", run_id, _report, verify_runs.finish_run)


def _report(_run_id: int) -> dict:
    from services.integrity.fund_verify import fund_verify
    from services.ledger.verify import verify

    seal, seal_error, path = None, None, seals.latest_seal_file()
    if path:
        try:
            seal = seals.load_seal(path)
        except seals.SealRefused as refused:
            seal_error = f"{refused.message}({path})"
    return verify_runs.report_document(verify(seal=seal), fund_verify(), seal_error)
