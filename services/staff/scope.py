"""Site scope: a staff user's scope is a set of area nodes or sites and covers everything below."""
from typing import Iterable, Optional, Union

from sqlalchemy import Select, select, true

from extensions import db
from models import Area, Site, StaffScope
from services.errors import Forbidden


def allowed_site_ids(user) -> Optional[set[int]]:
    """Site ids the user may act on; None means the whole county (no limit)."""
    if user.has_role("admin"):
        return None
    scopes = db.session.execute(select(StaffScope).where(StaffScope.user_id == user.id)).scalars().all()
    area_ids = {s.area_id for s in scopes if s.area_id is not None}
    site_ids = {s.site_id for s in scopes if s.site_id is not None}
    if area_ids:
        covered = _areas_below(area_ids)
        site_ids |= set(db.session.execute(select(Site.id).where(Site.area_id.in_(covered))).scalars())
    return site_ids


def sites_in_scope(user) -> list[Site]:
    """The sites the user may act on, in code order (for pickers and per-site listings)."""
    allowed = allowed_site_ids(user)
    query = select(Site).order_by(Site.code)
    if allowed is not None:
        query = query.where(Site.id.in_(allowed or {-1}))
    return list(db.session.execute(query).scalars())


def area_children() -> dict[Optional[int], list[int]]:
    """parent area id -> its child area ids (the whole tree, one query)."""
    children: dict[Optional[int], list[int]] = {}
    for area_id, parent_id in db.session.execute(select(Area.id, Area.parent_id)):
        children.setdefault(parent_id, []).append(area_id)
    return children


def county_of_areas() -> dict[int, Optional[int]]:
    """area id -> the id of the county it is in or is (the whole tree, one query)."""
    areas = {area_id: (parent_id, level) for area_id, parent_id, level in
             db.session.execute(select(Area.id, Area.parent_id, Area.level))}
    found: dict[int, Optional[int]] = {}
    for area_id in areas:
        walk = area_id
        while walk is not None and areas[walk][1] != "county":
            walk = areas[walk][0]
        found[area_id] = walk
    return found


def areas_under(roots, children: dict) -> set[int]:
    """The areas in `roots` and every area under them, from an area_children() tree."""
    found, stack = set(), list(roots)
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, []))
    return found


def _areas_below(roots: set[int]) -> set[int]:
    return areas_under(roots, area_children())


def site_ids_under(area_id: int) -> set[int]:
    """The sites under an area node (a township's sites, a county's), at any depth."""
    return set(db.session.execute(sites_under_query(area_id)).scalars())


def sites_under_query(area_id: int) -> Select:
    """SELECT of the ids of the sites under an area node: a filter `column.in_()` sends as a subquery,
    however many sites (a province's 2,000 ids sent as a list cost about 10 ms a query on PostgreSQL)."""
    return select(Site.id).where(Site.area_id.in_(_areas_below({area_id})))


def in_ids(site_ids: Union[Select, Iterable[int]]) -> Union[Select, list[int]]:
    """Site ids as `column.in_()` takes them: a SELECT of ids as it is, any other iterable as a list."""
    return site_ids if isinstance(site_ids, Select) else list(site_ids)


def sites_by_village(allowed: Optional[set[int]]) -> list[tuple[Area, list[Site]]]:
    """(village area, its sites) for every village with a site in `allowed` (None: all), by name."""
    villages: dict[int, tuple[Area, list[Site]]] = {}
    for site, area in db.session.execute(select(Site, Area).join(Area, Area.id == Site.area_id)
                                         .order_by(Area.name, Site.code)):
        if allowed is None or site.id in allowed:
            villages.setdefault(area.id, (area, []))[1].append(site)
    return list(villages.values())


def can_access_site(user, site_id: int) -> bool:
    allowed = allowed_site_ids(user)
    return allowed is None or site_id in allowed


def require_site(user, site_id: int) -> None:
    """The one place that refuses a site outside the user's scope."""
    if not can_access_site(user, site_id):
        raise Forbidden("这个安置点不在您的管理范围内")


def scope_filter(user, site_column):
    """A WHERE clause limiting a query to the user's sites (True when unlimited)."""
    allowed = allowed_site_ids(user)
    if allowed is None:
        return true()
    return site_column.in_(allowed)


#: scope levels, lowest first: a site counts as its village
SCOPE_LEVELS = ("village", "township", "county")


def scope_level(user) -> Optional[str]:
    """The highest level of the user's scope: "county" (an admin, or a county node), "township",
    "village" (a village node or a single site), or None when the user has no scope at all."""
    if user.has_role("admin"):
        return "county"
    scopes = db.session.execute(select(StaffScope).where(StaffScope.user_id == user.id)).scalars().all()
    levels = {"village" for s in scopes if s.site_id is not None}
    area_ids = [s.area_id for s in scopes if s.area_id is not None]
    if area_ids:
        levels |= set(db.session.execute(select(Area.level).where(Area.id.in_(area_ids))).scalars())
    return max(levels, key=SCOPE_LEVELS.index) if levels else None


def has_scope_level(user, level: str) -> bool:
    """The user's scope reaches `level` or above (village < township < county)."""
    mine = scope_level(user)
    return mine is not None and SCOPE_LEVELS.index(mine) >= SCOPE_LEVELS.index(level)
