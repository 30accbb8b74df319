"""底分 (base points) on SQLite AND PostgreSQL: a per-county setting granted through the ledger on
create, import and year-end reset; never redeemable; never expired (docs/decisions.md#base-points)."""
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from extensions import db
from models import Household, LedgerEntry
from services import ledger
from services.errors import InsufficientPoints, ValidationFailed
from services.households import base_points, excel, registry
from services.ledger import year_end
from services.ledger.verify import verify

AFTER = date(2027, 1, 2)


@pytest.fixture
def county(any_app, make_site, make_user):
    site, other = make_site("幸福家园安置点"), make_site("石门安置点")
    area = site.area.parent.parent
    any_app.config["COUNTY_SETTINGS"] = {area.name: {"base_points": 20}}
    admin = make_user("admin")
    db.session.commit()
    return {"app": any_app, "site": site, "other": other, "area": area, "admin": admin}


def _create(world, site=None, name="张三") -> Household:
    return registry.create(world["admin"], registry.HouseholdData(site_id=(site or world["site"]).id, head_name=name))


def _base_entries(home) -> list[LedgerEntry]:
    return list(db.session.execute(select(LedgerEntry).where(
        LedgerEntry.household_id == home.id, LedgerEntry.source_type == base_points.SOURCE)
        .order_by(LedgerEntry.seq)).scalars())


def _clean() -> None:
    report = verify()
    assert not report.problems, report.problems


def test_create_grants_the_county_base_through_the_ledger(county):
    home = _create(county)
    db.session.commit()
    assert (home.balance, home.base_points) == (20, 20)
    [entry] = _base_entries(home)
    assert (entry.kind, entry.points, entry.idempotency_key) == ("adjustment", 20, f"base:{home.id}:1")
    plain = _create(county, county["other"], "李四")  # another county: default BASE_POINTS = 0
    db.session.commit()
    assert (plain.balance, plain.base_points, _base_entries(plain)) == (0, 0, [])
    _clean()


def test_base_points_are_never_redeemed(county):
    home = _create(county)
    ledger.post(home, 30, "activity", None, None, None, "test:earn")
    db.session.commit()
    with pytest.raises(InsufficientPoints):
        ledger.post(home, -40, "redemption", None, None, None, "test:too-much")
    db.session.rollback()
    assert ledger.post(home, -30, "redemption", None, None, None, "test:ok").balance_after == 20
    db.session.commit()
    with pytest.raises(InsufficientPoints):
        ledger.post(home, -1, "redemption", None, None, None, "test:one-more")
    db.session.rollback()
    db.session.refresh(home)
    assert (home.balance, home.base_points, base_points.spendable(home.balance, home.base_points)) == (20, 20, 0)
    _clean()


def test_excel_import_grants_base_points(county):
    book = Workbook()
    sheet = book.active
    sheet.append(list(excel.COLUMNS))
    sheet.append([county["site"].name, "王五"])
    sheet.append([county["other"].name, "赵六"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    preview = excel.preview(county["admin"], data)
    assert preview.ok, [r.errors for r in preview.rows]
    ids = excel.import_rows(county["admin"], preview, "t.xlsx")
    db.session.commit()
    homes = [db.session.get(Household, hid) for hid in ids]
    assert [(h.balance, h.base_points) for h in homes] == [(20, 20), (0, 0)]
    _clean()


def test_year_end_reset_keeps_base_and_applies_the_new_setting(county):
    county["app"].config["YEAR_END_POLICY"] = "reset"
    home = _create(county)
    ledger.post(home, 30, "activity", None, None, None, "test:earn", effective_date=date(2026, 5, 1))
    db.session.commit()
    plan = year_end.dry_run(county["area"], 2026)
    assert [(r.balance, r.expiring) for r in plan.rows] == [(50, 30)]
    county["app"].config["COUNTY_SETTINGS"] = {county["area"].name: {"base_points": 25}}
    year_end.run(county["admin"], county["area"], 2026, today=AFTER)
    db.session.commit()
    db.session.refresh(home)
    assert (home.balance, home.base_points) == (25, 25)
    assert [e.points for e in _base_entries(home)] == [20, 5]
    _clean()


def test_expiry_never_takes_base_points(county):
    county["app"].config["YEAR_END_POLICY"] = "expire"
    county["app"].config["YEAR_END_EXPIRE_MONTHS"] = 1
    _create(county)
    db.session.commit()
    assert year_end.cutoff_date(2027, 1) > date.today()  # the grant is old at the end of 2027
    assert year_end.dry_run(county["area"], 2027).rows == []


def test_kiosk_and_card_page_offer_only_what_can_be_spent(county):
    from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, paired_device

    home = _create(county)
    ledger.post(home, 30, "activity", None, None, None, "test:earn")
    add_goods(county["site"], "大米 5kg", price=40, stock=5)
    add_goods(county["site"], "肥皂", price=30, stock=5, unit="块", category="日用品")
    card, (_device, token) = card_for(home), paired_device(county["site"])
    db.session.commit()
    client = county["app"].test_client()
    scan = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token)).get_json()
    assert (scan["household"]["balance"], scan["household"]["base_points"]) == (50, 20)
    offered = {g["name"]: (g["available"], g["reason"]) for g in scan["goods"]}
    assert offered["肥皂"] == (True, None) and offered["大米 5kg"][0] is False
    page = client.get(f"/c/{card}").get_data(as_text=True)
    assert 'data-testid="balance">30<' in page and "另有底分 20(不可兑换)" in page


def test_a_bad_setting_is_refused(county):
    county["app"].config["COUNTY_SETTINGS"] = {county["area"].name: {"base_points": -3}}
    with pytest.raises(ValidationFailed, match="底分配置有误"):
        _create(county)
