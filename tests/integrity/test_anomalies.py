"""Anomaly audit: every planted anomaly is found on generated data; thresholds; findings marked checked."""
import pytest

from bench.plant_anomalies import measure, plant
from models.recusal import AnomalyCheck
from services.errors import ValidationFailed
from services.integrity import anomalies


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


def test_report_page_links_findings_to_entries(world, client, login, make_user):
    from flask import url_for

    auditor = make_user("auditor", sites=world.sites)
    login(auditor)
    page = client.get(f"/admin/integrity/anomalies?start={world.start}&end={world.today}").get_data(as_text=True)
    assert "非工作时间录入" in page and "/admin/integrity/entries?ids=" in page
    finding = next(f for f in anomalies.find(world.start, world.today) if f.rule == "award_before_redemption")
    with client.application.test_request_context():
        url = url_for("admin.integrity_entries", ids=",".join(map(str, finding.entry_ids)))
    entries = client.get(url).get_data(as_text=True)
    assert "超市兑换" in entries or "兑换" in entries
    response = client.post("/admin/integrity/anomalies/check", data={
        "rule": finding.rule, "fingerprint": finding.fingerprint, "note": "已问询,属实"}, follow_redirects=True)
    assert "已标记为已核查" in response.get_data(as_text=True)
