"""The card page /c/<token> and the kiosk show what kind of entry it was (and the rule's name),
never the free-text notes staff wrote (docs/decisions.md#privacy)."""
import pytest
from sqlalchemy import select

from extensions import db
from models import LedgerEntry, Rule
from services import ledger
from services.earning import rules
from tests.supermarket.kiosk_helpers import auth, card_for, paired_device

SECRET_NOTE = "邻居举报其酗酒后砸坏楼道灯"
REVERSAL_REASON = "经查系误记,当事人精神状况不佳"
ADJUSTMENT_NOTE = "低保复核未通过的补扣说明"


@pytest.fixture
def noted(app, make_site, make_household, make_user):
    rules.seed_catalog()
    site = make_site()
    home = make_household(site=site, head_name="王大明", balance=40)
    recorder, approver = make_user("committee", sites=[site]), make_user("cadre", sites=[site])
    rule = db.session.execute(select(Rule).where(Rule.name == "乱扔垃圾/楼道堆物(经提醒)")).scalar_one()
    event = rules.record(recorder, rule.id, [home.id], note=SECRET_NOTE, evidence_file="photo.jpg")[0]
    rules.post_event(event, recorder, approver)
    entry = db.session.get(LedgerEntry, event.ledger_entry_id)
    ledger.post(home, 3, "adjustment", None, approver, ADJUSTMENT_NOTE, "privacy-test:adjust")
    ledger.reverse(entry, approver, REVERSAL_REASON)
    device, token = paired_device(site)
    card = card_for(home)
    db.session.commit()
    notes = [e.note for e in db.session.execute(select(LedgerEntry)).scalars()]
    assert any(SECRET_NOTE in (n or "") for n in notes)  # the notes are in the books, for staff
    return {"card": card, "token": token, "rule": rule}


def _no_notes(text: str) -> None:
    for secret in (SECRET_NOTE, REVERSAL_REASON, ADJUSTMENT_NOTE, "测试期初"):
        assert secret not in text


def test_card_page_shows_labels_not_notes(client, noted):
    page = client.get(f"/c/{noted['card']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    _no_notes(html)
    assert f"扣分:{noted['rule'].name}" in html and "更正" in html


def test_kiosk_scan_shows_labels_not_notes(client, noted):
    res = client.post("/kiosk/api/scan", json={"card": noted["card"]}, headers=auth(noted["token"]))
    assert res.status_code == 200
    _no_notes(res.get_data(as_text=True))
    recent = res.get_json()["household"]["recent"]
    assert [set(item) for item in recent] == [{"date", "label", "points"}] * len(recent)
    assert recent[0]["label"] == "更正"
    assert f"扣分:{noted['rule'].name}" in [item["label"] for item in recent]
