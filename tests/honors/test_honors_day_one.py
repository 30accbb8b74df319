"""Honor lists on day one: the 公示 gate for 发布, draft posters and script, lists on 公示 on the kiosk,
entries added by name (pinyin initials)."""
import re
import shutil
import subprocess
import tempfile

import pytest

from extensions import db
from models import HonorList, Household
from services.honors import poster
from tests.reliability.bad_input_helpers import logged_in
from tests.supermarket.kiosk_helpers import auth, paired_device


def _list(title_site: int, status: str) -> HonorList:
    return db.session.execute(db.select(HonorList).where(HonorList.site_id == title_site, HonorList.status == status)
                              .order_by(HonorList.id.desc())).scalars().first()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_publish_waits_for_the_end_of_the_notice_in_the_page_and_on_the_server(demo_app):
    client = logged_in(demo_app, "cadre", "cadre12345")
    running = _list(2, "notice")  # 公示 opened yesterday
    page = client.get(f"/admin/honors/{running.id}").get_data(as_text=True)
    assert re.search(r'<button type="submit" class="primary" disabled>发布光荣榜', page)
    assert "公示结束后才能发布" in page
    refused = client.post(f"/admin/honors/{running.id}/publish", data={"csrf_token": _token(page)})
    assert refused.status_code == 409 and "还没有结束" in refused.get_data(as_text=True)
    db.session.refresh(running)
    assert running.status == "notice"
    ended = _list(1, "notice")  # 公示 ended yesterday
    page = client.get(f"/admin/honors/{ended.id}").get_data(as_text=True)
    assert re.search(r'<button type="submit" class="primary" >发布光荣榜', page)
    assert client.post(f"/admin/honors/{ended.id}/publish", data={"csrf_token": _token(page)}).status_code == 302
    db.session.refresh(ended)
    assert ended.status == "published"


def _pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True).stdout


def test_posters_before_publishing_say_they_are_not_published(demo_app):
    on_notice, published = _list(2, "notice"), _list(1, "published")
    assert "公示稿 · 尚未发布" in _pdf_text(poster.render_pdf(on_notice, "A4"))
    assert "尚未发布" not in _pdf_text(poster.render_pdf(published, "A4"))
    html = logged_in(demo_app, "cadre", "cadre12345").get(f"/admin/honors/{on_notice.id}").get_data(as_text=True)
    assert "海报 A4 (PDF)(草稿)" in html and "村喇叭广播稿(草稿)" in html


def test_lists_on_notice_reach_the_kiosk_notices(demo_app):
    _device, token = paired_device(db.session.get(HonorList, _list(2, "notice").id).site)
    db.session.commit()
    notices = demo_app.test_client().get("/kiosk/api/device", headers=auth(token)).get_json()["notices"]
    on_notice = [n for n in notices if n.startswith("光荣榜公示 · ")]
    assert on_notice and "公示期" in on_notice[0] and "如有异议请联系" in on_notice[0]


def test_entries_are_added_by_name_or_pinyin_initials(demo_app):
    from models import StaffUser
    from services.honors import lists as honors

    cadre = db.session.execute(db.select(StaffUser).where(StaffUser.username == "cadre")).scalar_one()
    lst = honors.create_list(cadre, {"site_id": 1, "title": "十二月光荣榜", "period_start": "2026-12-01",
                                     "period_end": "2026-12-31", "extra_sections": "好邻居"})
    db.session.commit()
    section = lst.sections[0]
    home = db.session.execute(db.select(Household).where(Household.site_id == 1, Household.head_initials != "")
                              .order_by(Household.id.desc())).scalars().first()
    client = logged_in(demo_app, "cadre", "cadre12345")
    page = client.get(f"/admin/honors/{lst.id}?section_id={section.id}&q={home.head_initials}").get_data(as_text=True)
    assert home.head_name in page.split("的查找结果", 1)[1]
    by_name = client.get(f"/admin/honors/{lst.id}?section_id={section.id}&q={home.head_name}").get_data(as_text=True)
    assert f'name="household_id" value="{home.id}"' in by_name
    response = client.post(f"/admin/honors/{lst.id}/entries", data={
        "csrf_token": _token(by_name), "section_id": section.id, "household_id": home.id, "origin": "manual"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [e.household_id for e in db.session.get(HonorList, lst.id).sections[0].entries] == [home.id]
    nobody = client.get(f"/admin/honors/{lst.id}?section_id={section.id}&q=没有这个人").get_data(as_text=True)
    assert "本安置点没有找到“没有这个人”" in nobody
