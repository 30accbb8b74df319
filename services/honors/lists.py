"""光荣榜: draft → 公示 (notice) → published (or withdrawn).

Candidates come from data: posted 五评五奖 award nominations of the period and the ranking by
points EARNED in the period (services.honors.rankings; spending never lowers an honor). The cadre picks,
orders and writes a citation per household. 公示 uses the same date math as evaluation rounds
(services.earning.notices). An honor list never posts points (docs/decisions.md#awards-and-honors)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import func, select, update

from extensions import db
from models import AwardType, HonorEntry, HonorList, HonorObjection, HonorSection, Household
from models.clock import local_today, utcnow
from services import fields
from services.earning import notices
from services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.honors.candidates import Candidate, awards_in_period, candidates  # noqa: F401 (re-exported)
from services.honors.rankings import ranking
from services.integrity.recusal import ensure_not_recused
from services.staff import audit
from services.staff.scope import allowed_site_ids, require_site

#: a section suggested from the ranking alone when no award type fits
RANKING_SECTION = "积分之星"
CITATION_MAX = 200


class HonorWrongState(DomainError):
    code = "honor_wrong_state"
    status = 409
    message = "光荣榜当前的状态不允许这个操作"


# ------------------------------------------------------------------ lists
def visible_lists(user, site_id: Optional[int] = None) -> list[HonorList]:
    query = select(HonorList).order_by(HonorList.period_end.desc(), HonorList.id.desc())
    sites = allowed_site_ids(user)
    if sites is not None:
        query = query.where(HonorList.site_id.in_(sites))
    if site_id:
        query = query.where(HonorList.site_id == site_id)
    return list(db.session.execute(query).scalars())


def get_list(user, list_id: int) -> HonorList:
    lst = db.session.get(HonorList, list_id)
    if lst is None:
        raise NotFound("没有这个光荣榜")
    require_site(user, lst.site_id)
    return lst


def create_list(actor, data: dict) -> HonorList:
    """A draft list with one section per chosen award type plus custom section names."""
    _require_cadre(actor)
    site_id = fields.integer(data.get("site_id"), "安置点", 1)
    require_site(actor, site_id)
    title = fields.text(data.get("title"), "标题", 64)
    start, end = fields.day(data.get("period_start"), "开始日期"), fields.day(data.get("period_end"), "结束日期")
    if end < start:
        raise ValidationFailed("结束日期不能早于开始日期")
    lst = HonorList(site_id=site_id, title=title, period_start=start, period_end=end, status="draft",
                    created_by_id=actor.id, notice_days=7)
    db.session.add(lst)
    award_ids = [int(a) for a in data.get("award_type_ids", []) if str(a).isdigit()]
    awards = db.session.execute(select(AwardType).where(AwardType.id.in_(award_ids))
                                .order_by(AwardType.sort_order, AwardType.id)).scalars().all() if award_ids else []
    names = [a.name for a in awards]
    for order, award in enumerate(awards):
        lst.sections.append(HonorSection(name=award.name, award_type_id=award.id, sort_order=order))
    for extra in _split_names(data.get("extra_sections", "")):
        if extra not in names:
            names.append(extra)
            lst.sections.append(HonorSection(name=extra, sort_order=len(names)))
    if not lst.sections:
        raise ValidationFailed("请至少选一个奖项或填写一个栏目名称")
    db.session.flush()
    _log(actor, lst, "honor.create", title=title, sections=names)
    return lst


def add_section(actor, lst: HonorList, name: str) -> HonorSection:
    _require_editable(actor, lst)
    name = fields.text(name, "栏目名称", 32)
    if any(s.name == name for s in lst.sections):
        raise ValidationFailed("这个栏目已经有了")
    section = HonorSection(name=name, sort_order=len(lst.sections))
    lst.sections.append(section)
    db.session.flush()
    _log(actor, lst, "honor.section", name=name)
    return section


# ------------------------------------------------------------------ entries
def add_entry(actor, lst: HonorList, section_id: int, household_id: int, citation: str = "",
              origin: str = "manual") -> HonorEntry:
    _require_editable(actor, lst)
    section = _section(lst, section_id)
    home = db.session.get(Household, household_id)
    if home is None or home.site_id != lst.site_id:
        raise ValidationFailed("只能把本安置点的住户列入光荣榜")
    ensure_not_recused(actor, home.id, "honor.nominate")
    if home.status != "active":
        raise ValidationFailed("这一户已迁出或合户,不能列入光荣榜")
    if any(e.household_id == home.id for e in section.entries):
        raise ValidationFailed(f"{home.head_name}家已经在“{section.name}”栏目里了")
    earned = {r.household_id: r.earned for r in ranking(lst.period_start, lst.period_end, site_id=lst.site_id)}
    entry = HonorEntry(household_id=home.id, display_name=home.head_name, citation=_citation(citation),
                       sort_order=len(section.entries), earned=earned.get(home.id, 0),
                       origin=origin if origin in ("award", "ranking", "manual") else "manual")
    section.entries.append(entry)
    db.session.flush()
    _log(actor, lst, "honor.entry_add", entry_id=entry.id, household_id=home.id, section=section.name)
    return entry


def find_households(actor, lst: HonorList, q: str, limit: int = 20) -> list[Household]:
    """Active households of the list's site matching `q` (name, member, phone, door, 户号, or pinyin
    initials such as "zs" for 张三), as the household list searches; for adding an entry by name."""
    from services.households.registry import HouseholdFilter, search

    q = (q or "").strip()
    if not q:
        return []
    query = search(actor, HouseholdFilter(q=q[:32], site_id=lst.site_id, status="active"))
    return list(db.session.execute(query.limit(limit)).scalars())


def set_citation(actor, lst: HonorList, entry_id: int, citation: str) -> HonorEntry:
    _require_editable(actor, lst)
    entry = _entry(lst, entry_id)
    before = entry.citation
    entry.citation = _citation(citation)
    db.session.flush()
    audit.record(actor, "honor.citation", "honor_list", lst.id, site_id=lst.site_id,
                 before={"entry_id": entry.id, "citation": before}, after={"entry_id": entry.id,
                                                                          "citation": entry.citation})
    return entry


def move_entry(actor, lst: HonorList, entry_id: int, step: int) -> None:
    """Move an entry up (step -1) or down (+1) within its section."""
    _require_editable(actor, lst)
    entry = _entry(lst, entry_id)
    entries = list(entry.section.entries)
    index = entries.index(entry)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(entries):
        entries[index], entries[target] = entries[target], entries[index]
    for order, item in enumerate(entries):
        item.sort_order = order
    db.session.flush()
    db.session.expire(entry.section, ["entries"])


def remove_entry(actor, lst: HonorList, entry_id: int) -> None:
    _require_editable(actor, lst)
    entry = _entry(lst, entry_id)
    section = entry.section
    section.entries.remove(entry)
    for order, item in enumerate(section.entries):
        item.sort_order = order
    db.session.flush()
    _log(actor, lst, "honor.entry_remove", entry_id=entry_id, household_id=entry.household_id)


def entries_of(lst: HonorList) -> list[HonorEntry]:
    return [e for s in lst.sections for e in s.entries]


# ------------------------------------------------------------------ 公示 and publishing
def open_notice(actor, lst: HonorList, days=None, contact: Optional[str] = None,
                today: Optional[date] = None) -> None:
    """draft → notice: an N-day 公示 from today (docs/decisions.md#notices); every entry needs a citation."""
    _require_approver(actor, lst)
    if lst.status != "draft":
        raise HonorWrongState(f"光荣榜{lst.status_label},只有草稿可以开始公示")
    entries = entries_of(lst)
    if not entries:
        raise ValidationFailed("光荣榜还没有任何住户")
    missing = [e.display_name for e in entries if not e.citation.strip()]
    if missing:
        raise ValidationFailed("请先填写先进事迹:" + "、".join(missing[:10]))
    if days is not None and str(days).strip():
        lst.notice_days = fields.integer(days, "公示天数", 1, notices.MAX_NOTICE_DAYS)
    if contact and contact.strip():
        lst.contact = contact.strip()[:200]
    _claim(lst, "draft", "notice")
    lst.notice_start, lst.notice_end = notices.notice_window(today or local_today(), lst.notice_days)
    db.session.flush()
    _log(actor, lst, "honor.notice", notice_start=lst.notice_start, notice_end=lst.notice_end)


def record_objection(actor, lst: HonorList, content: str, entry_id=None, raised_by: str = "") -> HonorObjection:
    require_site(actor, lst.site_id)
    if lst.status != "notice":
        raise HonorWrongState("只有公示期间可以登记异议")
    entry = _entry(lst, int(entry_id)) if entry_id not in (None, "", "0", 0) else None
    content = (content or "").strip()
    if not content or len(content) > 1000:
        raise ValidationFailed("请填写异议内容(1000 字以内)")
    objection = HonorObjection(list_id=lst.id, entry_id=entry.id if entry else None, content=content,
                               raised_by=(raised_by or "").strip()[:64] or None, recorded_by_id=actor.id)
    db.session.add(objection)
    db.session.flush()
    _log(actor, lst, "honor.objection", objection_id=objection.id, entry_id=objection.entry_id)
    return objection


def resolve_objection(actor, lst: HonorList, objection_id: int, upheld: bool, resolution: str) -> None:
    """Rejected: the reason is recorded. Upheld: the list goes back to draft for correction and
    needs a new 公示."""
    _require_approver(actor, lst)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed("请填写处理意见" if upheld else "请填写不成立的理由")
    claimed = db.session.execute(
        update(HonorObjection).where(HonorObjection.id == objection_id, HonorObjection.list_id == lst.id,
                                     HonorObjection.status == "open")
        .values(status="upheld" if upheld else "rejected", resolution=resolution[:1000],
                resolved_by_id=actor.id, resolved_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise HonorWrongState("这条异议已经处理过了")
    if upheld and lst.status == "notice":
        _claim(lst, "notice", "draft")
        lst.notice_start = lst.notice_end = None
    db.session.flush()
    _log(actor, lst, "honor.objection_resolved", objection_id=objection_id, upheld=upheld)


def objections(lst: HonorList) -> list[HonorObjection]:
    return list(db.session.execute(select(HonorObjection).where(HonorObjection.list_id == lst.id)
                                   .order_by(HonorObjection.id)).scalars())


def open_objection_count(lst: HonorList) -> int:
    return db.session.execute(select(func.count(HonorObjection.id)).where(
        HonorObjection.list_id == lst.id, HonorObjection.status == "open")).scalar_one()


def publish(actor, lst: HonorList, now: Optional[datetime] = None) -> None:
    """notice → published, refused before the 公示 has ended or with open objections.
    A second submit is a no-op."""
    _require_approver(actor, lst)
    if lst.status == "published":
        return
    if lst.status != "notice":
        raise HonorWrongState(f"光荣榜{lst.status_label},公示结束后才能发布")
    if not notices.is_over(lst.notice_end, now):
        raise HonorWrongState(f"公示期({notices.period_text(lst.notice_start, lst.notice_end)})还没有结束,"
                              f"公示结束后才能发布")
    if open_objection_count(lst):
        raise HonorWrongState("还有未处理的异议,处理完后才能发布")
    _claim(lst, "notice", "published")
    lst.published_by_id, lst.published_at = actor.id, utcnow()
    db.session.flush()
    _log(actor, lst, "honor.published", entries=len(entries_of(lst)))


def withdraw(actor, lst: HonorList, reason: str) -> None:
    """撤销 (e.g. an honor withdrawn as a sanction): the list leaves the kiosk and public page."""
    _require_approver(actor, lst)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写撤销原因")
    if lst.status == "withdrawn":
        raise HonorWrongState("光荣榜已经撤销")
    _claim(lst, lst.status, "withdrawn")
    lst.withdrawn_reason = reason[:500]
    db.session.flush()
    _log(actor, lst, "honor.withdrawn", reason=reason)


def notice_text(lst: HonorList) -> str:
    if not lst.notice_start:
        return ""
    return "公示期" + notices.period_text(lst.notice_start, lst.notice_end)


def period_label(lst: HonorList) -> str:
    s, e = lst.period_start, lst.period_end
    return f"{s.year}年{s.month}月{s.day}日至{e.year}年{e.month}月{e.day}日"


# ------------------------------------------------------------------ helpers
def _require_cadre(actor) -> None:
    if not actor.has_role("cadre", "admin"):
        raise Forbidden("只有村/社区干部可以编制光荣榜")


def _require_editable(actor, lst: HonorList) -> None:
    require_site(actor, lst.site_id)
    _require_cadre(actor)
    if lst.status != "draft":
        raise HonorWrongState(f"光荣榜{lst.status_label},不能再修改(公示中的修改请先登记异议并处理)")


def _require_approver(actor, lst: HonorList) -> None:
    require_site(actor, lst.site_id)
    if not actor.has_role("cadre"):
        raise Forbidden("只有村/社区干部(审批人)可以做这一步")


def _claim(lst: HonorList, from_status: str, to_status: str) -> None:
    """Conditional UPDATE: only one request moves a list out of a state."""
    claimed = db.session.execute(
        update(HonorList).where(HonorList.id == lst.id, HonorList.status == from_status)
        .values(status=to_status).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise HonorWrongState("光荣榜状态刚被其他人改变,请刷新")
    lst.status = to_status


def _section(lst: HonorList, section_id) -> HonorSection:
    for section in lst.sections:
        if section.id == int(section_id):
            return section
    raise ValidationFailed("请选择栏目")


def _entry(lst: HonorList, entry_id) -> HonorEntry:
    for entry in entries_of(lst):
        if entry.id == int(entry_id):
            return entry
    raise NotFound("光荣榜里没有这一条")


def _citation(text) -> str:
    text = " ".join((text or "").split())
    if len(text) > CITATION_MAX:
        raise ValidationFailed(f"先进事迹请控制在 {CITATION_MAX} 字以内(现在 {len(text)} 字)")
    return text


def _split_names(raw) -> list[str]:
    names = []
    for part in str(raw or "").replace(",", ",").replace("、", ",").split(","):
        part = part.strip()
        if part:
            if len(part) > 32:
                raise ValidationFailed("栏目名称请控制在 32 字以内")
            names.append(part)
    return names








def _log(actor, lst: HonorList, action: str, **after) -> None:
    audit.record(actor, action, "honor_list", lst.id, site_id=lst.site_id, after=after or None)
