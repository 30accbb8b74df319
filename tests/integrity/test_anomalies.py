"""Anomaly audit: every planted anomaly is found on generated data; thresholds; findings marked checked;
the page shows the findings of a run made in the background (never inside the request)."""
import time

import pytest
from sqlalchemy import select

from bench.plant_anomalies import measure, plant
from extensions import db
from models.recusal import AnomalyCheck, AnomalyRun
from services.errors import ValidationFailed
from services.integrity import anomalies, anomaly_runs


@pytest.fixture
def world(app):
    return plant(seed=12)


def test_every_planted_anomaly_is_found(world):
    results = measure(world)
    for rule, r in results.items():
        assert r["planted"] > 0, rule
        assert r["recall"] == 1.0, (rule, r["missed"])
    # the normal data is not drowned in false alarms
    assert sum(r["found"] - r["true"] for r in results.values()) <= 6, results


def test_thresholds_change_what_is_found(world):
    strict = anomalies.Thresholds(recorder_share=0.95)
    assert measure(world, strict)["recorder_share"]["true"] == 0
    late = anomalies.Thresholds(work_start_hour=0, work_end_hour=24)
    assert measure(world, late)["after_hours"]["found"] == 0


def test_thresholds_from_form(app):
    t = anomalies.Thresholds.from_form({"recorder_share": "0.5", "top_n": "3"})
    assert (t.recorder_share, t.top_n, t.large_award) == (0.5, 3, 50)
    with pytest.raises(ValidationFailed):
        anomalies.Thresholds.from_form({"recorder_share": "abc"})
    with pytest.raises(ValidationFailed):
        anomalies.Thresholds.from_form({"recorder_share": "2"})


def test_mark_checked_with_note(world, make_user):
    auditor = make_user("auditor")
    finding = next(f for f in anomalies.find(world.start, world.today) if f.rule == "after_hours")
    assert finding.entry_ids and finding.check is None
    with pytest.raises(ValidationFailed):
        anomalies.mark_checked(auditor, finding.rule, finding.fingerprint, "")
    anomalies.mark_checked(auditor, finding.rule, finding.fingerprint, "已核实:夜间抢险补记")
    again = next(f for f in anomalies.find(world.start, world.today) if f.fingerprint == finding.fingerprint)
    assert isinstance(again.check, AnomalyCheck) and again.check.note.startswith("已核实")


def _wait_for_run(timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.remove()
        run = db.session.execute(select(AnomalyRun).order_by(AnomalyRun.id.desc())).scalars().first()
        if run is not None and run.state != "running":
            return run
        time.sleep(0.1)
    raise AssertionError("the anomaly run did not finish")


def test_report_page_links_findings_to_entries(world, client, login, make_user):
    from flask import url_for

    auditor = make_user("auditor", sites=world.sites)
    login(auditor)
    query = f"?start={world.start}&end={world.today}"
    page = client.get("/admin/integrity/anomalies" + query).get_data(as_text=True)
    assert "还没有核查过" in page and "非工作时间录入" not in page  # nothing runs inside the request
    assert client.post("/admin/integrity/anomalies/run" + query).status_code == 302
    run = _wait_for_run()
    assert run.state == "done", run.findings
    page = client.get("/admin/integrity/anomalies" + query).get_data(as_text=True)
    assert "非工作时间录入" in page and "/admin/integrity/entries?ids=" in page and "重新核查" in page
    stored = {f.fingerprint for f in anomaly_runs.findings_of(run, None)}
    assert stored == {f.fingerprint for f in anomalies.find(world.start, world.today)}
    finding = next(f for f in anomalies.find(world.start, world.today) if f.rule == "award_before_redemption")
    with client.application.test_request_context():
        url = url_for("admin.integrity_entries", ids=",".join(map(str, finding.entry_ids)))
    entries = client.get(url).get_data(as_text=True)
    assert "超市兑换" in entries or "兑换" in entries
    response = client.post("/admin/integrity/anomalies/check", data={
        "rule": finding.rule, "fingerprint": finding.fingerprint, "note": "已问询,属实"}, follow_redirects=True)
    assert "已标记为已核查" in response.get_data(as_text=True)
    # the stored finding shows the check made after the run
    page = client.get("/admin/integrity/anomalies" + query + "&open=1").get_data(as_text=True)
    assert finding.fingerprint not in page


def test_a_run_answers_for_its_period_and_thresholds_and_each_user_sees_their_sites(world, make_user):
    auditor = make_user("auditor", sites=world.sites)
    thresholds = anomalies.Thresholds()
    run = anomaly_runs.start_run(auditor, world.start, world.today, thresholds)
    with pytest.raises(anomaly_runs.AnomalyRunning):
        anomaly_runs.start_run(auditor, world.start, world.today, thresholds)
    anomaly_runs.finish(run.id, anomaly_runs.compute(run.id))
    assert anomaly_runs.latest(world.start, world.today, thresholds).id == run.id
    assert anomaly_runs.latest(world.start, world.today, anomalies.Thresholds(top_n=3)) is None
    everything = anomaly_runs.findings_of(run, None)
    one_site = world.sites[0].id
    mine = anomaly_runs.findings_of(run, {one_site})
    assert mine and len(mine) < len(everything) and all(f.site_id == one_site for f in mine)
    from services.reports import today

    assert today.unchecked_findings(auditor) == (len(anomaly_runs.findings_of(run, {s.id for s in world.sites})),
                                                 run.finished_at)  # the home page's count, from the run
    failed = anomaly_runs.start_run(auditor, world.start, world.today, thresholds)
    anomaly_runs.finish(failed.id, None, "数据库断开")
    assert anomaly_runs.findings_of(failed, None) == []
