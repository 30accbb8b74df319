"""光荣榜: candidates from awards and earned points, lifecycle with 公示, public page, poster."""
import subprocess
from datetime import date, datetime, timedelta

import pytest

from extensions import db
from models import AwardType, EvaluationRound, RoundNomination
from services import ledger
from services.earning import notices
from services.errors import Forbidden, ValidationFailed
from services.honors import lists as honors
from services.honors import poster, public
from services.honors.lists import HonorWrongState

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
RARE = "王𠮷䶮"  # characters WenQuanYi lacks (docs/decisions.md#fonts)


def _earn(home, points, when, kind="rule_award", key=None):
    return ledger.post(home, points, kind, None, None, None, key or f"t:{home.id}:{points}:{when}:{kind}",
                       effective_date=when)


@pytest.fixture
def world(app, tmp_path, make_site, make_household, make_user):
    app.config.update(BROADCAST_AUDIO_DIR=str(tmp_path / "audio"), POSTER_CACHE_DIR=str(tmp_path / "posters"))
    site, other_site = make_site("幸福家园安置点"), make_site()
    cadre = make_user("cadre", sites=[site])
    committee = make_user("committee", sites=[site])
    outsider = make_user("cadre", sites=[other_site])
    party = AwardType(name="党员示范户", bonus_points=30, sort_order=0)
    rich = AwardType(name="致富光荣户", bonus_points=30, sort_order=1)
    db.session.add_all([party, rich])
    spender = make_household(site=site, head_name="李堃")
    saver = make_household(site=site, head_name=RARE)
    quiet = make_household(site=site, head_name="赵海")
    _earn(spender, 90, date(2026, 10, 5))
    _earn(saver, 60, date(2026, 11, 5))
    ledger.post(spender, -85, "redemption", None, None, None, "redeem:x1", effective_date=date(2026, 11, 6))
    rnd = EvaluationRound(site_id=site.id, title="2026年第4季度", period_start=Q4[0], period_end=Q4[1],
                          status="posted", created_by_id=cadre.id)
    db.session.add(rnd)
    db.session.flush()
    db.session.add(RoundNomination(round_id=rnd.id, household_id=quiet.id, award_type_id=party.id,
                                   bonus_points=30, nominated_by_id=committee.id))
    _earn(quiet, 30, Q4[1], "award", f"round:{rnd.id}:{quiet.id}:award:{party.id}")
    db.session.flush()
    return dict(site=site, other_site=other_site, cadre=cadre, committee=committee, outsider=outsider,
                party=party, rich=rich, spender=spender, saver=saver, quiet=quiet)


def _new_list(world, **extra):
    data = {"site_id": world["site"].id, "title": "2026年第四季度光荣榜", "period_start": "2026-10-01",
            "period_end": "2026-12-31", "award_type_ids": [str(world["party"].id), str(world["rich"].id)],
            "extra_sections": "积分之星"}
    data.update(extra)
    return honors.create_list(world["cadre"], data)


def _full_list(world):
    lst = _new_list(world)
    party, _rich, stars = lst.sections
    honors.add_entry(world["cadre"], lst, party.id, world["quiet"].id, "带头清扫楼道,义务照顾孤寡老人。", "award")
    honors.add_entry(world["cadre"], lst, stars.id, world["saver"].id, "<script>alert(1)</script>热心助人", "ranking")
    honors.add_entry(world["cadre"], lst, stars.id, world["spender"].id, "积极参加志愿服务。", "ranking")
    return lst


def test_candidates_come_from_awards_and_earned_points(world):
    lst = _new_list(world)
    party, rich, stars = lst.sections
    by_award = honors.candidates(lst, party)
    assert by_award[0].head_name == "赵海" and by_award[0].awards == ["党员示范户"]
    ranked = [(c.head_name, c.earned, c.rank) for c in honors.candidates(lst, stars)]
    # earned, not balance: the spender (balance 5) still ranks first
    assert ranked == [("李堃", 90, 1), (RARE, 60, 2), ("赵海", 30, 3)]
    honors.add_entry(world["cadre"], lst, stars.id, world["spender"].id, "", "ranking")
    assert [c.head_name for c in honors.candidates(lst, stars)] == [RARE, "赵海"]
    assert honors.add_entry(world["cadre"], lst, rich.id, world["saver"].id).earned == 60


def test_entries_are_validated_and_ordered(world, make_household):
    lst = _new_list(world)
    stars = lst.sections[2]
    stranger = make_household(site=world["other_site"], head_name="外人")
    with pytest.raises(ValidationFailed, match="本安置点"):
        honors.add_entry(world["cadre"], lst, stars.id, stranger.id)
    first = honors.add_entry(world["cadre"], lst, stars.id, world["saver"].id)
    second = honors.add_entry(world["cadre"], lst, stars.id, world["spender"].id)
    with pytest.raises(ValidationFailed, match="已经在"):
        honors.add_entry(world["cadre"], lst, stars.id, world["saver"].id)
    with pytest.raises(ValidationFailed, match="200"):
        honors.set_citation(world["cadre"], lst, first.id, "好" * 201)
    honors.move_entry(world["cadre"], lst, second.id, -1)
    assert [e.display_name for e in lst.sections[2].entries] == ["李堃", RARE]
    honors.remove_entry(world["cadre"], lst, second.id)
    assert [e.display_name for e in lst.sections[2].entries] == [RARE]
    with pytest.raises(Forbidden):
        honors.add_entry(world["outsider"], lst, stars.id, world["spender"].id)
    with pytest.raises(Forbidden):
        honors.add_entry(world["committee"], lst, stars.id, world["spender"].id)


def test_lifecycle_notice_objection_publish(world):
    lst = _full_list(world)
    balances = {h: world[h].balance for h in ("quiet", "saver", "spender")}
    entries_before = db.session.execute(db.select(db.func.count()).select_from(ledger.LedgerEntry)).scalar_one()
    honors.open_notice(world["cadre"], lst, days=7, contact="社区居委会 0851-1234567", today=date(2027, 1, 4))
    assert (lst.status, lst.notice_start, lst.notice_end) == ("notice", date(2027, 1, 4), date(2027, 1, 10))
    on_notice = public.honor_lists_on_notice(world["site"].id, now=datetime(2027, 1, 5))
    assert on_notice[0]["notice_text"] == "公示期1月4日至1月10日" and on_notice[0]["contact"].startswith("社区居委会")
    assert public.honor_lists_on_notice(world["site"].id, now=notices.notice_ends_at(lst.notice_end)) == []
    with pytest.raises(HonorWrongState):
        honors.add_entry(world["cadre"], lst, lst.sections[1].id, world["quiet"].id)
    last_minute = notices.notice_ends_at(lst.notice_end) - timedelta(seconds=1)
    with pytest.raises(HonorWrongState, match="还没有结束"):
        honors.publish(world["cadre"], lst, now=last_minute)
    objection = honors.record_objection(world["committee"], lst, "事迹不实", lst.sections[0].entries[0].id, "居民甲")
    after = notices.notice_ends_at(lst.notice_end)
    with pytest.raises(HonorWrongState, match="异议"):
        honors.publish(world["cadre"], lst, now=after)
    honors.resolve_objection(world["cadre"], lst, objection.id, True, "核实后修改事迹")
    assert lst.status == "draft" and lst.notice_start is None
    honors.set_citation(world["cadre"], lst, lst.sections[0].entries[0].id, "带头清扫楼道。")
    honors.open_notice(world["cadre"], lst, today=date(2027, 1, 11))
    with pytest.raises(Forbidden):
        honors.publish(world["committee"], lst, now=datetime(2027, 2, 1))
    honors.publish(world["cadre"], lst, now=datetime(2027, 2, 1))
    honors.publish(world["cadre"], lst, now=datetime(2027, 2, 1))  # second submit is a no-op
    assert lst.status == "published" and lst.published_by_id == world["cadre"].id
    # an honor list never posts points (docs/decisions.md#awards-and-honors)
    assert {h: world[h].balance for h in balances} == balances
    assert db.session.execute(db.select(db.func.count()).select_from(ledger.LedgerEntry)).scalar_one() == entries_before
    listed = public.published_honor_lists(world["site"].id)
    assert listed[0]["sections"][0] == {"name": "党员示范户", "entries": [{"name": "赵海", "citation": "带头清扫楼道。"}]}
    assert public.published_honor_lists(world["other_site"].id) == []
    honors.withdraw(world["cadre"], lst, "户主受到处分,撤销荣誉")
    assert public.published_honor_lists(world["site"].id) == []


def test_notice_needs_citations(world):
    lst = _new_list(world)
    honors.add_entry(world["cadre"], lst, lst.sections[2].id, world["saver"].id, "")
    with pytest.raises(ValidationFailed, match="先进事迹"):
        honors.open_notice(world["cadre"], lst)


def _published(world):
    lst = _full_list(world)
    honors.open_notice(world["cadre"], lst, today=date(2027, 1, 4))
    honors.publish(world["cadre"], lst, now=datetime(2027, 2, 1))
    db.session.commit()
    return lst


def test_public_page_shows_published_lists_only_and_escapes(world, client):
    draft = _new_list(world)
    db.session.commit()
    assert client.get(f"/admin/public/honors/{draft.id}").status_code == 404
    lst = _published(world)
    page = client.get(f"/admin/public/honors/{lst.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert RARE in html and "赵海" in html and "幸福家园安置点" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert client.get(f"/admin/public/honors/{lst.id}/poster.png").headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("size,paper", [("A4", "(A4)"), ("A3", "(A3)")])
def test_poster_pdf_renders_chinese_with_embedded_cjk_font(world, tmp_path, size, paper):
    lst = _published(world)
    path = tmp_path / f"poster-{size}.pdf"
    path.write_bytes(poster.render_pdf(lst, size))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("光荣榜", "幸福家园安置点", "党员示范户", "赵海", "积分之星", "带头清扫楼道"):
        assert expected in text
    assert "𠮷" in text and "䶮" in text  # rare name characters survive
    assert "<script>alert(1)</script>" in text  # literal text, never interpreted
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts and " yes " in fonts  # embedded subset
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert paper in info


def test_poster_png_is_a_long_red_image(world, tmp_path, screenshot_dir):
    from io import BytesIO

    from PIL import Image

    lst = _published(world)
    data = poster.render_png(lst)
    image = Image.open(BytesIO(data)).convert("RGB")
    assert abs(image.width - 1240) <= 2 and image.height >= 1750
    assert image.getpixel((5, image.height // 2)) == poster.RED
    with open(f"{screenshot_dir}/honor-poster.png", "wb") as fh:
        fh.write(data)


def test_ranking_candidates_tie_share_a_rank_in_pinyin_order(world, make_household):
    site = world["site"]
    for name in ("周昇", "安赟"):
        _earn(make_household(site=site, head_name=name), 60, date(2026, 12, 1))
    lst = _new_list(world)
    rows = [(c.rank, c.head_name, c.earned) for c in honors.candidates(lst, lst.sections[2])]
    # 60-point tie: 安赟 (an), 王𠮷䶮 (wang), 周昇 (zhou) share rank 2
    assert rows == [(1, "李堃", 90), (2, "安赟", 60), (2, RARE, 60), (2, "周昇", 60), (5, "赵海", 30)]


def test_poster_png_is_cached_by_content(world, tmp_path, monkeypatch):
    lst = _published(world)
    first = poster.render_png(lst, str(tmp_path))
    monkeypatch.setattr(poster, "_png", lambda _lst: pytest.fail("rendered again"))
    assert poster.render_png(lst, str(tmp_path)) == first
    honors.withdraw(world["cadre"], lst, "测试")  # content changed: a new file would be rendered
    assert poster._digest(lst) not in {p.stem for p in tmp_path.iterdir()}


def test_entry_with_an_upheld_objection_can_be_removed(world):
    lst = _full_list(world)
    honors.open_notice(world["cadre"], lst, today=date(2027, 1, 4))
    target = lst.sections[2].entries[0]
    objection = honors.record_objection(world["committee"], lst, "不是本安置点住户", target.id)
    honors.resolve_objection(world["cadre"], lst, objection.id, True, "核实属实,移除")
    honors.remove_entry(world["cadre"], lst, target.id)
    db.session.commit()
    db.session.expire_all()
    assert [o.status for o in honors.objections(lst)] == ["upheld"]
    assert target.id not in {e.id for e in honors.entries_of(lst)}
