"""Household life events: one transaction through the ledger, policies, audit, conservation."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Card, Household, LedgerEntry, Member
from models.ledger import EARNING_KINDS
from models.life_event import LifeEvent
from services import database, ledger
from services.errors import ValidationFailed
from services.households import life_events
from services.households.cards import card_statement
from services.ledger.verify import verify


@pytest.fixture
def family(make_household):
    """A household of four with 100 points and a card."""
    from services.households.cards import issue_card

    def make(balance=100, site=None, name="王建国"):
        home = make_household(site=site, head_name=name, balance=balance)
        for person, relation in (("王秀英", "配偶"), ("王小红", "子女"), ("李丽", "其他")):
            home.members.append(Member(name=person, relation=relation))
        db.session.flush()
        issue_card(home)
        return home
    return make


def child(home, name="王小红"):
    return next(m for m in home.members if m.name == name)


def entries(home):
    return db.session.execute(select(LedgerEntry).where(LedgerEntry.household_id == home.id)
                              .order_by(LedgerEntry.seq)).scalars().all()


def test_split_by_members_moves_a_linked_pair(app, family, make_user):
    app.config["LIFE_SPLIT_POLICY"] = "by_members"
    admin = make_user("admin")
    home = family(balance=101)
    kid, partner = child(home), child(home, "李丽")
    event, new, token = life_events.split(home, admin, [kid.id, partner.id], kid.id)
    db.session.commit()
    assert event.points == 101 * 2 // 4 == 50
    assert (home.balance, new.balance) == (51, 50)
    out, in_ = entries(home)[-1], entries(new)[-1]
    assert (out.kind, out.points, out.idempotency_key) == ("transfer_out", -50, f"lifeevent:{event.id}:out")
    assert (in_.kind, in_.points, in_.idempotency_key) == ("transfer_in", 50, f"lifeevent:{event.id}:in")
    assert out.source_id == in_.source_id == event.id
    assert new.head_name == "王小红" and {m.name for m in new.members} == {"王小红", "李丽"}
    assert database.run(card_statement(token)).household_id == new.id
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "life_event.split")).scalar_one()
    assert verify().ok


def test_split_default_policy_keeps_points_and_amount_is_capped(app, family, make_user):
    admin = make_user("admin")
    home = family(balance=80)
    event, new, _ = life_events.split(home, admin, [child(home).id], child(home).id)
    assert event.policy == "none" and new.balance == 0 and home.balance == 80
    other = family(balance=30, name="张三")
    with pytest.raises(ValidationFailed, match="不能超过原户余额 30"):
        life_events.split(other, admin, [child(other).id], child(other).id, policy="amount", amount=31)
    event, new, _ = life_events.split(other, admin, [child(other).id], child(other).id, policy="amount", amount=30)
    assert (other.balance, new.balance) == (0, 30)


def test_split_refuses_head_everyone_or_foreign_member(app, family, make_user):
    admin = make_user("admin")
    home, stranger = family(), family(name="刘海")
    head = next(m for m in home.members if m.relation == "户主")
    with pytest.raises(ValidationFailed, match="户主不能分出"):
        life_events.split(home, admin, [head.id], head.id)
    with pytest.raises(ValidationFailed, match="不是这一户"):
        life_events.split(home, admin, [child(stranger).id], child(stranger).id)
    everyone = [m.id for m in home.members if m.relation != "户主"]
    with pytest.raises(ValidationFailed, match="新户的户主"):
        life_events.split(home, admin, everyone, head.id)


def test_merge_moves_balance_revokes_card_keeps_history(app, family, make_user):
    admin = make_user("admin")
    home, absorbed = family(balance=40), family(balance=70, name="赵堃")
    old_card = db.session.execute(select(Card).where(Card.household_id == absorbed.id)).scalar_one()
    event = life_events.merge(home, absorbed, admin, note="婚后合户")
    db.session.commit()
    assert (home.balance, absorbed.balance, absorbed.status) == (110, 0, "merged")
    assert old_card.status == "revoked"
    assert len(entries(absorbed)) == 2  # opening + transfer_out: history stays readable
    assert event in life_events.events_of(absorbed.id) and event in life_events.events_of(home.id)
    assert any(m.name == "赵堃" for m in home.members)
    with pytest.raises(ValidationFailed):
        life_events.merge(home, absorbed, admin)
    assert verify().ok


def test_move_out_policies(app, family, make_user):
    admin = make_user("admin")
    home = family(balance=25)
    with pytest.raises(ValidationFailed, match="先到积分超市兑换完积分"):
        life_events.move_out(home, admin)
    assert home.status == "active"
    app.config["LIFE_MOVE_OUT_POLICY"] = "forfeit"
    event = life_events.move_out(home, admin)
    db.session.commit()
    last = entries(home)[-1]
    assert (last.kind, last.points, last.idempotency_key) == ("forfeit", -25, f"lifeevent:{event.id}:out")
    assert home.status == "moved_out" and home.balance == 0
    assert verify().ok


def test_move_site_keeps_balance_and_moves_site_accounts(app, family, make_user, make_site):
    admin = make_user("admin")
    home = family(balance=60)
    old_site, new_site = home.site_id, make_site().id
    life_events.move_site(home, new_site, admin)
    db.session.commit()
    assert home.balance == 60 and home.site_id == new_site
    by_site = dict(db.session.execute(select(LedgerEntry.site_id, func.sum(LedgerEntry.points))
                                      .where(LedgerEntry.household_id == home.id).group_by(LedgerEntry.site_id)).all())
    assert by_site == {old_site: 0, new_site: 60}
    assert verify().ok


def test_head_change_reprints_card(app, family, make_user):
    admin = make_user("admin")
    home = family(balance=10)
    old = db.session.execute(select(Card).where(Card.household_id == home.id)).scalar_one()
    event, token = life_events.change_head(home, child(home, "王秀英").id, admin)
    db.session.commit()
    assert home.head_name == "王秀英" and old.status == "revoked"
    assert database.run(card_statement(token)).household_id == home.id and home.balance == 10


def test_deceased_head_needs_successor(app, family, make_user):
    admin = make_user("admin")
    home = family()
    head = next(m for m in home.members if m.relation == "户主")
    with pytest.raises(ValidationFailed, match="新户主"):
        life_events.member_deceased(home, head.id, admin)
    event, token = life_events.member_deceased(home, head.id, admin, new_head_id=child(home, "王秀英").id)
    assert token and home.head_name == "王秀英" and not head.is_current
    life_events.add_member(home, admin, "王喆", "孙子女")
    assert sum(m.is_current for m in home.members) == 4


def test_transfers_are_not_earnings(app, family, make_user):
    """Rankings by earned points treat a transfer as neither earning nor spending."""
    app.config["LIFE_SPLIT_POLICY"] = "amount"
    admin = make_user("admin")
    home = family(balance=0)
    ledger.post(home, 50, "rule_award", None, admin, None, "t:earn")
    _, new, _ = life_events.split(home, admin, [child(home).id], child(home).id, amount=20)
    earned = dict(db.session.execute(
        select(LedgerEntry.household_id, func.sum(LedgerEntry.points))
        .where(LedgerEntry.kind.in_(EARNING_KINDS)).group_by(LedgerEntry.household_id)).all())
    assert earned.get(home.id) == 50 and new.id not in earned


def test_failed_event_writes_nothing(app, family, make_user):
    admin = make_user("admin")
    home = family(balance=10)
    db.session.commit()
    before = db.session.execute(select(func.count(LifeEvent.id))).scalar_one()
    with pytest.raises(ValidationFailed):
        life_events.split(home, admin, [child(home).id], child(home).id, policy="amount", amount=99)
    db.session.rollback()
    assert db.session.execute(select(func.count(LifeEvent.id))).scalar_one() == before
    assert db.session.execute(select(func.count(Household.id))).scalar_one() == 1
