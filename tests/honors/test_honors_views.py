"""光荣榜 pages: create, pick, cite (escaped), 公示, posters; scope and roles."""
from datetime import date

import pytest

from extensions import db
from models import AwardType, HonorList
from services import ledger


@pytest.fixture
def setup(app, tmp_path, make_site, make_household, make_user):
    app.config.update(BROADCAST_AUDIO_DIR=str(tmp_path / "audio"), POSTER_CACHE_DIR=str(tmp_path / "posters"))
    site, other = make_site("和谐家园安置点"), make_site()
    db.session.add(AwardType(name="文明榜样户", bonus_points=30))
    cadre = make_user("cadre", sites=[site])
    home = make_household(site=site, head_name="欧阳𬌗")
    ledger.post(home, 40, "rule_award", None, None, None, "t:1", effective_date=date(2026, 10, 9))
    return dict(site=site, other=other, cadre=cadre, home=home,
                outsider=make_user("cadre", sites=[other]), shop=make_user("shopkeeper", sites=[site]))


def _create(client, setup):
    award = db.session.execute(db.select(AwardType)).scalar_one()
    response = client.post("/admin/honors/new", data={
        "site_id": setup["site"].id, "title": "2026年第四季度光荣榜", "period_start": "2026-10-01",
        "period_end": "2026-12-31", "award_type_ids": [award.id], "extra_sections": "积分之星、孝老爱亲户"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.execute(db.select(HonorList)).scalar_one()


def test_new_list_form_refuses_beside_the_field(setup, client, login):
    login(setup["cadre"])
    response = client.post("/admin/honors/new", data={
        "site_id": setup["site"].id, "title": "第四季度", "period_start": "2026-12-31", "period_end": "2026-10-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "结束日期不能早于开始日期" in page and 'class="field-error"' in page
    assert 'value="第四季度"' in page and 'value="2026-10-01"' in page
    assert db.session.execute(db.select(db.func.count(HonorList.id))).scalar_one() == 0


def test_cadre_builds_a_list_through_the_pages(setup, client, login):
    login(setup["cadre"])
    lst = _create(client, setup)
    assert [s.name for s in lst.sections] == ["文明榜样户", "积分之星", "孝老爱亲户"]
    page = client.get(f"/admin/honors/{lst.id}").get_data(as_text=True)
    assert "欧阳𬌗" in page and "推荐人选" in page  # suggested from earned points
    stars = lst.sections[1]
    client.post(f"/admin/honors/{lst.id}/entries", data={"section_id": stars.id, "household_id": setup["home"].id})
    entry = stars.entries[0]
    client.post(f"/admin/honors/{lst.id}/entries/{entry.id}/citation",
                data={"citation": '<img src=x onerror="alert(1)">热心公益'})
    page = client.get(f"/admin/honors/{lst.id}").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in page and "&lt;img src=x" in page
    bad = client.post(f"/admin/honors/{lst.id}/notice", data={"days": "0"}, follow_redirects=True)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "公示天数必须在 1 到 60 之间" in page
    assert 'class="field-error"' in page and 'name="days" type="number" min="1" max="60" value="0"' in page
    db.session.refresh(lst)
    assert lst.status == "draft"
    client.post(f"/admin/honors/{lst.id}/notice", data={"days": "7", "contact": "居委会"})
    db.session.refresh(lst)
    assert lst.status == "notice"
    for size, kind in (("A4", "application/pdf"), ("A3", "application/pdf"), ("png", "image/png")):
        response = client.get(f"/admin/honors/{lst.id}/poster/{size}")
        assert response.status_code == 200 and response.mimetype == kind
    # not published yet: the public page does not show it
    client.post("/admin/logout")
    assert client.get(f"/admin/public/honors/{lst.id}").status_code == 404


def test_scope_and_roles(setup, client, login):
    login(setup["cadre"])
    lst = _create(client, setup)
    client.post("/admin/logout")
    login(setup["outsider"])
    assert client.get(f"/admin/honors/{lst.id}").status_code == 403
    assert client.post(f"/admin/honors/{lst.id}/notice").status_code == 403
    assert client.get(f"/admin/honors/{lst.id}/poster/A4").status_code == 403
    client.post("/admin/logout")
    login(setup["shop"])
    assert client.get("/admin/honors").status_code == 403
    client.post("/admin/logout")
    assert client.get(f"/admin/honors/{lst.id}").status_code == 302  # to the login page
