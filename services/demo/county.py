"""A realistic demo county: townships, villages, sites, ~300 households, staff of every role."""
import random
from datetime import timedelta

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select

from extensions import db
from models import Area, Household, HouseholdTag, Member, Site, StaffScope, StaffUser
from models.clock import local_today
from services import ledger
from services.demo.township import build as township_demo
from services.households.cards import issue_card

#: (username, password, label) printed by `flask serve-demo`
DEMO_LOGINS = [
    ("admin", "admin12345", "系统管理员"),
    ("cadre", "cadre12345", "村/社区干部"),
    ("cadre2", "cadre12345", "村/社区干部(第二审批人)"),
    ("committee", "committee12345", "评议会成员"),
    ("shop", "shop12345", "超市管理员"),
    ("auditor", "auditor12345", "审计"),
]

COUNTY = ("易安县", {
    "城关镇": {"幸福社区": [("幸福家园安置点", "XF01"), ("和谐小区安置点", "XF02")],
              "新村社区": [("新村安置点", "XC01")]},
    "石门乡": {"石门村": [("石门安置点", "SM01")],
              "安居社区": [("安居苑安置点", "AJ01"), ("阳光新城安置点", "AJ02")]},
})

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林龙田石向彭欧阳"
GIVEN = ["建国", "秀英", "志强", "桂兰", "明", "丽", "德华", "玉兰", "国强", "春梅", "堃", "喆",
         "赟", "昇", "彧", "小红", "永福", "金花", "海", "文", "䶮", "㛃美", "𠮷祥", "𬌗", "子涵", "浩然"]
RELATIONS = ["配偶", "子女", "子女", "父母", "孙子女"]
TAG_CODES = ["low_income", "hardship", "elderly_disabled", "no_house", "no_land", "no_labour",
             "party_centre", "lifted", "monitored"]


def initials(name: str) -> str:
    """Pinyin initials for search: 张三 -> zs."""
    return "".join(p[0] for p in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if p)


def ensure_demo() -> bool:
    """Build the demo county once; False when the database already has households."""
    if db.session.execute(select(func.count(Household.id))).scalar_one():
        return False
    build_demo()
    return True


def build_demo(households: int = 300, seed: int = 2026) -> str:
    rng = random.Random(seed)
    areas, sites = _build_areas()
    staff = _build_staff(areas, sites)
    homes = [_household(rng, sites[i % len(sites)], i) for i in range(households)]
    db.session.flush()
    for home in homes:
        issue_card(home)
    _opening_balances(rng, homes, staff["admin"])
    _earning_demo(rng, sites, homes, staff)
    _valid_id_numbers(homes)
    _supermarket_demo(rng, sites, homes, staff)
    _support_demo(rng, sites, homes, staff)
    _honors_demo(sites, staff)
    _integrity_demo(rng, sites, staff)
    township_demo(rng, sites, homes, staff)
    return f"demo county: {len(sites)} sites, {len(homes)} households, {len(staff)} staff users"


def _build_areas():
    county_name, townships = COUNTY
    county = Area(level="county", name=county_name)
    db.session.add(county)
    areas, sites = {"county": county}, []
    for township_name, villages in townships.items():
        township = Area(level="township", name=township_name, parent=county)
        areas[township_name] = township
        for village_name, village_sites in villages.items():
            village = Area(level="village", name=village_name, parent=township)
            areas[village_name] = village
            for site_name, code in village_sites:
                sites.append(Site(name=site_name, code=code, area=village, address=f"{township_name}{village_name}"))
    db.session.add_all(sites)
    db.session.flush()
    return areas, sites


def _build_staff(areas, sites):
    scopes = {"admin": None, "cadre": ("area", areas["城关镇"]), "cadre2": ("area", areas["城关镇"]),
              "committee": ("area", areas["幸福社区"]), "shop": ("site", sites[0]), "auditor": None}
    roles = {"admin": ["admin"], "cadre": ["cadre"], "cadre2": ["cadre"], "committee": ["committee"],
             "shop": ["shopkeeper"], "auditor": ["auditor"]}
    names = {"admin": "系统管理员", "cadre": "李书记", "cadre2": "王主任", "committee": "赵评议",
             "shop": "陈店长", "auditor": "周审计"}
    staff = {}
    for username, password, _label in DEMO_LOGINS:
        user = StaffUser(username=username, display_name=names[username])
        user.roles = roles[username]
        user.set_password(password)
        if scopes[username] is None and username == "auditor":
            user.scopes.append(StaffScope(area_id=areas["county"].id))
        elif scopes[username] is not None:
            kind, target = scopes[username]
            user.scopes.append(StaffScope(area_id=target.id) if kind == "area" else StaffScope(site_id=target.id))
        db.session.add(user)
        staff[username] = user
    db.session.flush()
    return staff


def _household(rng, site, index):
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    phone = f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}"
    home = Household(
        site=site, head_name=name, head_initials=initials(name), phone=phone,
        head_id_number=f"5226{rng.randrange(10**13, 10**14)}",
        building=f"{rng.randint(1, 12)}栋", door_no=f"{rng.randint(1, 6)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}",
    )
    home.members.append(Member(name=name, relation="户主", phone=phone))
    for _ in range(rng.randint(0, 4)):
        home.members.append(Member(name=name[0] + rng.choice(GIVEN), relation=rng.choice(RELATIONS)))
    for tag in rng.sample(TAG_CODES, rng.choice([0, 0, 1, 1, 2])):
        home.tag_rows.append(HouseholdTag(tag=tag))
    db.session.add(home)
    return home


def _opening_balances(rng, homes, actor):
    """Balances carried over from the paper passbooks when the site went digital."""
    start = local_today() - timedelta(days=120)
    for home in homes:
        points = rng.choice([0, 20, 35, 50, 80, 120, 160, 240])
        if points:
            ledger.post(home, points, "adjustment", ledger.Source("opening_balance", home.id), actor,
                        "纸质积分存折结转", f"opening:{home.id}", effective_date=start)


def _valid_id_numbers(homes) -> None:
    """Give the demo ID numbers a correct GB 11643 check digit (the registry validates it)."""
    from services.households.registry import id_number_error

    weights, check = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    for home in homes:
        body = (home.head_id_number or "")[:17]
        if len(body) == 17 and id_number_error(home.head_id_number):
            home.head_id_number = body + check[sum(int(d) * w for d, w in zip(body, weights)) % 11]
            for member in home.members:
                if member.relation == "户主":
                    member.id_number = home.head_id_number
    db.session.flush()


def _earning_demo(rng, sites, homes, staff) -> None:
    """Rules catalog, default dimensions/awards, a posted round and one on 公示, activities, rule items."""
    from datetime import datetime as _dt

    from services.earning import activities, evaluations, notices, rules
    from services.earning.rules import period_bounds

    rules.seed_catalog(staff["admin"])
    evaluations.ensure_defaults()
    site = sites[0]
    local = [h for h in homes if h.site_id == site.id]
    if len(local) < 2:
        return
    committee, cadre = staff["committee"], staff["cadre"]
    today = local_today()
    last_q_start, last_q_end = period_bounds(period_bounds(today, "quarter")[0] - timedelta(days=1), "quarter")
    prev_q_start, prev_q_end = period_bounds(last_q_start - timedelta(days=1), "quarter")
    for (start, end), posted in (((prev_q_start, prev_q_end), True), ((last_q_start, last_q_end), False)):
        rnd = _scored_round(rng, committee, site, local, start, end)
        # the last quarter's 公示 ended yesterday: ready for the cadre to post (入账) on day one
        opened = end + timedelta(days=10) if posted else today - timedelta(days=8)
        evaluations.open_notice(cadre, rnd, today=opened)
        if posted:
            evaluations.post_round(cadre, rnd, now=notices.notice_ends_at(rnd.notice_end) + timedelta(minutes=5))
    _round_on_notice(sites, homes, staff, last_q_start, last_q_end)
    _round_in_scoring(site, local, committee, today)
    activity = activities.create(committee, {
        "site_id": site.id, "title": "小区集中大扫除", "starts_at": _dt.combine(today - timedelta(days=5), _dt.min.time())
        .replace(hour=9), "place": "幸福家园中心广场", "points_mode": "hour", "points": 3, "hours": 2, "organiser": "赵评议"})
    for home in rng.sample(local, min(len(local), 12)):
        activities.sign_in_manual(committee, activity, home.id)
    activities.close(committee, activity)
    activities.create(committee, {
        "site_id": site.id, "title": "政策宣讲会", "starts_at": _dt.combine(today, _dt.min.time()).replace(hour=15),
        "place": "社区会议室", "points_mode": "participant", "points": 2, "organiser": "李书记"})
    hygiene = next(r for r in rules.current_rules() if r.name == "月度入户检查达标")
    rules.record(committee, hygiene.id, [h.id for h in rng.sample(local, min(len(local), 20))], note="本月入户卫生检查达标")
    mediation = next(r for r in rules.current_rules() if r.name == "主动化解邻里纠纷")
    rules.record(committee, mediation.id, [local[1].id], quantity=6, note="多次调解楼栋邻里纠纷(待干部审批)")
    db.session.flush()


def _scored_round(rng, committee, site, local, start, end):
    """A round of `site` for [start, end], every household scored and each award given once."""
    from services.earning import evaluations

    quarter = (start.month - 1) // 3 + 1
    rnd = evaluations.create_round(committee, {
        "site_id": site.id, "title": f"{start.year}年第{quarter}季度", "period_start": start, "period_end": end,
        "notice_days": 7, "contact": f"{site.area.name}居委会 李书记 0851-8888 1234"})
    evaluations.start_scoring(committee, rnd)
    for home in local:
        for dim in rnd.config["dimensions"]:
            evaluations.set_score(committee, rnd, home.id, dim["id"], rng.randint(5, 10))
    for award, home in zip(rnd.config["awards"], rng.sample(local, min(len(local), len(rnd.config["awards"])))):
        evaluations.set_nomination(committee, rnd, home.id, award["id"], True)
    return rnd


def _round_on_notice(sites, homes, staff, start, end) -> None:
    """The second site's round for last quarter: on 公示 since two days ago, with one open objection."""
    from services.earning import evaluations

    site = sites[1] if len(sites) > 1 else sites[0]
    local = [h for h in homes if h.site_id == site.id]
    if len(local) < 2 or site is sites[0]:
        return
    rnd = _scored_round(random.Random(len(local)), staff["committee"], site, local, start, end)
    evaluations.open_notice(staff["cadre"], rnd, today=local_today() - timedelta(days=2))
    line = evaluations.lines_of(rnd)[0]
    evaluations.record_objection(staff["committee"], rnd, line.id, "邻居反映这一户楼道常堆杂物,卫生评分偏高",
                                 raised_by="3栋住户(匿名)")


def _round_in_scoring(site, local, committee, today) -> None:
    """Last month's round, being scored: the committee member's task on the home page."""
    from services.earning import evaluations

    last = today.replace(day=1) - timedelta(days=1)
    rnd = evaluations.create_round(committee, {
        "site_id": site.id, "title": f"{last.year}年{last.month}月", "period_start": last.replace(day=1),
        "period_end": last, "notice_days": 7, "contact": "幸福社区居委会 李书记 0851-8888 1234"})
    evaluations.start_scoring(committee, rnd)
    for n, home in enumerate(local[: len(local) // 3]):
        for dim in rnd.config["dimensions"]:
            evaluations.set_score(committee, rnd, home.id, dim["id"], 6 + (n + dim["id"]) % 5)


def _supermarket_demo(rng, sites, homes, staff) -> None:
    """Goods and stock for every site, a few redemptions, one demo kiosk (services/demo/supermarket.py)."""
    from services.demo import supermarket as demo_supermarket

    demo_supermarket.build(rng, sites, homes, staff)


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


def _support_demo(rng, sites, homes, staff) -> None:
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


def _honors_demo(sites, staff):
    """A published 光荣榜 for the first site (this year so far): award winners of posted rounds and the
    top of the earned-points ranking."""
    from services.earning.evaluations import award_types
    from services.honors import lists as honors

    today = local_today()
    cadre = staff["cadre"]
    lst = honors.create_list(cadre, {"site_id": sites[0].id, "title": f"{today.year}年度光荣榜",
                                     "period_start": today.replace(month=1, day=1).isoformat(),
                                     "period_end": today.isoformat(), "extra_sections": "积分之星",
                                     "award_type_ids": [a.id for a in award_types()]})
    citations = ("坚持照顾楼里的孤寡老人,每周上门代购陪诊。", "带头参加集中清扫和文明劝导,楼道常年干净整洁。",
                 "主动化解邻里纠纷,积极参加志愿服务。")
    for n, section in enumerate(lst.sections):
        found = honors.candidates(lst, section)
        if section.award_type_id:
            found = [c for c in found if section.name in c.awards]
        for k, candidate in enumerate(found[:3]):
            honors.add_entry(cadre, lst, section.id, candidate.household_id, citations[(n + k) % len(citations)],
                             "award" if section.award_type_id else "ranking")
    if honors.entries_of(lst):
        honors.open_notice(cadre, lst, days=7, today=today - timedelta(days=10))
        honors.publish(cadre, lst)
    _honor_list_in_notice(sites[0], staff, citations, opened=today - timedelta(days=8))
    if len(sites) > 1:
        lst = _honor_list_in_notice(sites[1], staff, citations, opened=today - timedelta(days=1))
        if lst is not None:
            honors.record_objection(staff["committee"], lst, "这户上月有违规搭建,评为文明家庭不合适",
                                    honors.entries_of(lst)[0].id, raised_by="居民代表")


def _honor_list_in_notice(site, staff, citations, opened):
    """A last-quarter list of `site` whose 7-day 公示 opened on `opened` (ended when that is a week ago)."""
    from models import Household
    from services.earning.rules import period_bounds
    from services.honors import lists as honors

    cadre, today = staff["cadre"], local_today()
    start, end = period_bounds(period_bounds(today, "quarter")[0] - timedelta(days=1), "quarter")
    quarter = (start.month - 1) // 3 + 1
    lst = honors.create_list(cadre, {"site_id": site.id, "title": f"{start.year}年第{quarter}季度光荣榜",
                                     "period_start": start.isoformat(), "period_end": end.isoformat(),
                                     "extra_sections": "文明家庭"})
    ranked = [c.household_id for c in honors.candidates(lst, lst.sections[0]) if c.earned][:3]
    homes = ranked or db.session.execute(select(Household.id).where(
        Household.site_id == site.id, Household.status == "active").order_by(Household.id).limit(3)).scalars().all()
    if not homes:
        return None
    for k, home_id in enumerate(homes):
        honors.add_entry(cadre, lst, lst.sections[0].id, home_id, citations[k % len(citations)],
                         "ranking" if ranked else "manual")
    honors.open_notice(cadre, lst, days=7, contact="幸福社区居委会 0851-8888 1234", today=opened)
    return lst


def _integrity_demo(rng, sites, staff):
    """资金台账: money received per site, every stock-in valued (docs/decisions.md#fund)."""
    from services.integrity.fund import demo_fund

    demo_fund(rng, sites, staff["admin"])
