"""Demo of the township's plan: realistic identity numbers (so ages are known), the 创业就业台账 in every
state, 包保分工 (settlement leaders, causes, a department holding each cause, one gap left open), a
融合共建 activity, and an annual plan with tasks done, in progress and overdue for the demo cadre."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from extensions import db
from models import Area
from models.clock import local_today
from models.household import PRIORITY_TAGS

CHECK_WEIGHTS, CHECK_DIGITS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
#: relation -> (youngest, oldest) age for the demo identity numbers
AGES = {"户主": (28, 72), "配偶": (26, 70), "子女": (1, 35), "父母": (60, 88), "孙子女": (0, 12)}


def identity_number(rng, age: int, today: date) -> str:
    born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    body = f"522601{born:%Y%m%d}{rng.randint(100, 999)}"
    return body + CHECK_DIGITS[sum(int(d) * w for d, w in zip(body, CHECK_WEIGHTS)) % 11]


def build(rng, sites, homes, staff) -> None:
    today = local_today()
    for home in homes:
        for member in home.members:
            low, high = AGES.get(member.relation, (18, 60))
            member.id_number = identity_number(rng, rng.randint(low, high), today)
            if member.relation == "户主":
                home.head_id_number = member.id_number
    db.session.flush()
    _jobs(rng, homes, staff["cadre"], today)
    _support_kinds(rng, sites, homes, staff)
    _integration_activity(sites, staff, today)
    _plan(sites, staff, today)


def _jobs(rng, homes, cadre, today) -> None:
    from services.support import jobs

    statuses = ["migrant"] * 5 + ["flexible"] * 2 + ["business", "public_post", "unemployed", "unemployed"]
    places = {"migrant": ["浙江宁波 电子厂", "广东东莞 制鞋厂", "福建泉州 服装厂", "贵阳 建筑工地"],
              "flexible": ["县城 送外卖", "安置点周边 零工"], "business": ["安置点 便民小超市", "社区 早餐店"],
              "public_post": ["安置点 保洁公益岗", "社区 护林员"], "unemployed": [""]}
    wanted = ["电工", "家政服务", "电商直播", "挖掘机驾驶", "", ""]
    for n, row in enumerate(jobs.working_members({homes[0].site_id}, today=today)):
        if n % 6 == 5:
            continue  # left 未摸底 so the filter has something to show
        status = statuses[n % len(statuses)]
        jobs.save_employment(cadre, row.member, status=status, workplace=rng.choice(places[status]),
                                      since=today - timedelta(days=rng.randint(30, 900)) if status != "unemployed" else None,
                                      training_taken="家政培训" if n % 4 == 0 else "", training_wanted=rng.choice(wanted))
        if status == "business" and n % 2 == 0:
            jobs.add_subsidy(cadre, row.member, kind="startup", amount="5000", granted_on=today - timedelta(days=60))
        if status == "migrant" and n % 5 == 0:
            jobs.add_subsidy(cadre, row.member, kind="rent", amount="800", granted_on=today - timedelta(days=20))


def _support_kinds(rng, sites, homes, staff) -> None:
    from services.support import responsibility as support
    from services.support import settlement

    admin = staff["admin"]
    health = support.create_cadre(admin, "杨医生", "13812340011", "department", "县卫健局")
    school = support.create_cadre(admin, "吴老师", "13812340012", "department", "县教育局")
    township = db.session.execute(select(Area).where(Area.name == "城关镇")).scalar_one()
    for cause, cadre in (("illness", health), ("schooling", school)):
        settlement.assign_cause(admin, area_id=township.id, cause=cause, cadre_id=cadre.id,
                                start_date=local_today() - timedelta(days=200))
    causes = list(("illness", "disability", "schooling", "labour", "skills"))
    for n, home in enumerate(h for h in homes if set(h.tags) & PRIORITY_TAGS):
        if n % 4 != 3:  # a few priority households still without a cause
            settlement.set_causes(admin, home, rng.sample(causes, 1 + n % 2))
    for n, site in enumerate(sites[:-1]):  # the last settlement is left without a leader
        choices = settlement.leader_choices(site)
        if choices:
            settlement.set_leader(admin, site, choices[n % len(choices)].id, local_today() - timedelta(days=100))


def _integration_activity(sites, staff, today) -> None:
    from services.earning import activities

    day = today - timedelta(days=12)
    activity = activities.create(staff["committee"], {
        "site_id": sites[0].id, "title": "新老居民邻里节", "starts_at": datetime.combine(day, time(9)),
        "place": "幸福家园中心广场", "points_mode": "participant", "points": 3, "organiser": "县卫健局",
        "integration": "1"})
    activities.close(staff["committee"], activity)


def _plan(sites, staff, today) -> None:
    from services.support import plans

    admin, cadre = staff["admin"], staff["cadre"]
    township = db.session.execute(select(Area).where(Area.name == "城关镇")).scalar_one()
    plan = plans.create_plan(admin, area_id=township.id, year=today.year, title="易地扶贫搬迁后续扶持工作计划")
    open_problems = plans.problems_to_plan(plan)
    if open_problems:
        first = plans.take_up_problems(admin, plan, [open_problems[0].id], deadline=today - timedelta(days=3),
                                       responsible_user_id=cadre.id)[0]  # overdue: shows on 李书记's home page
        plans.add_progress(cadre, first, "已联系责任单位,等待回复")
    done = plans.add_task(admin, plan, title="开展一次搬迁群众就业技能培训", deadline=today - timedelta(days=20),
                          responsible_unit="镇人社中心", responsible_user_id=staff["cadre2"].id)
    plans.add_progress(staff["cadre2"], done, "已报名 32 人")
    plans.complete(admin, done, "培训已完成,结业 30 人")
    plans.add_task(admin, plan, title="安置点公共照明和监控全覆盖", deadline=today + timedelta(days=40),
                   responsible_unit="安置点物业", responsible_user_id=cadre.id)
    db.session.flush()
