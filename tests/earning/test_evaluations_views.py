"""五评五奖 pages: the round workflow over HTTP, the grid JSON, the 公示 PDF, double submit of posting."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import EvaluationRound, LedgerEntry
from services.earning import evaluations, notices


@pytest.fixture
def world(app, make_site, make_household, make_user):
    evaluations.ensure_defaults()
    site = make_site()
    homes = [make_household(site, head_name=n, building="2栋", door_no=f"10{i}") for i, n in
             enumerate(("张三丰", "李䶮", "欧阳小明"))]
    committee = make_user("committee", sites=[site])
    cadre = make_user("cadre", sites=[site])
    return {"site": site, "homes": homes, "committee": committee, "cadre": cadre}


def create_round(client, world):
    resp = client.post("/admin/evaluations/new", data={
        "site_id": world["site"].id, "title": "2026年第3季度", "period_start": "2026-07-01",
        "period_end": "2026-09-30", "notice_days": "7", "contact": "李书记 13800000000"})
    assert resp.status_code == 302
    return db.session.execute(select(EvaluationRound)).scalar_one()


def test_committee_scores_through_the_grid_endpoint(world, client, login):
    login(world["committee"])
    rnd = create_round(client, world)
    assert client.post(f"/admin/evaluations/{rnd.id}/scoring").status_code == 302
    page = client.get(f"/admin/evaluations/{rnd.id}/grid").get_data(as_text=True)
    assert "遵纪守法" in page and "李䶮" in page and "党员示范户" in page
    db.session.expire_all()
    dim = rnd.config["dimensions"][0]["id"]
    url = f"/admin/evaluations/{rnd.id}/cell"
    ok = client.post(url, json={"household_id": world["homes"][0].id, "dimension_id": dim, "score": 9})
    assert ok.status_code == 200 and ok.json == {"ok": True, "total_score": 9, "points": 9}
    bad = client.post(url, json={"household_id": world["homes"][0].id, "dimension_id": dim, "score": 99},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "0 到 10" in bad.json["message"]
    award = rnd.config["awards"][1]["id"]
    assert client.post(url, json={"household_id": world["homes"][0].id, "award_type_id": award, "on": True}).status_code == 200
    # committee members cannot open the notice
    resp = client.post(f"/admin/evaluations/{rnd.id}/notice", data={"days": "7"})
    assert resp.status_code == 403


def test_notice_pdf_objection_and_posting_over_http(world, client, login, app):
    rnd = evaluations.create_round(world["committee"], {
        "site_id": world["site"].id, "title": "2026年第3季度", "period_start": "2026-07-01",
        "period_end": "2026-09-30", "contact": "李书记"})
    evaluations.start_scoring(world["committee"], rnd)
    for home in world["homes"]:
        evaluations.set_score(world["committee"], rnd, home.id, rnd.config["dimensions"][0]["id"], 7)
    login(world["cadre"])
    resp = client.post(f"/admin/evaluations/{rnd.id}/notice", data={"days": "5", "contact": "李书记 0851-1234"},
                       follow_redirects=True)
    assert "已开始公示" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert (rnd.notice_end - rnd.notice_start).days == 4
    pdf = client.get(f"/admin/evaluations/{rnd.id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    detail = client.get(f"/admin/evaluations/{rnd.id}").get_data(as_text=True)
    assert "欧**明" in detail and "公示期" in detail
    # posting before the notice ends is refused with a clear message
    early = client.post(f"/admin/evaluations/{rnd.id}/post", follow_redirects=True).get_data(as_text=True)
    assert "还没有结束" in early
    line = evaluations.lines_of(rnd)[0]
    client.post(f"/admin/evaluations/{rnd.id}/objection", data={"line_id": line.id, "content": "分数偏高"})
    db.session.expire_all()
    objection = evaluations.objections(rnd)[0]
    resp = client.post(f"/admin/evaluations/{rnd.id}/resolve",
                       data={"objection_id": objection.id, "upheld": "0", "resolution": "经核实无误"},
                       follow_redirects=True)
    assert "异议已处理" in resp.get_data(as_text=True)
    assert db.session.execute(select(db.func.count(LedgerEntry.id))).scalar_one() == 0


def test_pdf_text_has_site_period_dates_and_contact(world, app):
    rnd = evaluations.create_round(world["committee"], {
        "site_id": world["site"].id, "title": "2026年第3季度", "period_start": "2026-07-01",
        "period_end": "2026-09-30", "contact": "李书记 0851-1234"})
    evaluations.start_scoring(world["committee"], rnd)
    evaluations.set_score(world["committee"], rnd, world["homes"][1].id, rnd.config["dimensions"][0]["id"], 6)
    evaluations.set_nomination(world["committee"], rnd, world["homes"][1].id, rnd.config["awards"][0]["id"], True)
    from datetime import date

    evaluations.open_notice(world["cadre"], rnd, today=date(2026, 10, 8))
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(notices.notice_pdf(rnd))
        fh.flush()
        text = subprocess.run(["pdftotext", "-layout", fh.name, "-"], capture_output=True, text=True).stdout
    for expected in (world["site"].name, "2026年第3季度", "10月8日至10月14日", "李书记 0851-1234", "李*", "党员示范户"):
        assert expected in text, expected
    assert "李䶮" not in text


def test_double_submit_of_posting_posts_once(world, app, tmp_path):
    rnd = evaluations.create_round(world["committee"], {
        "site_id": world["site"].id, "title": "2026年第3季度", "period_start": "2026-07-01", "period_end": "2026-09-30"})
    evaluations.start_scoring(world["committee"], rnd)
    for home in world["homes"]:
        evaluations.set_score(world["committee"], rnd, home.id, rnd.config["dimensions"][0]["id"], 8)
    evaluations.set_nomination(world["committee"], rnd, world["homes"][0].id, rnd.config["awards"][0]["id"], True)
    evaluations.open_notice(world["cadre"], rnd, today=notices.notice_window(
        rnd.period_end, 1)[0] + timedelta(days=1))
    round_id, cadre_name = rnd.id, world["cadre"].username
    db.session.commit()
    results = []

    def submit():
        client = app.test_client()
        client.post("/admin/login", data={"username": cadre_name, "password": "password123"})
        barrier.wait()
        results.append(client.post(f"/admin/evaluations/{round_id}/post").status_code)

    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [302, 302, 302]
    db.session.expire_all()
    entries = db.session.execute(select(LedgerEntry)).scalars().all()
    assert len(entries) == 4  # 3 score lines + 1 award
    assert db.session.get(EvaluationRound, round_id).status == "posted"
    from services.ledger.verify import verify

    assert verify().ok


def test_posted_round_page_and_reversal(world, client, login):
    rnd = evaluations.create_round(world["committee"], {
        "site_id": world["site"].id, "title": "2026年第2季度", "period_start": "2026-04-01", "period_end": "2026-06-30"})
    evaluations.start_scoring(world["committee"], rnd)
    evaluations.set_score(world["committee"], rnd, world["homes"][0].id, rnd.config["dimensions"][0]["id"], 9)
    evaluations.open_notice(world["cadre"], rnd, today=notices.notice_window(rnd.period_end, 1)[0])
    evaluations.post_round(world["cadre"], rnd, now=notices.notice_ends_at(rnd.notice_end))
    login(world["cadre"])
    page = client.get(f"/admin/evaluations/{rnd.id}").get_data(as_text=True)
    assert "入账明细" in page and "张三丰" in page and "已入账" in page
    resp = client.post(f"/admin/evaluations/{rnd.id}/reverse",
                       data={"household_id": world["homes"][0].id, "reason": "评分录错"}, follow_redirects=True)
    assert "已冲正" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert world["homes"][0].balance == 0
    # a posted round refuses every other step
    for action in ("scoring", "notice", "cancel"):
        text = client.post(f"/admin/evaluations/{rnd.id}/{action}", data={"reason": "x"},
                           follow_redirects=True).get_data(as_text=True)
        assert "已入账" in text


def test_json_endpoints_need_csrf_when_enabled(world, tmp_path, sqlite_template):
    """With CSRF on (as in production), the grid and sign-in JSON posts need the token header."""
    import shutil

    from app import create_app
    from tests.conftest import test_settings

    path = tmp_path / "csrf.db"
    shutil.copyfile(sqlite_template, path)
    csrf_app = create_app(test_settings(f"sqlite:///{path}", WTF_CSRF_ENABLED=True))
    client = csrf_app.test_client()
    resp = client.post("/admin/evaluations/1/cell", json={"household_id": 1, "dimension_id": 1, "score": 5})
    assert resp.status_code == 400
    resp = client.post("/admin/activities/1/signin/scan", json={"token": "A" * 26})
    assert resp.status_code == 400


def test_refused_round_forms_keep_values_and_write_nothing(world, client, login, make_user):
    login(world["committee"])
    resp = client.post("/admin/evaluations/new", data={
        "site_id": world["site"].id, "title": "2026年第3季度", "period_start": "2026-07-01",
        "period_end": "2026-02-30", "notice_days": "7"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "field-error" in text and "评议周期结束格式应为" in text
    assert 'value="2026-02-30"' in text and 'value="2026年第3季度"' in text
    assert db.session.execute(select(db.func.count(EvaluationRound.id))).scalar_one() == 0
    rnd = create_round(client, world)
    client.post(f"/admin/evaluations/{rnd.id}/scoring")
    login(world["cadre"])
    resp = client.post(f"/admin/evaluations/{rnd.id}/notice", data={"days": "六十一", "contact": "李书记"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "公示天数必须是整数" in text and 'value="六十一"' in text
    db.session.expire_all()
    assert rnd.status == "scoring"
    login(make_user("admin"))
    resp = client.post("/admin/evaluations/config", data={"what": "award", "name": "十星级文明户",
                                                           "bonus_points": "5000", "active": "1"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "奖励积分必须在 1 到 1000 之间" in text and 'value="5000"' in text
    assert "十星级文明户" not in [a.name for a in evaluations.award_types(False)]
