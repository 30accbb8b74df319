"""Database behaviour on SQLite AND PostgreSQL: double submits and races in the earning paths
(round posting, activity closing, approvals, caps) write each entry once."""
import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models import ActivitySignIn, EvaluationRound, LedgerEntry, Rule, RuleEvent, StaffUser
from services.earning import activities, approvals, evaluations, notices, rules
from services.errors import DomainError


def race(app, n, work):
    """Run work(index) in n threads, each with its own app context and session, all at once."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def world(any_app, make_site, make_household, make_user):
    evaluations.ensure_defaults()
    rules.seed_catalog()
    site = make_site()
    homes = [make_household(site, head_name=f"住户{i}") for i in range(4)]
    committee = make_user("committee", sites=[site])
    cadres = [make_user("cadre", sites=[site]) for _ in range(3)]
    return {"app": any_app, "site": site, "homes": homes, "committee": committee, "cadres": cadres}


def count(model):
    return db.session.execute(select(func.count(model.id))).scalar_one()


def test_concurrent_round_posting_posts_once(world):
    rnd = evaluations.create_round(world["committee"], {"site_id": world["site"].id, "title": "第3季度",
                                                        "period_start": "2026-07-01", "period_end": "2026-09-30"})
    evaluations.start_scoring(world["committee"], rnd)
    for home in world["homes"]:
        evaluations.set_score(world["committee"], rnd, home.id, rnd.config["dimensions"][0]["id"], 9)
    evaluations.set_nomination(world["committee"], rnd, world["homes"][0].id, rnd.config["awards"][0]["id"], True)
    evaluations.open_notice(world["cadres"][0], rnd, today=rnd.period_end)
    round_id, cadre_id = rnd.id, world["cadres"][0].id
    after = notices.notice_ends_at(rnd.notice_end)
    db.session.commit()

    def post(_i):
        return evaluations.post_round(db.session.get(StaffUser, cadre_id), db.session.get(EvaluationRound, round_id),
                                      now=after)

    results = race(world["app"], 4, post)
    assert all(isinstance(r, dict) for r in results), results
    assert count(LedgerEntry) == 5
    assert sum(db.session.execute(select(LedgerEntry.points)).scalars()) == 4 * 9 + 30


def test_concurrent_activity_close_posts_once(world):
    act = activities.create(world["committee"], {"site_id": world["site"].id, "title": "清扫",
                                                 "starts_at": "2026-11-20T09:00", "points": 4})
    for home in world["homes"]:
        activities.sign_in_manual(world["committee"], act, home.id)
    act_id, user_id = act.id, world["committee"].id
    db.session.commit()
    from models import Activity

    results = race(world["app"], 3, lambda i: activities.close(db.session.get(StaffUser, user_id),
                                                               db.session.get(Activity, act_id)))
    assert all(isinstance(r, dict) and r["posted"] == 4 for r in results), results
    assert count(LedgerEntry) == 4


def test_two_cadres_approving_one_item_post_once(world):
    rule = db.session.execute(select(Rule).where(Rule.name == "主动化解邻里纠纷")).scalar_one()
    event = rules.record(world["committee"], rule.id, [world["homes"][0].id], quantity=6)[0]
    event_id, cadre_ids = event.id, [c.id for c in world["cadres"]]
    db.session.commit()
    results = race(world["app"], 3, lambda i: approvals.decide(db.session.get(StaffUser, cadre_ids[i]), "rule",
                                                               event_id, True))
    assert sum(1 for r in results if isinstance(r, RuleEvent)) == 1
    assert all(isinstance(r, (RuleEvent, approvals.AlreadyDecided)) for r in results), results
    assert count(LedgerEntry) == 1


def test_concurrent_recordings_cannot_pass_the_rule_cap_together(world):
    rule = db.session.execute(select(Rule).where(Rule.name == "志愿服务")).scalar_one()  # cap 15 a month
    home_id, user_id, rule_id = world["homes"][0].id, world["committee"].id, rule.id
    db.session.commit()
    results = race(world["app"], 4, lambda i: rules.record(db.session.get(StaffUser, user_id), rule_id, [home_id],
                                                           quantity=3))  # 9 points each
    assert sum(1 for r in results if isinstance(r, list)) == 1, results
    assert db.session.execute(select(func.sum(RuleEvent.nominal_points))).scalar_one() == 9
    assert count(ActivitySignIn) == 0
