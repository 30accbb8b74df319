"""村喇叭: the script made from an honor list, editing it, and the offline audio."""
import os
import re
import shutil
from datetime import date

import pytest

from extensions import db
from models import HonorEntry, HonorList, HonorSection
from services import speech
from services.errors import ValidationFailed
from services.honors import broadcast
from services.honors.lists import HonorWrongState


def _require_espeak():
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("espeak-ng must be installed in CI (apt-get install espeak-ng sox)")
        pytest.skip("espeak-ng not installed")


@pytest.fixture
def honor_list(app, tmp_path, make_site, make_household, make_user):
    app.config.update(BROADCAST_AUDIO_DIR=str(tmp_path / "audio"), POSTER_CACHE_DIR=str(tmp_path / "posters"))
    site = make_site("阳光社区安置点")
    cadre = make_user("cadre", sites=[site])
    lst = HonorList(site_id=site.id, title="2026年第四季度光荣榜", period_start=date(2026, 10, 1),
                    period_end=date(2026, 12, 31), created_by_id=cadre.id, status="published")
    lst.site = site
    section = HonorSection(name="文明榜样户", sort_order=0)
    lst.sections.append(section)
    for name, citation in (("张喆", "长期照顾邻居孤寡老人,帮扶三特户代购12次"), ("李堃", "主动化解邻里纠纷")):
        home = make_household(site=site, head_name=name)
        section.entries.append(HonorEntry(household_id=home.id, display_name=name, citation=citation))
    db.session.add(lst)
    db.session.flush()
    return lst, cadre


def test_script_has_greeting_each_household_with_citation_and_closing(honor_list):
    lst, _ = honor_list
    script = broadcast.default_script(lst)
    lines = script.split("\n")
    assert lines[0].startswith("各位居民朋友们,大家好!") and "阳光社区安置点" in lines[0]
    assert "二零二六年10月至12月" in script
    assert "获得“文明榜样户”称号的有:" in script
    assert "张喆家。长期照顾邻居孤寡老人,帮扶三特户代购12次。" in script
    assert script.index("张喆家") < script.index("李堃家")
    assert lines[-1].endswith("谢谢大家!")


def test_edited_script_is_kept_validated_and_audited(honor_list):
    from models import AuditLog

    lst, cadre = honor_list
    broadcast.save_script(cadre, lst, "各位居民:表扬张喆家。\r\n谢谢!")
    assert broadcast.script_of(lst) == "各位居民:表扬张喆家。\n谢谢!"
    with pytest.raises(ValidationFailed, match="英文字母"):
        broadcast.save_script(cadre, lst, "表扬 ABC 家")
    with pytest.raises(ValidationFailed, match="5000"):
        broadcast.save_script(cadre, lst, "好" * 5001)
    broadcast.save_script(cadre, lst, "   ")  # empty -> back to the generated script
    assert broadcast.script_of(lst) == broadcast.default_script(lst)
    actions = db.session.execute(db.select(AuditLog.action).where(AuditLog.object_type == "honor_list")).scalars()
    assert list(actions).count("honor.broadcast_script") == 2


def test_audio_exists_with_plausible_duration_and_pinyin_phonemes(honor_list):
    _require_espeak()
    lst, _ = honor_list
    script = broadcast.script_of(lst)
    path = broadcast.audio_for(lst)
    assert path and os.path.getsize(path) > 1000 and path.endswith(".ogg")
    assert broadcast.audio_for(lst) == path  # cached: same text, same file
    syllables = len(re.findall(r"[\u4e00-\u9fff]", speech._speakable(script)))
    seconds = speech.duration_seconds(path)
    # espeak-ng at 150 wpm reads roughly 2.5-6 Mandarin syllables a second
    assert syllables / 7 < seconds < syllables / 1.5, (syllables, seconds)
    output = speech.phonemes(script)
    assert "(en)" not in output  # the broken `cmn` voice switches to English tone-digit spelling
    assert not re.search(r"[a-z]+[1-5]\b", output.replace("\n", " "))


def test_without_espeak_the_page_explains_and_still_shows_the_script(honor_list, client, login, monkeypatch):
    lst, cadre = honor_list
    monkeypatch.setattr(speech, "espeak_available", lambda: False)
    login(cadre)
    html = client.get(f"/admin/honors/{lst.id}/broadcast").get_data(as_text=True)
    assert "apt-get install -y espeak-ng" in html and "张喆家" in html
    assert client.get(f"/admin/honors/{lst.id}/broadcast/audio").status_code == 404


@pytest.mark.parametrize("status", ["draft", "notice"])
def test_before_publishing_the_script_is_a_draft_and_has_no_audio(honor_list, client, login, status):
    lst, cadre = honor_list
    lst.status = status
    with pytest.raises(HonorWrongState, match="发布后才能生成广播音频"):
        broadcast.audio_for(lst)
    login(cadre)
    html = client.get(f"/admin/honors/{lst.id}/broadcast").get_data(as_text=True)
    assert "草稿" in html and "<audio" not in html and "张喆家" in html
    assert client.get(f"/admin/honors/{lst.id}/broadcast/audio").status_code == 409
