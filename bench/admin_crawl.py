"""Admin pages where people wait: every parameterless admin GET page, and the detail pages of a sample
of households, evaluation rounds and honor lists (a round or list of every state among them; the public
page of published lists), timed as a logged-in admin (docs/performance.md). bench/civic_data.py makes
the rounds and lists.

    python -m bench.admin_crawl --database-url sqlite:////tmp/bench/county.db --out bench/results
    python -m bench.admin_crawl --database-url postgresql+psycopg://postgres@127.0.0.1/bench_province \
        --out bench/results

In-process (Flask test client, the app as served but without HTTP): each page is requested --runs
times after one untimed warm-up request and its best time is reported; pages answering anything but
200 are listed as failures. Prints every page's time and the slowest; `--out` writes
<dir>/<date>-crawl-<dialect>.json. The goal: no page slower than 300 ms."""
import argparse
import json
import os
import re
import statistics
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import text

from bench.generate import make_app
from extensions import db

GOAL_MS = 300
#: pages whose URL takes one id: (kind, query of the ids to sample from — with a second column, a state:
#: the sample takes one record of each state —, the URL segment before the id in the kind's rules)
DETAIL_PAGES = (
    ("household", "SELECT id FROM household ORDER BY id", "/households/<"),
    ("round", "SELECT id, status FROM evaluation_round ORDER BY id", "/evaluations/<"),
    ("honor_list", "SELECT id, status FROM honor_list ORDER BY id", "/honors/<"),
    # the public page shows published lists only (404 for the others)
    ("published_honor_list", "SELECT id FROM honor_list WHERE status = 'published' ORDER BY id", "/public/honors/<"),
)
#: GET pages that are not pages (downloads of every row, sign-out): skipped unless --downloads
#: names of the threads pages start for background work (admin/background.py, services/reports/report_totals.py)
BACKGROUND_THREADS = ("household-export", "report-fold", "anomalies", "verify")
NOT_PAGES = re.compile(r"logout|/audio|\.(mp3|png|pdf)$")


def crawl_admin(app) -> str:
    """What the session stores for an active admin (made when the database has none)."""
    from models import StaffUser

    with app.app_context():
        user = db.session.execute(db.select(StaffUser).where(StaffUser.username == "bench-admin")).scalar_one_or_none()
        if user is None:
            user = StaffUser(username="bench-admin", display_name="基准管理员")
            user.roles = ("admin",)
            user.set_password("bench-admin-password")
            db.session.add(user)
            db.session.commit()
        return user.get_id()


def pages(app, sample: int) -> list[tuple[str, str]]:
    """(kind, url): every parameterless admin GET rule, then each detail rule with `sample` ids."""
    found, detail_rules = [], {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods or NOT_PAGES.search(rule.rule):
            continue
        if not rule.arguments:
            found.append(("page", rule.rule))
        elif len(rule.arguments) == 1:
            detail_rules.setdefault(next(iter(rule.arguments)), []).append(rule)
    with app.app_context():
        for kind, query, segment in DETAIL_PAGES:
            try:
                rows = db.session.execute(text(query)).all()
            except Exception:  # noqa: BLE001 - a table this database does not have
                db.session.rollback()
                continue
            chosen = sampled(rows, sample)
            for argument, rules in detail_rules.items():
                for rule in rules:
                    if _detail_of(rule.rule, segment):
                        found += [(kind, rule.rule.replace(f"<int:{argument}>", str(i)).replace(
                            f"<{argument}>", str(i))) for i in chosen]
        db.session.rollback()
    return sorted(set(found), key=lambda one: (one[0] != "page", one[1]))


def sampled(rows, sample: int) -> list[int]:
    """Ids of `rows` ((id,) or (id, state)): the first of each state, then evenly spaced ones, `sample`
    at most (more when there are more states)."""
    firsts = {}
    for row in rows:
        if len(row) > 1:
            firsts.setdefault(row[1], row[0])
    chosen = sorted(firsts.values())
    spaced = [row[0] for row in rows[:: max(1, len(rows) // sample)]]
    chosen += [i for i in spaced if i not in chosen][: max(0, sample - len(chosen))]
    return sorted(chosen)


def _detail_of(rule: str, segment: str) -> bool:
    """A page of one record: the rule's only argument follows `segment` (/honors/< is not /public/honors/<)."""
    at = rule.find(segment)
    return (at >= 0 and rule.count("<") == 1 and not NOT_PAGES.search(rule)
            and (segment.startswith("/public/") or "/public/" not in rule[: at + 1]))


def time_pages(app, urls, runs: int) -> list[dict]:
    client = app.test_client()
    user_id = crawl_admin(app)
    with client.session_transaction() as session:  # as admin/auth.py's login sets it
        session["_user_id"] = user_id
        session["_fresh"] = True
        session["_staff_login_at"] = session["_staff_seen_at"] = int(time.time())
    results = []
    for kind, url in urls:
        # a redirect is followed and timed with its target (a large export redirects to its page)
        status = client.get(url, follow_redirects=True).status_code  # warm-up: templates, statement caches
        _background_done()
        times = []
        for _ in range(runs if status == 200 else 0):
            started = time.perf_counter()
            response = client.get(url, follow_redirects=True)
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            _background_done()
            status = response.status_code
        results.append({"kind": kind, "url": url, "status": status, "best_ms": min(times) if times else None,
                        "runs_ms": times})
    return results


def _background_done(timeout: float = 300) -> None:
    """Wait for work a page started in the background (a large export, a fold of the report totals):
    in-process it would hold the GIL while the next pages are timed."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith(BACKGROUND_THREADS):
            thread.join(timeout)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=5, help="detail pages per kind")
    parser.add_argument("--only", help="a regular expression: crawl only the URLs it finds")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    app = make_app(args.database_url)
    urls = pages(app, args.sample)
    if args.only:
        urls = [one for one in urls if re.search(args.only, one[1])]
    started = datetime.now(timezone.utc)
    results = time_pages(app, urls, args.runs)
    timed = [r for r in results if r["best_ms"] is not None]
    failures = [r for r in results if r["status"] != 200]
    slowest = sorted(timed, key=lambda r: -r["best_ms"])
    median = statistics.median(r["best_ms"] for r in timed) if timed else 0
    dialect = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    print(f"### admin crawl · {dialect} · {started:%Y-%m-%d %H:%M} UTC · {len(timed)} pages, best of {args.runs}")
    print(f"median {median:.0f} ms; slower than {GOAL_MS} ms: {sum(r['best_ms'] > GOAL_MS for r in timed)}")
    print("\n| page | best (ms) |\n|---|---|")
    for r in slowest:
        print(f"| {r['url']} | {r['best_ms']:.0f}{' **slow**' if r['best_ms'] > GOAL_MS else ''} |")
    for r in failures:
        print(f"| {r['url']} | status {r['status']} |")
    result = {"started_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "database": dialect,
              "url": re.sub(r"//[^@/]*@", "//", args.database_url), "runs": args.runs, "median_ms": median,
              "goal_ms": GOAL_MS, "pages": results}
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.join(args.out, f"{result['started_utc'][:10]}-crawl-{dialect}")
        path, n = f"{stem}.json", 1
        while os.path.exists(path):
            n += 1
            path = f"{stem}-{n}.json"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"results written: {path}")
    return result


if __name__ == "__main__":
    main()
