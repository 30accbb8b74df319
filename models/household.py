"""Households (一户一档), their members and tags. Points belong to the household."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

#: tag code -> label. 三特户 and 三无户 are split into their parts.
HOUSEHOLD_TAGS = {
    "low_income": "低收入户",
    "hardship": "困难户",
    "elderly_disabled": "孤寡老残户",
    "no_house": "无房户",
    "no_land": "无地户",
    "no_labour": "无劳动力户",
    "party_centre": "党员中心户",
    "lifted": "脱贫户",
    "monitored": "监测户",
}
#: tags that tell of a household's hardship or support status: shown only to the staff who need them,
#: never to a shopkeeper (docs/decisions.md#privacy)
SENSITIVE_TAGS = frozenset(set(HOUSEHOLD_TAGS) - {"party_centre"})
#: tags that make a household a priority household (包保, monthly visits)
PRIORITY_TAGS = frozenset(
    {"low_income", "hardship", "elderly_disabled", "no_house", "no_land", "no_labour", "monitored"}
)
HOUSEHOLD_STATUSES = ("active", "moved_out", "merged")


class Household(db.Model):
    __tablename__ = "household"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("base_points >= 0", name="base_points_non_negative"),
        CheckConstraint("ledger_seq >= 0", name="ledger_seq_non_negative"),
        CheckConstraint("status IN ('active', 'moved_out', 'merged')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: 户主 name
    head_name: Mapped[str] = mapped_column(String(64), index=True)
    #: pinyin initials of the head's name, for search ("zs" finds 张三)
    head_initials: Mapped[str] = mapped_column(String(32), default="", index=True)
    #: 18-character ID number of the head; shown masked in lists
    head_id_number: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    #: 楼栋
    building: Mapped[Optional[str]] = mapped_column(String(32))
    #: 门牌
    door_no: Mapped[Optional[str]] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: cached balance; always equals the sum of the household's ledger entries
    balance: Mapped[int] = mapped_column(Integer, default=0)
    #: 底分, never redeemable and never part of the balance (0 when the county has none)
    base_points: Mapped[int] = mapped_column(Integer, default=0)
    #: seq of the household's last ledger entry (0 = none yet)
    ledger_seq: Mapped[int] = mapped_column(Integer, default=0)
    #: hash of the household's last ledger entry ("" = none yet)
    ledger_hash: Mapped[str] = mapped_column(String(64), default="")
    #: HMAC of the head (id, ledger_seq, ledger_hash, balance) with the ledger key; "" = no entry yet
    #: (docs/decisions.md#ledger-seals)
    head_sig: Mapped[str] = mapped_column(String(64), default="", server_default="")
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site = relationship("Site")
    members: Mapped[list["Member"]] = relationship(
        back_populates="household", order_by="Member.id", cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list["HouseholdTag"]] = relationship(cascade="all, delete-orphan")

    @property
    def tags(self) -> list[str]:
        return sorted(t.tag for t in self.tag_rows)

    @property
    def masked_head_name(self) -> str:
        return mask_name(self.head_name)


class HouseholdTag(db.Model):
    __tablename__ = "household_tag"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class Member(db.Model):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    #: relation to the head: 户主 / 配偶 / 子女 / 父母 / 其他
    relation: Mapped[str] = mapped_column(String(16), default="户主")
    id_number: Mapped[Optional[str]] = mapped_column(String(18))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    #: False once deceased or moved away
    is_current: Mapped[bool] = mapped_column(default=True)

    household: Mapped[Household] = relationship(back_populates="members")


class HouseholdExport(db.Model):
    """一户一档 export of a list filter too large to write inside a request, prepared in the background
    and kept for a day for its requester (services/households/exports.py)."""

    __tablename__ = "household_export"
    __table_args__ = (CheckConstraint("state IN ('running', 'done', 'failed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="running")
    #: the list filter as canonical JSON (the same filter by the same user reuses a fresh export)
    filter: Mapped[str] = mapped_column(Text)
    households: Mapped[int] = mapped_column(Integer, default=0)
    #: the finished .xlsx; None while running or after a failure (loaded only when downloaded)
    data: Mapped[Optional[bytes]] = mapped_column(LargeBinary, deferred=True)
    error: Mapped[Optional[str]] = mapped_column(Text)


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明 (public views)."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def kiosk_name(head_name: str) -> str:
    """The masked name for the kiosk's header (and its offline list), shortened so it never pushes
    可用积分 off its line: 张小三 -> 张*三, a long name -> its first character, ** and its last (阿**逊)."""
    masked = mask_name(head_name)
    return masked if len(masked) <= 5 else masked[0] + "**" + masked[-1]


def mask_phone(phone: Optional[str]) -> str:
    """13812345678 -> 138****5678; '' for none."""
    if not phone:
        return ""
    return phone[:3] + "*" * max(len(phone) - 7, 1) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_id_number(id_number: Optional[str]) -> str:
    """510123199001011234 -> 5101**********1234."""
    if not id_number:
        return ""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]
