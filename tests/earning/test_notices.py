"""公示 date math (docs/decisions.md#notices) in other zones, and the kiosk's open_notices()."""
from datetime import date, datetime, timedelta

import pytest

from services.earning import evaluations, notices


@pytest.mark.parametrize("zone, utc_end", [
    ("Asia/Shanghai", datetime(2026, 3, 7, 16, 0)),
    ("UTC", datetime(2026, 3, 8, 0, 0)),
    ("America/New_York", datetime(2026, 3, 8, 5, 0)),  # EST on the night of 7→8 March
])
def test_notice_ends_at_local_midnight_in_the_configured_zone(app, zone, utc_end):
    app.config["TIMEZONE"] = zone
    start, end = notices.notice_window(date(2026, 3, 1), 7)
    assert end == date(2026, 3, 7)
    assert notices.notice_ends_at(end) == utc_end
    assert not notices.is_over(end, utc_end - timedelta(microseconds=1))
    assert notices.is_over(end, utc_end)


def test_one_day_notice_runs_only_that_day(app):
    start, end = notices.notice_window(date(2026, 5, 1), 1)
    assert start == end == date(2026, 5, 1)
    assert notices.period_text(start, end) == "5月1日至5月1日"
    assert notices.is_running(start, end, datetime(2026, 4, 30, 16, 0))  # 00:00 on 5月1日 in Shanghai
    assert not notices.is_running(start, end, datetime(2026, 4, 30, 15, 59))
    assert not notices.is_running(start, end, datetime(2026, 5, 1, 16, 0))
    with pytest.raises(ValueError):
        notices.notice_window(date(2026, 5, 1), 0)


def test_open_notices_shape_for_the_kiosk(app, make_site, make_household, make_user):
    evaluations.ensure_defaults()
    site, other = make_site(), make_site()
    home = make_household(site, head_name="司马相如", building="5栋")
    make_household(site, head_name="无分户")
    committee, cadre = make_user("committee", sites=[site]), make_user("cadre", sites=[site])
    rnd = evaluations.create_round(committee, {"site_id": site.id, "title": "2026年第3季度", "contact": "王主任",
                                               "period_start": "2026-07-01", "period_end": "2026-09-30"})
    evaluations.start_scoring(committee, rnd)
    evaluations.set_score(committee, rnd, home.id, rnd.config["dimensions"][0]["id"], 8)
    assert notices.open_notices(site.id) == []  # scoring is not on notice
    evaluations.open_notice(cadre, rnd)
    [notice] = notices.open_notices(site.id)
    assert notice["title"] == "2026年第3季度“五评五奖”评议结果公示"
    assert notice["notice_text"].startswith("公示期") and notice["contact"] == "王主任"
    assert notice["lines"] == [{"line_id": notice["lines"][0]["line_id"], "name": "司**如", "building": "5栋",
                                "total_score": 8, "points": 8, "awards": "", "award_points": 0}]
    assert notices.open_notices(other.id) == []
