"""村喇叭: a loudspeaker script made from an honor list, editable, and its audio file.

Audio comes from services.speech (espeak-ng voice cmn-latn-pinyin, converted to a small OGG);
when espeak-ng is missing the page says how to install it and still offers the script."""
import os
import re
from typing import Optional

from flask import current_app

from extensions import db
from models import HonorList
from services import speech
from services.errors import ValidationFailed
from services.staff import audit

SCRIPT_MAX = 5000
INSTALL_HINT = "sudo apt-get install -y espeak-ng sox libsox-fmt-all"


def default_script(lst: HonorList) -> str:
    """Greeting, each section with its households and citations, closing."""
    site = lst.site.name
    parts = [f"各位居民朋友们,大家好!现在播报{site}{lst.title}。",
             f"经评议和公示,以下住户被评为{_period_words(lst)}的先进。"]
    for section in lst.sections:
        if not section.entries:
            continue
        parts.append(f"获得“{section.name}”称号的有:")
        for entry in section.entries:
            line = f"{entry.display_name}家。"
            if entry.citation.strip():
                line += _sentence(entry.citation)
            parts.append(line)
    parts.append("让我们向他们学习,讲文明、树新风,共同建设我们的美好家园。谢谢大家!")
    return "\n".join(parts)


def script_of(lst: HonorList) -> str:
    return lst.broadcast_script if lst.broadcast_script else default_script(lst)


def save_script(actor, lst: HonorList, text: Optional[str]) -> None:
    """Store an edited script; an empty text goes back to the generated one."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > SCRIPT_MAX:
        raise ValidationFailed(f"广播稿请控制在 {SCRIPT_MAX} 字以内")
    if re.search(r"[A-Za-z]", text):
        raise ValidationFailed("广播稿里请不要写英文字母(喇叭会按英文读),数字可以直接写")
    before = lst.broadcast_script
    lst.broadcast_script = text or None
    db.session.flush()
    audit.record(actor, "honor.broadcast_script", "honor_list", lst.id, site_id=lst.site_id,
                 before={"script": before}, after={"script": lst.broadcast_script})


def audio_dir() -> str:
    return current_app.config.get("BROADCAST_AUDIO_DIR") or os.path.join(current_app.instance_path, "broadcast")


def can_broadcast(lst: HonorList) -> bool:
    """Only a published list goes on the loudspeaker: its script says "经评议和公示"
    (docs/decisions.md#day-one); before that the script is a draft and has no audio."""
    return lst.status == "published"


def require_published(lst: HonorList) -> None:
    if not can_broadcast(lst):
        from services.honors.lists import HonorWrongState

        raise HonorWrongState(f"光荣榜{lst.status_label},发布后才能生成广播音频;现在的广播稿只是草稿")


def audio_for(lst: HonorList) -> Optional[str]:
    """Path of the script's audio (made once, cached by content), or None without espeak-ng;
    refused (HonorWrongState) before the list is published."""
    require_published(lst)
    return speech.synthesize(script_of(lst), audio_dir())


def available() -> bool:
    return speech.espeak_available()


def _period_words(lst: HonorList) -> str:
    """Years are read digit by digit (二零二六年), months as numbers."""
    s, e = lst.period_start, lst.period_end
    if s.year == e.year:
        months = f"{s.month}月至{e.month}月" if s.month != e.month else f"{s.month}月"
        return f"{year_words(s.year)}年{months}"
    return f"{year_words(s.year)}年{s.month}月至{year_words(e.year)}年{e.month}月"


def year_words(year: int) -> str:
    return "".join("零一二三四五六七八九"[int(d)] for d in str(year))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1] in "。!?!?" else text + "。"
