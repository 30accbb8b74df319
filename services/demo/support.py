"""Demo of the follow-up support (后续扶持): 包保 within quota and area, visits, problems in every state,
monitoring cases behind every 监测户 tag."""
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models.clock import local_today

#: 包保 cadres of the demo: (name, level, unit, area name or None for anywhere in the county)
DEMO_CADRES = [
    ("刘海", "county", "县农业农村局", None), ("杨文", "department", "县人社局", None),
    ("何丽", "department", "县卫健局", None), ("罗建国", "department", "县教育局", None),
    ("陈明", "township", "城关镇政府", "城关镇"), ("周玉兰", "township", "城关镇政府", "城关镇"),
    ("赵桂兰", "township", "石门乡政府", "石门乡"), ("孙德华", "township", "石门乡政府", "石门乡"),
    ("黄春梅", "village", "幸福社区居委会", "幸福社区"), ("林永福", "village", "幸福社区居委会", "幸福社区"),
    ("吴志强", "village", "新村社区居委会", "新村社区"), ("郭秀英", "village", "新村社区居委会", "新村社区"),
    ("马国强", "village", "石门村村委会", "石门村"), ("田金花", "village", "石门村村委会", "石门村"),
    ("彭小红", "village", "安居社区居委会", "安居社区"), ("龙海", "village", "安居社区居委会", "安居社区"),
    ("高浩然", "village", "安居社区居委会", "安居社区"),
]
#: the tier a household's 包保 is taken from first: its village's cadres, then the township's, then the county's
TIERS = ("village", "township", None)


def build(rng, sites, homes, staff) -> None:
    """后续扶持 that tells the truth: every cadre within the quota and within their own area, every
    监测户 tag backed by an approved monitoring case, visits by the household's own cadre."""
    from models import Area
    from models.household import PRIORITY_TAGS
    from services.support import monitoring, problems, visits
    from services.support import responsibility as support

    admin, today = staff["admin"], local_today()
    areas = {a.name: a for a in db.session.execute(select(Area)).scalars()}
    staff["cadre"].phone, staff["cadre2"].phone = "0851-88881234", "0851-88881235"
    cadres = [support.create_cadre(admin, staff[u].display_name, f"1390000000{i}", "village", "幸福社区居委会",
                                   staff[u].id, areas["幸福社区"].id) for i, u in enumerate(("cadre", "cadre2"))]
    cadres += [support.create_cadre(admin, name, f"138123400{n:02d}", level, unit, None,
                                    areas[area].id if area else None)
               for n, (name, level, unit, area) in enumerate(DEMO_CADRES, start=1)]
    priority = [h for h in homes if set(h.tags) & PRIORITY_TAGS]
    keeper = _assign_within_quota(support, priority[:-3], cadres, admin, today - timedelta(days=90))
    _monitoring_cases(monitoring, homes, staff, today)
    for n, home in enumerate(priority):
        if n % 5 == 4:
            continue
        day = today - timedelta(days=rng.randrange(today.day))
        late = (today - day).days > visits.backdate_days()
        cadre = keeper.get(home.id)
        in_town = home.site.area.parent.name == "城关镇"
        visits.record_visit(home, staff["cadre"] if in_town else admin, visit_date=day,
                            visitors=cadre.name if cadre else "李书记", met=n % 7 != 0,
                            met_person="户主本人", reached_by=None if n % 7 else "phone",
                            situation={"income": "ok", "housing": "ok", "medical": "issue" if n % 3 == 0 else "ok"},
                            confirm_name=home.head_name if n % 7 else None,
                            backdate_reason="按纸质走访记录补录" if late else None,
                            cadre_id=cadre.id if cadre else None)
    town = [h for h in priority if h.site.area.parent.name == "城关镇"]
    items = [("就业", "家中两名劳动力待业,希望在园区就近就业", "镇人社中心"), ("医疗", "老人慢性病门诊报销不会办理", "镇卫生院"),
             ("住房", "卫生间渗水到楼下", "安置点物业"), ("教育", "孩子转学手续未办完", "县教育局"),
             ("社保", "低保年审材料缺失", "镇民政办"), ("饮水", "高层水压不足", "县水务局")]
    for n, (category, text, unit) in enumerate(items):
        home = town[n * 3 % len(town)]
        found = today - timedelta(days=10 + 8 * n)
        p = problems.create_problem(staff["cadre"], site_id=home.site_id, household_id=home.id, category=category,
                                    description=text, found_date=found, lead_unit="城关镇政府", responsible_unit=unit,
                                    responsible_person="刘海", source="visit",
                                    measures="入户了解情况,协调责任单位办理", deadline=found + timedelta(days=20 if n % 2 else 45))
        if n >= 2:
            problems.change_status(p, "in_progress", staff["cadre"])
        if n >= 4:
            problems.change_status(p, "resolved", staff["cadre"], "已办结,群众满意")
        if n == 5:
            problems.change_status(p, "closed", staff["cadre2"], "电话回访属实,同意销号")
    problems.create_problem(staff["cadre"], site_id=sites[0].id, category="基础设施", description="3 栋至 5 栋之间路灯不亮",
                            found_date=today - timedelta(days=3), responsible_unit="安置点物业", deadline=today + timedelta(days=7))
    case_home = next(h for h in homes if not set(h.tags) & PRIORITY_TAGS and h.site_id == sites[0].id)
    case = monitoring.open_case(case_home, "sudden", staff["cadre"], today - timedelta(days=6),
                                risk_note="户主突发重病住院,医疗支出大")
    monitoring.add_step(case, "verified", staff["cadre"], today - timedelta(days=5), note="入户核实属实")
    monitoring.add_step(case, "publicity", staff["cadre"], None, publicity_start=today - timedelta(days=4),
                        publicity_end=today, note="民主评议小组 5 人一致同意")
    db.session.flush()


def _assign_within_quota(support, homes, cadres, actor, start) -> dict:
    """Each household to the least-loaded cadre of its village, else its township, else the county,
    never past the quota (a household nobody can take stays 未落实, as the dashboard shows)."""
    loads, keeper = {c.id: 0 for c in cadres}, {}
    for home in homes:
        for tier in TIERS:
            fit = [c for c in cadres if loads[c.id] < support.quota() and support.serves(c, home)
                   and (c.area.level if c.area else None) == tier]
            if fit:
                cadre = min(fit, key=lambda c: (loads[c.id], c.id))
                support.assign(home, cadre, actor, start)
                loads[cadre.id] += 1
                keeper[home.id] = cadre
                break
    return keeper


def _monitoring_cases(monitoring, homes, staff, today) -> None:
    """Every 监测户 tag of the demo comes from an approved case: found, verified, 公示, 乡镇初审
    (township level) and 县级审定 (county level), two months ago."""
    admin, cadre = staff["admin"], staff["cadre"]
    for n, home in enumerate(h for h in homes if "monitored" in h.tags):
        village = cadre if home.site.area.parent.name == "城关镇" else admin  # the demo has no 石门乡 login
        start = today - timedelta(days=70 - n)
        case = monitoring.open_case(home, ("unstable", "marginal", "sudden")[n % 3], village, start,
                                    risk_note="收入不稳定,有返贫风险")
        monitoring.add_step(case, "verified", village, start + timedelta(days=1), note="入户核实属实")
        monitoring.add_step(case, "publicity", village, None, publicity_start=start + timedelta(days=2),
                            publicity_end=start + timedelta(days=6), note="民主评议一致同意")
        monitoring.add_step(case, "township", village, start + timedelta(days=8), note="乡镇初审同意")
        monitoring.add_step(case, "county", admin, start + timedelta(days=10), note="县级审定同意纳入")
