"""五评五奖 rounds and 光荣榜 lists on benchmark data: the detail pages bench/admin_crawl.py times.

    python -m bench.civic_data --database-url sqlite:////tmp/bench/county.db
    python -m bench.civic_data --database-url postgresql+psycopg://postgres@127.0.0.1/bench_province

Made through the product's services (services/earning/evaluations.py, services/honors/lists.py), as
the staff pages make them, so every point a round posts goes through ledger.post and the hash chains,
balances and month totals stay valid. Runs on a database bench.generate made (which calls it), at any
scale and after load runs too; a database that already has them is left alone.

For a handful of sites (4 at tiny, 5 at county, 20 at province scale; --sites) one round of 2025 Q4
each, covering every active household of the site, in every state: the last chosen site's round is a
draft, the one before is being scored (half its households), the one before that is on 公示 with an
open objection, the rest are posted (the first after a rejected objection, and one household reversed).
Honor lists: each posted site's quarter list, published (award sections with the round's winners, and
the points ranking's top); a year-long list at the first posted site, published; a list on 公示 with an
open objection; a published list withdrawn; a year-long draft (its page suggests candidates for every
section). A list belongs to one site (the product has no area-wide list), so the year-long lists are
the largest a list gets. Business dates are fixed (deterministic); the 公示 are over."""
import argparse
import random
import time
from datetime import date, timedelta

from sqlalchemy import select

from extensions import db

QUARTER = (date(2025, 10, 1), date(2025, 12, 31))
#: the ledger bench.generate writes starts 2025-12-01; a year of it
YEAR = (date(2025, 12, 1), date(2026, 11, 30))
DECEMBER = (date(2025, 12, 1), date(2025, 12, 31))
NOTICE_OPENED = date(2026, 1, 5)
CITATIONS = ("坚持照顾楼里的孤寡老人,每周上门代购陪诊。", "带头参加集中清扫和文明劝导,楼道常年干净整洁。",
             "主动化解邻里纠纷,积极参加志愿服务。", "自主创业带动邻居就业,热心公益。",
             "家庭和睦,孝老爱亲,教育子女勤奋上进。")
RANKING_SECTION = "积分之星"


def sites_for(site_count: int) -> int:
    """How many sites get a round: every site of tiny data, 5 of a county, 20 of a province."""
    return site_count if site_count <= 4 else 5 if site_count < 1_000 else 20


def add(app, sites: int = 0, seed: int = 7) -> dict:
    """Add the rounds and lists (commits); {} when the database has them already."""
    with app.app_context():
        from models import StaffUser

        if db.session.execute(select(StaffUser.id).where(StaffUser.username.like("bench-cadre-%")).limit(1)).first():
            db.session.rollback()
            return {}
        started = time.perf_counter()
        made = Civic(random.Random(seed)).build(sites)
        db.session.commit()
        made["seconds"] = time.perf_counter() - started
        return made


class Civic:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.made = {"rounds": {}, "lists": {}, "entries": 0}

    def build(self, sites: int) -> dict:
        from models import Household
        from services.earning import evaluations

        evaluations.ensure_defaults()
        homes: dict[int, list[int]] = {}
        for home_id, site_id in db.session.execute(select(Household.id, Household.site_id).where(
                Household.status == "active").order_by(Household.site_id, Household.id)):
            homes.setdefault(site_id, []).append(home_id)
        candidates = sorted(s for s, ids in homes.items() if len(ids) >= 2)
        chosen = sorted(self.rng.sample(candidates, min(len(candidates), sites or sites_for(len(candidates)))))
        states = ["posted"] * len(chosen)
        for offset, state in enumerate(("draft", "scoring", "notice")):
            if len(chosen) > offset + 1:  # the first site's round is always posted
                states[-1 - offset] = state
        posted = [s for s, state in zip(chosen, states) if state == "posted"]
        for site_id, state in zip(chosen, states):
            committee, cadre = self.staff(site_id)
            self.round(site_id, homes[site_id], state, committee, cadre, first=site_id == posted[0])
        self.lists(chosen, states, posted)
        return self.made

    def staff(self, site_id: int):
        """The site's 评议会 member and 干部, scoped to the site (they never log in)."""
        from models import StaffScope, StaffUser

        people = []
        for role, name in (("committee", "评议"), ("cadre", "书记")):
            user = StaffUser(username=f"bench-{role}-{site_id}", display_name=f"基准{name}{site_id}",
                             password_hash="!bench-never-logs-in")
            user.roles = (role,)
            user.scopes = [StaffScope(site_id=site_id)]
            db.session.add(user)
            people.append(user)
        db.session.flush()
        return people

    # ------------------------------------------------------------------ rounds
    def round(self, site_id, homes, state, committee, cadre, first=False):
        from services.earning import evaluations, notices

        rng = self.rng
        rnd = evaluations.create_round(committee, {
            "site_id": site_id, "title": "2025年第4季度", "period_start": QUARTER[0], "period_end": QUARTER[1],
            "notice_days": 7, "contact": f"安置点{site_id}居委会 0851-8888 {site_id % 10_000:04d}"})
        self.made["rounds"][state] = self.made["rounds"].get(state, 0) + 1
        if state == "draft":
            return rnd
        evaluations.start_scoring(committee, rnd)
        dims, awards = rnd.config["dimensions"], rnd.config["awards"]
        scored = homes[: len(homes) // 2] if state == "scoring" else homes
        for home_id in scored:
            for dim in dims:
                evaluations.set_score(committee, rnd, home_id, dim["id"], rng.randint(max(0, dim["max_score"] - 5),
                                                                                     dim["max_score"]))
        winners = max(1, len(homes) // 15)
        for award in awards:
            for home_id in rng.sample(scored, min(len(scored), winners)):
                evaluations.set_nomination(committee, rnd, home_id, award["id"], True)
        if state == "scoring":
            return rnd
        evaluations.open_notice(cadre, rnd, today=NOTICE_OPENED)
        lines = evaluations.lines_of(rnd)
        objection = evaluations.record_objection(committee, rnd, rng.choice(lines).id,
                                                 "邻居反映这一户楼道常堆杂物,卫生评分偏高", raised_by="3栋住户(匿名)")
        if state == "notice":
            return rnd
        evaluations.resolve_objection(cadre, objection, False, "经入户核实,卫生评分无误")
        evaluations.post_round(cadre, rnd, now=notices.notice_ends_at(rnd.notice_end) + timedelta(minutes=5))
        if first:
            evaluations.reverse_household(cadre, rnd, lines[0].household_id, "户主已于评议期内迁出,评分作废")
        return rnd

    # ------------------------------------------------------------------ honor lists
    def lists(self, chosen, states, posted):
        by_state = dict(zip(states, chosen))
        for site_id in posted:
            self.honor_list(site_id, "2025年第四季度光荣榜", QUARTER, "published", top=5)
        self.honor_list(posted[0], "2025—2026年度光荣榜", YEAR, "published", top=20)
        if "notice" in by_state:
            self.honor_list(by_state["notice"], "2025年12月光荣榜", DECEMBER, "notice", top=5)
        if "scoring" in by_state:
            self.honor_list(by_state["scoring"], "2025年12月光荣榜", DECEMBER, "withdrawn", top=5)
        self.honor_list(by_state.get("draft", posted[-1]), "2025—2026年度光荣榜(草稿)", YEAR, "draft", top=3)

    def honor_list(self, site_id, title, period, state, top):
        """A list with every award section and 积分之星: winners of posted rounds, then the ranking's top."""
        from services.earning import notices
        from services.earning.evaluations import award_types
        from services.honors import lists as honors

        _, cadre = self.people(site_id)
        lst = honors.create_list(cadre, {"site_id": site_id, "title": title, "period_start": period[0].isoformat(),
                                         "period_end": period[1].isoformat(), "extra_sections": RANKING_SECTION,
                                         "award_type_ids": [a.id for a in award_types()]})
        for n, section in enumerate(lst.sections):
            found = honors.candidates(lst, section)
            if section.award_type_id:
                found = [c for c in found if section.name in c.awards]
            for k, candidate in enumerate(found[:top]):
                honors.add_entry(cadre, lst, section.id, candidate.household_id, CITATIONS[(n + k) % len(CITATIONS)],
                                 "award" if section.award_type_id else "ranking")
                self.made["entries"] += 1
        self.made["lists"][state] = self.made["lists"].get(state, 0) + 1
        if state == "draft" or not honors.entries_of(lst):
            return lst
        committee, _ = self.people(site_id)
        honors.open_notice(cadre, lst, days=7, contact=f"安置点{site_id}居委会", today=period[1] + timedelta(days=1))
        if state == "notice":
            honors.record_objection(committee, lst, "这户上月有违规搭建,评为文明家庭不合适",
                                    honors.entries_of(lst)[0].id, raised_by="居民代表")
            return lst
        honors.publish(cadre, lst, now=notices.notice_ends_at(lst.notice_end) + timedelta(minutes=5))
        if state == "withdrawn":
            honors.withdraw(cadre, lst, "上榜住户被查实违规搭建,撤销本期光荣榜")
        return lst

    def people(self, site_id):
        from models import StaffUser

        return [db.session.execute(select(StaffUser).where(StaffUser.username == f"bench-{role}-{site_id}"))
                .scalar_one() for role in ("committee", "cadre")]


def main(argv=None) -> dict:
    from bench.generate import make_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sites", type=int, default=0, help="sites with a round (default: by the data's size)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    made = add(make_app(args.database_url), args.sites, args.seed)
    print(summary(made))
    return made


def summary(made: dict) -> str:
    if not made:
        return "rounds and honor lists: already there, nothing added"
    return (f"rounds {made['rounds']}, honor lists {made['lists']} ({made['entries']} entries) "
            f"in {made['seconds']:.1f}s")


if __name__ == "__main__":
    main()
