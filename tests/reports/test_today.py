"""The home page per role: each line is a count and a link, read from the demo county's states."""
import re

import pytest

from extensions import db
from tests.reliability.bad_input_helpers import logged_in


def _lines(html: str) -> dict[str, tuple[int, str]]:
    """{label: (count, link or '')} of the home page's task lines."""
    out = {}
    for item in re.findall(r"<li>(.*?)</li>", html.split("今天要做的事", 1)[1], re.S):
        count = int(re.search(r'class="count[^"]*">(\d+)', item).group(1))
        label = re.search(r'<span class="what">([^<]+)', item).group(1).strip()
        link = re.search(r'href="([^"]+)"', item)
        out[label] = (count, link.group(1).replace("&amp;", "&") if link else "")
    return out


@pytest.mark.parametrize("username,password,expected", [
    ("committee", "committee12345", {"待评分的评议"}),
    ("cadre", "cadre12345", {"待审批的积分", "公示已结束、可以入账的评议", "公示已结束、可以发布的光荣榜",
                             "未处理的异议", "本月走访逾期", "已整改、待复核销号的问题", "我负责的年度计划任务已超期"}),
    ("shop", "shop12345", {"库存预警的商品", "超过 1 小时没有联网的自助终端", "今天的兑换"}),
    ("auditor", "auditor12345", {"未核查的异常线索", "账本校验"}),
])
def test_each_role_sees_its_own_tasks_and_every_link_opens(demo_app, username, password, expected):
    client = logged_in(demo_app, username, password)
    lines = _lines(client.get("/admin/").get_data(as_text=True))
    assert set(lines) == expected
    for label, (_count, link) in lines.items():
        if link:
            assert client.get(link).status_code == 200, (label, link)


def test_the_demo_leaves_a_cadre_something_to_do_and_the_count_follows_the_work(demo_app):
    client = logged_in(demo_app, "cadre", "cadre12345")
    lines = _lines(client.get("/admin/").get_data(as_text=True))
    assert lines["公示已结束、可以入账的评议"][0] == 1
    assert lines["公示已结束、可以发布的光荣榜"][0] == 1
    assert lines["未处理的异议"][0] == 2
    assert lines["待审批的积分"][0] >= 1
    post_round = lines["公示已结束、可以入账的评议"][1]
    assert re.fullmatch(r"/admin/evaluations/\d+", post_round)
    page = client.get(post_round).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(post_round + "/post", data={"csrf_token": token}).status_code in (200, 302)
    after = _lines(client.get("/admin/").get_data(as_text=True))
    assert after["公示已结束、可以入账的评议"][0] == 0


def test_shopkeeper_counts_low_stock_and_todays_redemptions(demo_app):
    from models import Goods

    lines = _lines(logged_in(demo_app, "shop", "shop12345").get("/admin/").get_data(as_text=True))
    low = db.session.execute(db.select(db.func.count(Goods.id)).where(
        Goods.site_id == 1, Goods.active.is_(True), Goods.stock <= Goods.low_stock)).scalar_one()
    assert lines["库存预警的商品"][0] == low > 0
    # the demo's redemptions are made when it is built: "today" only until local midnight passes
    from datetime import timedelta

    from models import Redemption
    from models.clock import local_today
    from services.support.problems import local_midnight_utc

    start = local_midnight_utc(local_today())
    made_today = db.session.execute(db.select(db.func.count(Redemption.id)).where(
        Redemption.site_id == 1, Redemption.status == "done", Redemption.created_at >= start,
        Redemption.created_at < start + timedelta(days=1))).scalar_one()
    assert lines["今天的兑换"][0] == made_today


def test_auditor_sees_the_last_verify_result(demo_app):
    from admin.ledger.verify import start_in_background
    from services.ledger import verify_runs

    client = logged_in(demo_app, "auditor", "auditor12345")
    assert "还没有校验过" in client.get("/admin/").get_data(as_text=True)
    with demo_app.app_context():
        run_id = verify_runs.start_run(None).id
        db.session.commit()
    start_in_background(demo_app, run_id).join()  # the verify page's background run, waited for
    db.session.rollback()  # the requests share this test's app context: end its read snapshot
    html = client.get("/admin/").get_data(as_text=True)
    assert "校验:全部通过" in html


def test_home_charts_have_their_table_beside_them(demo_app):
    html = logged_in(demo_app, "cadre", "cadre12345").get("/admin/").get_data(as_text=True)
    assert 'data-chart="chart-points"' in html and 'id="chart-points"' in html
    assert 'data-chart="chart-visits"' in html and "本月走访覆盖" in html
    shop = logged_in(demo_app, "shop", "shop12345").get("/admin/").get_data(as_text=True)
    assert "chart-points" not in shop  # the shopkeeper may not open the reports


def test_worklist_counts_on_both_databases(any_app, make_site, make_household, make_user):
    """The counts behind the home page, on SQLite and PostgreSQL, limited to the user's sites."""
    from datetime import timedelta

    from models import KioskDevice
    from models.clock import local_today, utcnow
    from services.earning import evaluations
    from services.reports import today as worklist

    evaluations.ensure_defaults()
    site, elsewhere = make_site(), make_site()
    homes = [make_household(site, head_name=n) for n in ("张三", "李四")]
    committee, cadre = make_user("committee", sites=[site]), make_user("cadre", sites=[site])
    outsider = make_user("cadre", sites=[elsewhere])
    rounds = []
    for opened in (local_today() - timedelta(days=8), local_today() - timedelta(days=1)):
        rnd = evaluations.create_round(committee, {"site_id": site.id, "title": f"{opened}",
                                                   "period_start": "2026-07-01", "period_end": "2026-09-30"})
        evaluations.start_scoring(committee, rnd)
        for home in homes:
            evaluations.set_score(committee, rnd, home.id, rnd.config["dimensions"][0]["id"], 5)
        evaluations.open_notice(cadre, rnd, today=opened)
        rounds.append(rnd)
    evaluations.record_objection(cadre, rounds[1], evaluations.lines_of(rounds[1])[0].id, "分数偏高")
    db.session.add_all([KioskDevice(site_id=site.id, name="一号机", status="active", last_seen_at=utcnow() - timedelta(hours=2)),
                        KioskDevice(site_id=site.id, name="二号机", status="active", last_seen_at=utcnow()),
                        KioskDevice(site_id=elsewhere.id, name="外点", status="active")])
    db.session.commit()
    assert [r.id for r in worklist.rounds_ready_to_post(cadre)] == [rounds[0].id]
    assert worklist.open_objections(cadre) == [("round", rounds[1].id, 1)]
    assert worklist.silent_kiosks(cadre) == 1
    assert worklist.redemptions_today(cadre) == {"count": 0, "points": 0}
    assert worklist.rounds_to_score(committee) == []
    assert worklist.rounds_ready_to_post(outsider) == [] and worklist.open_objections(outsider) == []
    assert worklist.silent_kiosks(outsider) == 1  # the other site's kiosk never called in
