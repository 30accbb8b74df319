"""IDOR (docs/reliability.md): ids of another site's objects, in URLs AND in form/JSON fields.

tests/staff/test_access_crawl.py proves the central guard with example ids for households/cards/sites
and resolvers pointed at site A for the rest. Here every id argument is a REAL object of the demo
world (so each resolver itself is proven: activity, signin, round, goods, honor list/entry,
kiosk device, redemption, rule event, problem, visit, …), tried by a user holding every non-admin
role on another site; and ids smuggled in form fields/JSON bodies (household, card, redemption,
activity, entry ids) are refused with nothing written. (A recusal declaration naming a household
of another site is allowed on purpose: it only restricts the declarer.) The kiosk API: a device never sees another
device's receipts."""
import itertools

from sqlalchemy import select, text

from admin.scope import SCOPED_ARGS, resolver_for
from extensions import db
from tests.conftest import password_hash
from tests.reliability.bad_input_helpers import ARG_TABLES, diff, logged_in, row_counts

ROLES = ("cadre", "committee", "shopkeeper", "auditor")
_names = itertools.count()


def _site_of(name: str, value) -> object:
    resolver = SCOPED_ARGS.get(name) or resolver_for(name)
    return resolver(value) if resolver else None


def _user_on_other_site(site_id: int):
    """A user with every non-admin role, scoped to a site other than `site_id`."""
    from models import Site, StaffScope, StaffUser

    other = db.session.execute(select(Site.id).where(Site.id != site_id)).scalars().first()
    user = StaffUser(username=f"idor{next(_names)}", display_name="越权测试")
    user.roles = ROLES
    user.password_hash = password_hash("password123")
    user.scopes = [StaffScope(site_id=other)]
    db.session.add(user)
    db.session.commit()
    return user, other


def test_real_objects_of_another_site_are_refused_in_urls(demo_app):
    checked, uncovered, problems = [], set(), []
    clients = {}
    for rule in sorted(demo_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/admin"):
            continue
        scoped = [n for n in rule.arguments if n in ARG_TABLES and (SCOPED_ARGS.get(n) or resolver_for(n))]
        if not scoped:
            continue
        required = getattr(demo_app.view_functions[rule.endpoint], "required_roles", ())
        if required == () or not set(required) & set(ROLES):  # admin-only: county-wide
            continue
        # a real object for the first scoped argument; the others from the same site when possible
        name = scoped[0]
        rows = db.session.execute(text(f'SELECT id FROM "{ARG_TABLES[name]}" ORDER BY id LIMIT 50')).scalars().all()
        found = [(i, _site_of(name, i)) for i in rows]
        found = [(i, s) for i, s in found if isinstance(s, int)]
        if not found:
            uncovered.add(name)
            continue
        object_id, site_id = found[0]
        values = {name: object_id}
        for other in rule.arguments:
            if other in values:
                continue
            if other in ARG_TABLES:
                ids = db.session.execute(text(f'SELECT id FROM "{ARG_TABLES[other]}" ORDER BY id LIMIT 50')).scalars()
                same = [i for i in ids if _site_of(other, i) in (site_id, None, "county")] or [1]
                values[other] = same[0]
            else:
                values[other] = "rule" if other == "kind" else "notice" if other == "action" else "A4" \
                    if other == "size" else "x"
        url = rule.build(values, append_unknown=False)[1]
        if site_id not in clients:
            user, _ = _user_on_other_site(site_id)
            clients[site_id] = logged_in(demo_app, user.username, "password123")
        for method in ("GET", "POST") if "POST" in rule.methods else ("GET",):
            if method not in rule.methods:
                continue
            before = row_counts()
            resp = clients[site_id].open(url, method=method)
            checked.append(f"{method} {url}")
            if resp.status_code not in (403, 404):
                problems.append(f"{method} {url} ({name} of site {site_id}): {resp.status_code}")
            elif diff(before, row_counts()):
                problems.append(f"{method} {url}: refused but wrote {diff(before, row_counts())}")
    assert len(checked) >= 40, checked
    assert not problems, "\n".join(problems)
    _record("idor_url_requests", len(checked))


def _world(demo_app):
    from models import Activity, EvaluationRound, HonorList, Household, Redemption

    homes = db.session.execute(select(Household).where(Household.status == "active")).scalars().all()
    by_site = {}
    for home in homes:
        by_site.setdefault(home.site_id, []).append(home)
    return {"by_site": by_site,
            "activity": db.session.execute(select(Activity)).scalars().first(),
            "round": db.session.execute(select(EvaluationRound)).scalars().first(),
            "honor": db.session.execute(select(HonorList)).scalars().first(),
            "redemption": db.session.execute(select(Redemption)).scalars().first()}


def test_ids_of_another_site_in_form_fields_and_json_are_refused(demo_app):
    """A user of site B names site-A households inside forms of site-B objects (or of no object)."""
    from models import Card, HonorSection, Site

    w = _world(demo_app)
    problems, tried = [], 0
    for obj_site, label in ((w["round"].site_id, "round"), (w["honor"].site_id, "honor"),
                            (w["activity"].site_id, "activity")):
        foreign_site = next(s for s in w["by_site"] if s != obj_site)
        foreign = w["by_site"][foreign_site][0]
        own = w["by_site"][obj_site][0]
        # a user of the OBJECT's site (allowed on the object) naming a household of another site
        from models import StaffScope, StaffUser

        user = StaffUser(username=f"idor{next(_names)}", display_name="越权测试")
        user.roles = ROLES
        user.password_hash = password_hash("password123")
        user.scopes = [StaffScope(site_id=obj_site)]
        db.session.add(user)
        db.session.commit()
        client = logged_in(demo_app, user.username, "password123")
        foreign_card = db.session.execute(select(Card).where(Card.household_id == foreign.id)).scalars().first()
        section = db.session.execute(select(HonorSection).where(HonorSection.list_id == w["honor"].id)).scalars().first()
        attempts = {
            "round": [("POST", f"/admin/evaluations/{w['round'].id}/cell",
                       {"json": {"household_id": foreign.id, "dimension_id": 1, "score": 5}}),
                      ("POST", f"/admin/evaluations/{w['round'].id}/reverse",
                       {"data": {"household_id": str(foreign.id), "reason": "越权"}})],
            "honor": [("POST", f"/admin/honors/{w['honor'].id}/entries",
                       {"data": {"section_id": str(section.id if section else 0), "household_id": str(foreign.id),
                                 "citation": "越权"}})],
            "activity": [("POST", f"/admin/activities/{w['activity'].id}/signin/scan",
                          {"json": {"household_id": foreign.id}})],
        }[label]
        attempts += [
            ("POST", "/admin/rules/record", {"data": {"site_id": str(obj_site), "rule_id": "1", "quantity": "1",
                                                      "household_id": str(foreign.id), "note": "越权"}}),
            ("POST", "/admin/cards/print", {"data": {"household_ids": str(foreign.id), "layout": "single"}}),
            ("POST", f"/admin/life-events/households/{own.id}/merge",
             {"data": {"absorbed_id": str(foreign.id), "note": "越权"}}),
            ("POST", "/admin/integrity/adjustments",
             {"data": {"household_id": str(foreign.id), "points": "5", "reason": "越权"}}),
            ("POST", "/admin/support/monitoring/new", {"data": {"household_id": str(foreign.id), "type": "x"}}),
            ("GET", f"/admin/support/visits/new?household_id={foreign.id}", {}),
            ("POST", "/admin/earning/scan", {"json": {"token": foreign_card.short_code if foreign_card else "x",
                                                      "card": foreign_card.short_code if foreign_card else "x"}}),
        ]
        for method, url, kwargs in attempts:
            before = row_counts()
            tried += 1
            try:
                resp = client.open(url, method=method, **kwargs)
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                problems.append(f"{method} {url}: {type(exc).__name__}: {exc}")
                continue
            after = row_counts()
            written = {k: v for k, v in diff(before, after).items() if k != "audit_log"}
            if resp.status_code >= 500:
                problems.append(f"{method} {url}: HTTP {resp.status_code}")
            elif written:
                problems.append(f"{method} {url}: wrote {written} for a household of site {foreign_site}")
            elif resp.status_code == 200 and resp.mimetype == "application/pdf":
                problems.append(f"{method} {url}: printed another site's card")
            elif method == "GET" and resp.status_code == 200:
                problems.append(f"{method} {url}: opened another site's household")
        assert db.session.get(Site, foreign_site)
    assert tried >= 20
    assert not problems, "\n".join(problems)
    _record("idor_field_requests", tried)


def test_a_kiosk_never_sees_another_devices_receipts(client, app, make_site, make_household):
    from tests.supermarket.kiosk_helpers import add_goods, auth, card_for, new_request_id, paired_device

    site_a, site_b = make_site("甲"), make_site("乙")
    rice = add_goods(site_a, "大米", price=5, stock=5)
    home = make_household(site=site_a, balance=50)
    card = card_for(home)
    _a, token_a = paired_device(site_a, "甲一号")
    _a2, token_a2 = paired_device(site_a, "甲二号")
    _b, token_b = paired_device(site_b, "乙一号")
    db.session.commit()
    session_id = client.post("/kiosk/api/scan", json={"card": card}, headers=auth(token_a)).get_json()["session_id"]
    rid = new_request_id()
    ok = client.post("/kiosk/api/redeem", headers=auth(token_a), json={
        "session_id": session_id, "request_id": rid, "cart": [{"goods_id": rice.id, "qty": 1}]})
    assert ok.status_code == 200
    assert client.get(f"/kiosk/api/receipt/{rid}", headers=auth(token_a)).status_code == 200
    for token in (token_a2, token_b):
        assert client.get(f"/kiosk/api/receipt/{rid}", headers=auth(token)).status_code == 404
        # nor can another device redeem on this device's session (or replay its request_id)
        before = row_counts()
        resp = client.post("/kiosk/api/redeem", headers=auth(token), json={
            "session_id": session_id, "request_id": new_request_id(), "cart": [{"goods_id": rice.id, "qty": 1}]})
        assert resp.status_code in (403, 410)
        replay = client.post("/kiosk/api/redeem", headers=auth(token), json={
            "session_id": session_id, "request_id": rid, "cart": [{"goods_id": rice.id, "qty": 1}]})
        assert replay.status_code == 409 and "receipt" not in replay.get_json()
        assert diff(before, row_counts()) == {}


def _record(key, value):
    import json
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "artifacts", "reliability")
    os.makedirs(path, exist_ok=True)
    target = os.path.join(path, "bad-input.json")
    old = json.load(open(target)) if os.path.exists(target) else {}
    old[key] = value
    with open(target, "w") as fh:
        json.dump(old, fh, ensure_ascii=False, indent=1)
