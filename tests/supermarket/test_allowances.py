"""Offline allowances: a hold and a return each move the balance through the ledger and the kiosk's
allowance by the same points; the balance never pays for what it does not have; verify stays clean."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import AllowanceMove, LedgerEntry
from models.clock import utcnow
from services.errors import InsufficientPoints, LedgerRefused, ValidationFailed
from services.ledger.verify import verify
from services.supermarket import allowances
from tests.supermarket.kiosk_helpers import paired_device


@pytest.fixture
def kiosk(any_app, make_site, make_household):
    site = make_site("幸福家园安置点")
    home = make_household(site=site, head_name="欧阳小明", balance=150)
    device, _token = paired_device(site)
    db.session.commit()
    return {"home": home, "device": device}


def _hold(kiosk, points):
    now = utcnow()
    return allowances.hold(kiosk["device"].id, kiosk["home"].id, points, now, now + timedelta(hours=72))


def test_hold_and_return_move_balance_and_allowance_together(kiosk):
    device, home = kiosk["device"], kiosk["home"]
    entry = _hold(kiosk, 100)
    assert (entry.kind, entry.points, entry.balance_after) == ("allowance_hold", -100, 50)
    assert allowances.held(device.id, home.id) == 100
    back = allowances.give_back(device.id, home.id, 30, "expired")
    assert (back.kind, back.points, back.balance_after) == ("allowance_return", 30, 80)
    assert allowances.held(device.id, home.id) == 70
    moves = db.session.execute(select(AllowanceMove.points, AllowanceMove.reason).order_by(AllowanceMove.id)).all()
    assert [tuple(m) for m in moves] == [(-100, "refresh"), (30, "expired")]
    sources = db.session.execute(select(LedgerEntry.source_type).where(LedgerEntry.kind.like("allowance%"))).scalars()
    assert set(sources) == {"allowance_move"}
    db.session.commit()
    assert verify().ok


def test_a_hold_beyond_the_balance_or_a_return_beyond_the_allowance_is_refused(kiosk):
    device, home = kiosk["device"], kiosk["home"]
    with pytest.raises(InsufficientPoints):
        _hold(kiosk, 151)
    db.session.rollback()
    _hold(kiosk, 20)
    with pytest.raises(LedgerRefused):
        allowances.give_back(device.id, home.id, 21, "staff")
    with pytest.raises(ValidationFailed):
        allowances.give_back(device.id, home.id, 0, "staff")
