"""Card life cycle for staff: print (= issue a new generation), report lost, revoke. Audited."""
from sqlalchemy import select

from extensions import db
from models import Card, Household
from models.clock import utcnow
from services.errors import NotFound, ValidationFailed
from services.households.card_pdf import PrintedCard
from services.households.cards import issue_card, retire_older_cards
from services.staff import audit
from services.staff.scope import require_site

MAX_PRINT = 100  # one request renders them all; the list page selects at most 30 at a time


def issue_for_print(actor, household_ids: list[int]) -> list[PrintedCard]:
    """Issue a new card (generation + 1) to each household. The token exists only now (the database
    keeps its hash), so printing IS issuing; but the previous card keeps working until the cadre
    confirms the new cards arrived (confirm_handover): a PDF that never reached the printer must not
    leave a household without a working card (docs/decisions.md#card-token)."""
    ids = list(dict.fromkeys(household_ids))
    if not ids:
        raise ValidationFailed("请先勾选要制卡的住户")
    if len(ids) > MAX_PRINT:
        raise ValidationFailed(f"一次最多制卡 {MAX_PRINT} 户")
    homes = {h.id: h for h in db.session.execute(select(Household).where(Household.id.in_(ids))).scalars()}
    missing = [i for i in ids if i not in homes]
    if missing:
        raise NotFound(f"没有找到户号 {missing[0]}")
    printed = []
    for hid in ids:
        home = homes[hid]
        require_site(actor, home.site_id)
        if home.status != "active":
            raise ValidationFailed(f"户号 {hid}({home.head_name})已不在册,不能制卡")
        card, token = issue_card(home, keep_old=True)
        audit.record(actor, "card.issue", "card", card.id, after={"household_id": hid, "generation": card.generation,
                                                                 "short_code": card.short_code}, site_id=home.site_id)
        printed.append(PrintedCard(home, card, token))
    return printed


def confirm_handover(actor, household_ids: list[int]) -> int:
    """The new cards of these households were printed and handed over: their older cards stop
    working now. Returns how many old cards stopped."""
    ids = list(dict.fromkeys(household_ids))
    if not ids:
        raise ValidationFailed("请先选择已拿到新卡的住户")
    homes = db.session.execute(select(Household).where(Household.id.in_(ids))).scalars().all()
    if len(homes) != len(ids):
        raise NotFound("没有找到这些住户")
    stopped = 0
    for home in homes:
        require_site(actor, home.site_id)
        retired = retire_older_cards(home.id)
        if retired:
            audit.record(actor, "card.handover", "household", home.id, after={"old_cards_stopped": retired},
                         site_id=home.site_id)
        stopped += retired
    db.session.flush()
    return stopped


def set_status(actor, card: Card, status: str) -> Card:
    """active -> lost | revoked. A lost or revoked card never comes back: print a new one."""
    require_site(actor, card.household.site_id)
    if status not in ("lost", "revoked"):
        raise ValidationFailed("未知的卡片状态")
    if card.status != "active":
        raise ValidationFailed("这张卡已经停用了")
    before = {"status": card.status}
    card.status, card.ended_at = status, utcnow()
    db.session.flush()
    audit.record(actor, f"card.{status}", "card", card.id, before=before,
                 after={"status": status, "household_id": card.household_id}, site_id=card.household.site_id)
    return card
