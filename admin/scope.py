"""Role AND site scope for every /admin route, checked in one place.

A `before_request` hook on the admin blueprint runs before every staff view:

1. an anonymous user passes through to the view's `login_required` (redirect to the login page);
   a user disabled while logged in is logged out;
2. the view's `required_roles` (set by `roles_required`) are checked (admin passes everywhere);
3. every URL argument that names a site-scoped object is resolved to its site and checked with
   `services.staff.scope.require_site` (403 outside the user's scope, 404 when it does not exist).

Register the id arguments of your own routes once, next to your views::

    from admin.scope import scoped_arg

    @scoped_arg("round_id")
    def _round_site(round_id: int):
        row = db.session.get(Round, round_id)
        return row.site_id if row else None      # None -> 404

An argument that is county-wide on purpose (e.g. a rules catalog id) is declared with
`unscoped_arg("rule_id")`. An undeclared `<x>_id` whose model (table `x` or `..._x`) has a
`site_id` or `household_id` column is scoped automatically (`resolver_for`); a row whose
site_id is NULL is county-wide and passes. tests/staff/test_access_crawl.py walks the url_map and fails on any id
argument that is neither, on any view without `roles_required`/an allow-list entry, and proves the
refusals for anonymous, wrong-role and wrong-site users.
"""
from typing import Callable, Optional

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, logout_user

from admin import bp
from extensions import db
from models import Card, Household, Site
from services.errors import Forbidden
from services.staff.scope import require_site, sites_in_scope

#: URL argument name -> function(value) -> site id (None = no such object)
SCOPED_ARGS: dict[str, Callable[[object], Optional[int]]] = {}
#: what a resolver returns for an object that exists but belongs to no site (county-wide)
COUNTY_WIDE = "county"
#: URL argument names that are deliberately not site-scoped
UNSCOPED_ARGS: set[str] = {"filename", "path", "fmt", "page", "kind"}
#: endpoints any logged-in staff member may open (no role needed)
LOGIN_ONLY_ENDPOINTS: set[str] = {"admin.dashboard", "admin.change_password", "admin.logout"}
#: endpoints that need no login at all
PUBLIC_ENDPOINTS: set[str] = {"admin.login", "admin.static"}


def scoped_arg(name: str):
    """Decorator registering the resolver of a site-scoped URL argument."""

    def register(resolver: Callable[[object], Optional[int]]):
        SCOPED_ARGS[name] = resolver
        return resolver

    return register


def chosen_site() -> Site:
    """The site a per-site page shows: ?site_id= (or the form's), checked against the user's scope,
    else the first site in scope; 403 when the user has none."""
    sites = sites_in_scope(current_user)
    if not sites:
        abort(403)
    wanted = request.args.get("site_id", type=int) or request.form.get("site_id", type=int)
    if wanted is None:
        return sites[0]
    if not 0 < wanted < 2**31:
        abort(404)
    require_site(current_user, wanted)
    return db.get_or_404(Site, wanted)


def unscoped_arg(*names: str) -> None:
    UNSCOPED_ARGS.update(names)


def login_only(*endpoints: str) -> None:
    """Declare views that any logged-in staff member may open (e.g. a personal settings page)."""
    LOGIN_ONLY_ENDPOINTS.update(endpoints)


@scoped_arg("household_id")
def _household_site(household_id) -> Optional[int]:
    return db.session.execute(db.select(Household.site_id).where(Household.id == household_id)).scalar_one_or_none()


@scoped_arg("card_id")
def _card_site(card_id) -> Optional[int]:
    return db.session.execute(
        db.select(Household.site_id).join(Card, Card.household_id == Household.id).where(Card.id == card_id)
    ).scalar_one_or_none()


@scoped_arg("site_id")
def _site(site_id) -> Optional[int]:
    return db.session.execute(db.select(Site.id).where(Site.id == site_id)).scalar_one_or_none()


@bp.before_request
def enforce_role_and_scope():
    if not current_user.is_authenticated or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.active:  # disabled while logged in: the session ends now
        logout_user()
        flash("这个账号已停用,请联系系统管理员", "error")
        return redirect(url_for("admin.login"))
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "required_roles", None)
    if roles is not None and not current_user.has_role("admin", *roles):
        raise Forbidden("您的角色不能使用这个功能")
    for name, value in (request.view_args or {}).items():
        resolver = resolver_for(name)
        if resolver is None:
            continue
        site_id = resolver(value)
        if site_id is None:
            abort(404)
        if site_id != COUNTY_WIDE:
            require_site(current_user, site_id)
    return None


def resolver_for(name: str) -> Optional[Callable[[object], object]]:
    """The registered resolver of a URL argument, or one derived from its model (cached)."""
    if name in SCOPED_ARGS or name in UNSCOPED_ARGS or not name.endswith("_id"):
        return SCOPED_ARGS.get(name)
    model = _model_for(name[:-3])
    if model is None:
        return None
    SCOPED_ARGS[name] = _model_resolver(model)
    return SCOPED_ARGS[name]


def _model_for(stem: str):
    tables = {m.local_table.name: m.class_ for m in db.Model.registry.mappers if m.local_table is not None}
    found = [cls for table, cls in tables.items() if table == stem] or \
            [cls for table, cls in tables.items() if table.endswith("_" + stem)]
    if len(found) != 1 or not ({"site_id", "household_id"} & set(found[0].__table__.columns.keys())):
        return None
    return found[0]


def _model_resolver(model):
    columns = model.__table__.columns
    if "site_id" in columns:
        query = db.select(columns["site_id"])
    else:
        query = (db.select(Household.site_id).select_from(model.__table__)
                 .join(Household, Household.id == columns["household_id"]))

    def resolve(value):
        row = db.session.execute(query.where(model.__table__.c.id == value)).first()
        if row is None:
            return None
        return COUNTY_WIDE if row[0] is None else row[0]

    return resolve
