"""每月专题汇报 at scale, on SQLite AND PostgreSQL: the points section read from the month totals equals
the entries (signs mixed within a household's month too), a township's report reads its sites in each
query rather than being sent their ids, and the page's rows are escaped as Jinja escaped them."""
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from extensions import db
from models import HouseholdTag
from models.clock import local_today
from models.ledger import EARNING_KINDS
from services import ledger
from services.ledger import month_totals
from services.reports import monthly_report
from services.support import responsibility as support
from services.support import visits


def _entries_by_site(first, last) -> dict[int, list[int]]:
    """发放 / 扣减 / 兑换(净) per site, summed from every entry (what the section read before the totals)."""
    earning = ", ".join(f"'{k}'" for k in EARNING_KINDS)
    rows = db.session.execute(text(
        f"SELECT site_id, SUM(CASE WHEN kind IN ({earning}) AND points > 0 THEN points ELSE 0 END), "
        f"SUM(CASE WHEN kind IN ({earning}) AND points < 0 THEN -points ELSE 0 END), "
        "SUM(CASE WHEN kind IN ('redemption', 'redemption_void') THEN -points ELSE 0 END) "
        "FROM ledger_entry WHERE effective_date BETWEEN :a AND :b GROUP BY site_id"), {"a": first, "b": last})
    return {sid: [int(a), int(b), int(c)] for sid, a, b, c in rows}


def test_points_from_the_month_totals_equal_the_entries(any_app, make_site, make_household, make_user):
    admin = make_user("admin")
    east = make_site(name="东区")
    west, far = make_site(name="西区", village=east.area), make_site(name="外县")
    today = local_today()
    first, last = support.month_range(today.year, today.month)
    before, after = first - timedelta(days=1), last + timedelta(days=1)
    mover, plain, outside = (make_household(site, head_name=name, balance=100)
                             for site, name in ((east, "搬家户"), (west, "本点户"), (far, "外县户")))
    keys = iter(range(1000))

    def post(home, points, kind, day=today):
        ledger.post(home, points, kind, None, admin, None, f"t:{next(keys)}", effective_date=day)

    for points, kind in ((20, "rule_award"), (10, "evaluation"), (-4, "evaluation"), (-3, "rule_deduction"),
                         (-5, "redemption"), (2, "redemption_void"), (8, "adjustment")):
        post(mover, points, kind)  # an evaluation of +10 and -4 in one month: a total of mixed signs
    mover.site_id = west.id  # moved mid-month: its later entries count at the new site
    db.session.flush()
    post(mover, 6, "evaluation")
    post(mover, -1, "evaluation")
    for points, kind, day in ((-6, "evaluation", today), (7, "award", today), (3, "activity", before),
                              (9, "rule_award", after), (-2, "rule_award", before), (-7, "redemption", today)):
        post(plain, points, kind, day)
    post(outside, 50, "rule_award")
    db.session.commit()
    assert month_totals.mismatches() == []

    report = monthly_report.build(today.year, today.month, [east.id, west.id], "幸福社区")
    expected = _entries_by_site(first, last)
    assert report.section("points").rows == [["东区"] + expected[east.id], ["西区"] + expected[west.id]]
    assert expected[east.id] == [30, 7, 3] and expected[west.id] == [13, 7, 7]
    scope, _title = monthly_report.scope_sites(f"area:{east.area.id}", None)
    assert monthly_report.build(today.year, today.month, scope, "幸福社区").section("points").rows == \
        report.section("points").rows


@pytest.fixture
def township(any_app, make_site, make_household, make_user):
    """15 sites of one village, households with tags, 包保 and visits; one site of another county."""
    admin = make_user("admin")
    sites = [make_site(name="一号点")]
    sites += [make_site(name=f"{n}号点", village=sites[0].area) for n in range(2, 16)]
    other = make_site(name="外县点")
    cadre = support.create_cadre(admin, "包保甲", "13800000001")
    today = local_today()
    for n, site in enumerate(sites + [other]):
        home = make_household(site, head_name=f"住户{n}", balance=20)
        db.session.add(HouseholdTag(household_id=home.id, tag=("low_income", "hardship", "lifted")[n % 3]))
        db.session.flush()
        if n % 2:
            support.assign(home, cadre, admin)
            visits.record_visit(home, admin, visit_date=today, visitors="包保甲", confirm_name="户主")
        ledger.post(home, 5 + n, "rule_award", None, admin, None, f"t:{n}")
    db.session.commit()
    return sites, other, today


def _sent(call):
    """What call() returns, and the parameters of every statement it sent."""
    sent = []

    def keep(_conn, _cursor, _statement, parameters, *_args):
        sent.append(parameters)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        return call(), sent
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def _values(parameters) -> set:
    return set(parameters.values() if isinstance(parameters, dict) else parameters or ())


def test_a_township_report_reads_its_sites_and_equals_the_list_of_them(township):
    sites, other, today = township
    ids = [s.id for s in sites]
    listed, sent_listed = _sent(lambda: monthly_report.build(today.year, today.month, ids, "城关镇"))
    scope, title = monthly_report.scope_sites(f"area:{sites[0].area.parent.id}", None)
    assert title == "城关镇"
    by_area, sent_by_area = _sent(lambda: monthly_report.build(today.year, today.month, scope, title))
    assert [s.id for s in by_area.sites] == [s.id for s in listed.sites] and other not in by_area.sites
    for mine, theirs in zip(by_area.sections, listed.sections):
        assert (mine.rows, mine.total, mine.note) == (theirs.rows, theirs.total, theirs.note), mine.title
    assert listed.section("households").total[1] == 15 and listed.section("visits").total[2] == 5
    assert any(set(ids) <= _values(p) for p in sent_listed)  # the list: every id sent
    assert not any(set(ids) <= _values(p) for p in sent_by_area)  # the area: read by the database


def test_the_page_rows_escape_names_and_keep_figures(township, any_app, make_user):
    sites, _other, _today = township
    sites[0].name = "<b>一号&点</b>"
    admin = make_user("admin", password="password123")
    db.session.commit()
    client = any_app.test_client()
    client.post("/admin/login", data={"username": admin.username, "password": "password123"})
    page = client.get(f"/admin/support/report?scope=area:{sites[0].area.parent.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<tr><td class="">&lt;b&gt;一号&amp;点&lt;/b&gt;</td><td class="num">1</td>' in html
    assert "<b>一号" not in html
    assert '<tr><td class="">3号点</td><td class="num">1</td><td class="num">0</td>' in html
