"""Household life events: 分户, 合户, 迁出/迁入, 县内换安置点, 户主变更, 成员增减.

Each event is ONE transaction (the view commits once): both households are locked in id
order, points move through services.ledger.post only, as a linked pair with the event id
(transfer_out / transfer_in, keys lifeevent:{id}:out|in, docs/decisions.md#idempotency-keys) or as a forfeit,
and the event is audited. No written rule exists in practice, so the points side is county
policy (config, read here with defaults):

LIFE_SPLIT_POLICY ("none"): default for 分户 — "none" (points stay with the original
    household, the suggested default), "by_members" (share of the balance by members moved,
    rounded down) or "amount" (the committee decides an amount ≤ balance).
LIFE_SPLIT_POLICIES (all three): which of them the committee may choose per event.
LIFE_MOVE_OUT_POLICY ("redeem_first"): 迁出 of the county — "redeem_first" refuses while
    points remain (redeem them first), "forfeit" posts the balance as a forfeit entry.
"""
import json
from datetime import date
from typing import Iterable, Optional

from flask import current_app
from pypinyin import Style, lazy_pinyin
from sqlalchemy import select, update

from extensions import db
from models import Card, Household, Member, Site
from models.clock import local_today, utcnow
from models.life_event import LifeEvent
from models.support import MonitoringCase, Problem, Responsibility
from services import ledger
from services.errors import ValidationFailed
from services.households.cards import issue_card
from services.integrity.recusal import ensure_not_recused
from services.staff import audit

SPLIT_POLICIES = {"none": "积分留在原户", "by_members": "按分出人口比例", "amount": "评议会决定的分数"}
MOVE_OUT_POLICIES = {"redeem_first": "迁出前先兑换", "forfeit": "迁出时积分作废"}


def split_policy() -> str:
    return current_app.config.get("LIFE_SPLIT_POLICY", "none")


def split_policies() -> tuple:
    return tuple(current_app.config.get("LIFE_SPLIT_POLICIES", tuple(SPLIT_POLICIES)))


def move_out_policy() -> str:
    return current_app.config.get("LIFE_MOVE_OUT_POLICY", "redeem_first")


# ------------------------------------------------------------------ helpers
def lock(*household_ids: int) -> dict[int, Household]:
    """Lock the households in id order (PostgreSQL FOR UPDATE; SQLite writes already run
    under BEGIN IMMEDIATE) and return them fresh from the database."""
    ids = sorted(set(household_ids))
    db.session.execute(select(Household.id).where(Household.id.in_(ids)).order_by(Household.id).with_for_update())
    homes = {}
    for hid in ids:
        home = db.session.get(Household, hid)
        if home is None:
            raise ValidationFailed("没有这一户")
        db.session.refresh(home, ["balance", "status", "site_id", "ledger_seq", "ledger_hash"])
        homes[hid] = home
    return homes


def _active(home: Household) -> None:
    if home.status != "active":
        raise ValidationFailed(f"{home.head_name} 户已迁出或合户,不能办理")


def _event(kind, home, actor, *, other=None, policy=None, points=0, details=None, note="",
           event_date: Optional[date] = None) -> LifeEvent:
    day = event_date or local_today()
    if day > local_today():
        raise ValidationFailed("办理日期不能晚于今天")
    ensure_not_recused(actor, [home.id, other.id if other else None], "life_event")
    event = LifeEvent(kind=kind, household_id=home.id, other_household_id=other.id if other else None,
                      policy=policy, points=points, event_date=day,
                      details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
                      note=(note or "").strip() or None, actor_id=getattr(actor, "id", actor))
    db.session.add(event)
    db.session.flush()
    return event


def _transfer(event: LifeEvent, source: Household, target: Household, points: int, actor, what: str) -> None:
    """A linked pair: the debit and the credit carry the same event id."""
    if points <= 0:
        return
    ledger.post(source, -points, "transfer_out", ledger.Source("life_event:out", event.id), actor,
                f"{what}转出", f"lifeevent:{event.id}:out", effective_date=event.event_date)
    ledger.post(target, points, "transfer_in", ledger.Source("life_event:in", event.id), actor,
                f"{what}转入", f"lifeevent:{event.id}:in", effective_date=event.event_date)


def _audit(event: LifeEvent, actor, site_id: int, **after) -> None:
    audit.record(actor, f"life_event.{event.kind}", "life_event", event.id, site_id=site_id,
                 after={"household_id": event.household_id, "other_household_id": event.other_household_id,
                        "policy": event.policy, "points": event.points, **after})


def _end_household(home: Household, status: str, reason: str, actor) -> None:
    """A household that left or was absorbed: status, cards revoked, 包保 ended."""
    home.status = status
    db.session.execute(update(Card).where(Card.household_id == home.id, Card.status != "revoked")
                       .values(status="revoked", ended_at=utcnow()))
    today = local_today()
    for row in db.session.execute(select(Responsibility).where(
            Responsibility.household_id == home.id, Responsibility.end_date.is_(None))).scalars():
        row.end_date, row.end_reason = max(today, row.start_date), reason
    db.session.flush()


def initials(name: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if p)


def _current_members(home: Household) -> list[Member]:
    return [m for m in home.members if m.is_current]


def _member_of(home: Household, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.household_id != home.id or not member.is_current:
        raise ValidationFailed("所选成员不是这一户的在册成员")
    return member


def _is_head(home: Household, member: Member) -> bool:
    return member.relation == "户主"


def _make_head(home: Household, member: Member, phone: Optional[str] = None) -> None:
    for other in home.members:
        if other.relation == "户主" and other.id != member.id:
            other.relation = "其他"
    member.relation = "户主"
    home.head_name, home.head_initials = member.name, initials(member.name)
    home.head_id_number = member.id_number
    home.phone = phone or member.phone or home.phone


# ------------------------------------------------------------------ 分户
def split(home: Household, actor, member_ids: Iterable[int], new_head_id: int, *, policy: Optional[str] = None,
          amount: Optional[int] = None, site_id: Optional[int] = None, building: Optional[str] = None,
          door_no: Optional[str] = None, phone: Optional[str] = None, note: str = "",
          event_date: Optional[date] = None) -> tuple[LifeEvent, Household, str]:
    """Members form a new household with its own card; points move by policy."""
    policy = policy or split_policy()
    if policy not in SPLIT_POLICIES or policy not in split_policies():
        raise ValidationFailed("本县政策不允许这种分户积分办法")
    home = lock(home.id)[home.id]
    _active(home)
    moving = [_member_of(home, mid) for mid in dict.fromkeys(member_ids)]
    if not moving:
        raise ValidationFailed("请选择要分出的成员")
    if new_head_id not in {m.id for m in moving}:
        raise ValidationFailed("新户的户主必须是分出的成员之一")
    if any(_is_head(home, m) for m in moving):
        raise ValidationFailed("户主不能分出;如需分出,请先办理户主变更")
    current = _current_members(home)
    if len(moving) >= len(current):
        raise ValidationFailed("原户至少要留下一名成员")
    points = _split_points(policy, amount, home.balance, len(moving), len(current))
    site = db.session.get(Site, site_id or home.site_id)
    if site is None:
        raise ValidationFailed("没有这个安置点")
    head = next(m for m in moving if m.id == new_head_id)
    new = Household(site_id=site.id, head_name=head.name, head_initials=initials(head.name),
                    head_id_number=head.id_number, phone=(phone or "").strip() or head.phone,
                    building=(building or "").strip() or home.building, door_no=(door_no or "").strip() or None)
    db.session.add(new)
    db.session.flush()
    for member in moving:
        member.household_id = new.id
        if member.id == new_head_id:
            member.relation = "户主"
    db.session.flush()
    db.session.expire(home, ["members"])
    event = _event("split", home, actor, other=new, policy=policy, points=points, note=note,
                   event_date=event_date, details={"members": [m.id for m in moving], "new_head": head.name})
    lock(home.id, new.id)
    _transfer(event, home, new, points, actor, "分户")
    _, token = issue_card(new)
    _audit(event, actor, home.site_id, new_household=new.id)
    return event, new, token


def _split_points(policy, amount, balance, moved, total) -> int:
    if policy == "none":
        return 0
    if policy == "by_members":
        return balance * moved // total
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationFailed("请填写评议会决定转入新户的积分(整数)")
    if amount > balance:
        raise ValidationFailed(f"转入新户的积分不能超过原户余额 {balance} 分")
    return amount


# ------------------------------------------------------------------ 合户
def merge(home: Household, absorbed: Household, actor, note: str = "",
          event_date: Optional[date] = None) -> LifeEvent:
    """`absorbed` joins `home`: its balance moves in, its card is revoked, history stays."""
    if home.id == absorbed.id:
        raise ValidationFailed("不能和自己合户")
    homes = lock(home.id, absorbed.id)
    home, absorbed = homes[home.id], homes[absorbed.id]
    _active(home)
    _active(absorbed)
    points = absorbed.balance
    event = _event("merge", home, actor, other=absorbed, policy="all", points=points, note=note,
                   event_date=event_date, details={"absorbed_head": absorbed.head_name,
                                                   "members": [m.id for m in _current_members(absorbed)]})
    _transfer(event, absorbed, home, points, actor, "合户")
    for member in _current_members(absorbed):
        member.household_id = home.id
        if member.relation == "户主":
            member.relation = "其他"
    _end_household(absorbed, "merged", f"合户并入{home.head_name}户", actor)
    db.session.expire(home, ["members"])
    db.session.expire(absorbed, ["members"])
    _audit(event, actor, home.site_id, absorbed_site=absorbed.site_id)
    return event


# ------------------------------------------------------------------ 迁出 / 迁入 / 换安置点
def move_out(home: Household, actor, note: str = "", event_date: Optional[date] = None) -> LifeEvent:
    """迁出 of the county, by policy: redeem first, or forfeit what is left."""
    home = lock(home.id)[home.id]
    _active(home)
    policy, balance = move_out_policy(), home.balance
    if balance > 0 and policy == "redeem_first":
        raise ValidationFailed(f"按本县政策,迁出前须先到积分超市兑换完积分(还有 {balance} 分)")
    event = _event("move_out", home, actor, policy=policy, points=balance, note=note, event_date=event_date)
    if balance > 0:
        ledger.post(home, -balance, "forfeit", ledger.Source("life_event:out", event.id), actor,
                    "迁出县外,积分作废", f"lifeevent:{event.id}:out", effective_date=event.event_date)
    _end_household(home, "moved_out", "迁出县外", actor)
    _audit(event, actor, home.site_id)
    return event


def move_in(actor, site_id: int, head_name: str, *, id_number: Optional[str] = None, phone: Optional[str] = None,
            building: Optional[str] = None, door_no: Optional[str] = None, members: Iterable[dict] = (),
            note: str = "", event_date: Optional[date] = None) -> tuple[LifeEvent, Household, str]:
    """迁入 from outside the county: a new household with a new card and no points."""
    head_name = (head_name or "").strip()
    if not head_name:
        raise ValidationFailed("请填写户主姓名")
    if db.session.get(Site, site_id) is None:
        raise ValidationFailed("没有这个安置点")
    home = Household(site_id=site_id, head_name=head_name[:64], head_initials=initials(head_name),
                     head_id_number=(id_number or "").strip() or None, phone=(phone or "").strip() or None,
                     building=(building or "").strip() or None, door_no=(door_no or "").strip() or None)
    home.members.append(Member(name=head_name[:64], relation="户主", id_number=home.head_id_number, phone=home.phone))
    for item in members:
        if (item.get("name") or "").strip():
            home.members.append(Member(name=item["name"].strip()[:64], relation=item.get("relation") or "其他"))
    db.session.add(home)
    db.session.flush()
    event = _event("move_in", home, actor, policy="none", note=note, event_date=event_date)
    _, token = issue_card(home)
    _audit(event, actor, site_id)
    return event, home, token


def move_site(home: Household, site_id: int, actor, building: Optional[str] = None, door_no: Optional[str] = None,
              note: str = "", event_date: Optional[date] = None) -> LifeEvent:
    """Inside the county: balance and history stay; the per-site accounts move by a pair."""
    home = lock(home.id)[home.id]
    _active(home)
    old_site = home.site_id
    if db.session.get(Site, site_id) is None:
        raise ValidationFailed("没有这个安置点")
    if site_id == old_site:
        raise ValidationFailed("新安置点和原安置点相同")
    balance = home.balance
    event = _event("move_site", home, actor, policy="keep", points=balance, note=note, event_date=event_date,
                   details={"from_site": old_site, "to_site": site_id})
    if balance > 0:
        ledger.post(home, -balance, "transfer_out", ledger.Source("life_event:out", event.id), actor,
                    "换安置点转出", f"lifeevent:{event.id}:out", effective_date=event.event_date)
    home.site_id = site_id
    home.building = (building or "").strip() or home.building
    home.door_no = (door_no or "").strip() or home.door_no
    db.session.flush()
    if balance > 0:
        ledger.post(home, balance, "transfer_in", ledger.Source("life_event:in", event.id), actor,
                    "换安置点转入", f"lifeevent:{event.id}:in", effective_date=event.event_date)
    _follow_household(home.id, site_id)
    _audit(event, actor, old_site, to_site=site_id)
    return event


def _follow_household(household_id: int, site_id: int) -> None:
    """Open problems and monitoring cases follow the household to its new site."""
    db.session.execute(update(Problem).where(Problem.household_id == household_id, Problem.status != "closed")
                       .values(site_id=site_id))
    db.session.execute(update(MonitoringCase).where(MonitoringCase.household_id == household_id)
                       .values(site_id=site_id))


# ------------------------------------------------------------------ 户主变更 / 成员
def change_head(home: Household, new_head_id: int, actor, note: str = "", phone: Optional[str] = None,
                event_date: Optional[date] = None) -> tuple[LifeEvent, str]:
    """The card reprints with the new 户主; points and honors stay with the household."""
    home = lock(home.id)[home.id]
    _active(home)
    member = _member_of(home, new_head_id)
    if _is_head(home, member):
        raise ValidationFailed("这位成员已经是户主")
    old = home.head_name
    event = _event("head_change", home, actor, note=note, event_date=event_date,
                   details={"old_head": old, "new_head": member.name})
    _make_head(home, member, (phone or "").strip() or None)
    db.session.flush()
    _, token = issue_card(home)
    _audit(event, actor, home.site_id, old_head=old, new_head=member.name)
    return event, token


def add_member(home: Household, actor, name: str, relation: str = "其他", id_number: Optional[str] = None,
               note: str = "", event_date: Optional[date] = None) -> LifeEvent:
    _active(home)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写成员姓名")
    if relation == "户主":
        raise ValidationFailed("新增成员不能直接作为户主,请办理户主变更")
    member = Member(household_id=home.id, name=name[:64], relation=(relation or "其他")[:16],
                    id_number=(id_number or "").strip() or None)
    db.session.add(member)
    db.session.flush()
    event = _event("member_add", home, actor, note=note, event_date=event_date,
                   details={"member_id": member.id, "name": member.name})
    db.session.expire(home, ["members"])
    _audit(event, actor, home.site_id, member=member.name)
    return event


def member_deceased(home: Household, member_id: int, actor, new_head_id: Optional[int] = None, note: str = "",
                    event_date: Optional[date] = None) -> tuple[LifeEvent, Optional[str]]:
    """A member died or left; when it was the 户主, a new one is named and the card reprinted."""
    home = lock(home.id)[home.id]
    _active(home)
    member = _member_of(home, member_id)
    token = None
    if len(_current_members(home)) == 1:
        raise ValidationFailed("这是户内最后一名成员,请办理迁出或合户")
    details = {"member_id": member.id, "name": member.name}
    if _is_head(home, member):
        if not new_head_id or new_head_id == member.id:
            raise ValidationFailed("去世的是户主,请同时选择新户主")
        new_head = _member_of(home, new_head_id)
        details["new_head"] = new_head.name
    event = _event("member_deceased", home, actor, note=note, event_date=event_date, details=details)
    member.is_current = False
    if "new_head" in details:
        member.relation = "户主(已故)"[:16]
        _make_head(home, new_head)
        db.session.flush()
        _, token = issue_card(home)
    db.session.flush()
    _audit(event, actor, home.site_id, **details)
    return event, token


def events_of(household_id: int) -> list[LifeEvent]:
    """Events seen from either side (a merged household's history stays readable from both)."""
    return db.session.execute(select(LifeEvent).where(
        (LifeEvent.household_id == household_id) | (LifeEvent.other_household_id == household_id)
    ).order_by(LifeEvent.id.desc())).scalars().all()
