"""What residents see of honor lists: the kiosk idle screen and the public page (no login).

Names are shown in full (an honor list is a positive list); the page must escape citations."""
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import HonorList
from services.earning import notices
from services.errors import NotFound
from services.honors.lists import notice_text, period_label


def as_dict(lst: HonorList) -> dict:
    """What the kiosk idle screen and the public page show: full names (positive list)."""
    return {
        "id": lst.id, "title": lst.title, "site": lst.site.name, "period": period_label(lst),
        "status": lst.status, "notice_text": notice_text(lst), "contact": lst.contact or "",
        "sections": [{"name": s.name, "entries": [{"name": e.display_name, "citation": e.citation}
                                                  for e in s.entries]} for s in lst.sections if s.entries],
    }


def published_honor_lists(site_id: int, limit: int = 3) -> list[dict]:
    """Hook for the kiosk idle screen: the site's latest published lists as plain data
    (names in full, citations as plain text: the page must escape them)."""
    rows = db.session.execute(
        select(HonorList).where(HonorList.site_id == site_id, HonorList.status == "published")
        .order_by(HonorList.period_end.desc(), HonorList.id.desc()).limit(limit)
    ).scalars()
    return [as_dict(lst) for lst in rows]


def honor_lists_on_notice(site_id: int, now: Optional[datetime] = None) -> list[dict]:
    """Hook for the kiosk idle screen next to notices.open_notices(): the site's honor lists whose
    公示 is running now (same dict shape as published_honor_lists, with notice_text and contact)."""
    rows = db.session.execute(
        select(HonorList).where(HonorList.site_id == site_id, HonorList.status == "notice")
        .order_by(HonorList.notice_start, HonorList.id)
    ).scalars()
    return [as_dict(lst) for lst in rows if notices.is_running(lst.notice_start, lst.notice_end, now)]


def public_list(list_id: int) -> HonorList:
    """A list anyone may see: published only (公示 lists show on the notice board and kiosk)."""
    lst = db.session.get(HonorList, list_id)
    if lst is None or lst.status != "published":
        raise NotFound("没有这个光荣榜,或者它还没有发布")
    return lst
