"""A realistic demo county: townships, villages, sites, ~300 households, staff of every role."""
import random
from datetime import timedelta

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select

from extensions import db
from models import Area, Household, HouseholdTag, Member, Site, StaffScope, StaffUser
from models.clock import local_today
from services import ledger
from services.demo.support import build as support_demo
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
    support_demo(rng, sites, homes, staff)
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
