"""Per-county settings (docs/decisions.md#county-settings).

config.py holds the defaults (`APPROVAL_THRESHOLD`, `BASE_POINTS`, `OFFLINE_ALLOWANCE_CAP`,
`OFFLINE_WINDOW_HOURS`); `COUNTY_SETTINGS` overrides them per county: {county id or name:
{"approval_threshold": 20, "base_points": 10, "offline_allowance_cap": 50, "offline_window_hours": 48}}. A site's county is the
root of its area tree."""
from typing import Optional

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Area, Site
from services.errors import ValidationFailed

#: setting -> (config default, Chinese name, highest allowed value)
SETTINGS = {
    "approval_threshold": ("APPROVAL_THRESHOLD", "审批门槛", 1_000_000),
    "base_points": ("BASE_POINTS", "底分", 100_000),
    # the offline kiosk (docs/offline.md): 0 turns offline selling off; a window of at most 30 days
    "offline_allowance_cap": ("OFFLINE_ALLOWANCE_CAP", "离线额度上限", 100_000),
    "offline_window_hours": ("OFFLINE_WINDOW_HOURS", "离线售卖时限(小时)", 720),
}


def county_of_site(site_id: int) -> Area:
    site = db.session.get(Site, site_id)
    if site is None:
        raise ValidationFailed("没有这个安置点")
    node = site.area
    while node.parent is not None:
        node = node.parent
    return node


def overrides_for(county: Optional[Area], config_name: str) -> dict:
    """The county's entry of a per-county config dict (`COUNTY_SETTINGS`, `YEAR_END_COUNTY_POLICIES`),
    keyed by the county's id (int or text) or name; {} when it has none."""
    table = current_app.config.get(config_name) or {}
    if county is None:
        return {}
    return table.get(county.id) or table.get(str(county.id)) or table.get(county.name) or {}


def county_setting(county: Optional[Area], key: str) -> int:
    """The county's value of `key` (its override, else the config default); a bad value is refused."""
    default_name, label, highest = SETTINGS[key]
    value = overrides_for(county, "COUNTY_SETTINGS").get(key, current_app.config.get(default_name, 0))
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
        raise ValidationFailed(f"{label}配置有误:{value!r}(应为 0 到 {highest} 的整数)")
    return value


def site_setting(site_id: int, key: str) -> int:
    return county_setting(county_of_site(site_id), key)


def settings_by_county(key: str, site_ids: Optional[set[int]] = None) -> list[tuple[str, int]]:
    """(county name, value) for every county with a site in `site_ids` (None: every county). Three
    reads whatever the number of sites: the sites' areas, the area tree, the counties."""
    query = select(Site.area_id).order_by(Site.id)
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids or {-1}))
    parent_of = dict(db.session.execute(select(Area.id, Area.parent_id)).all())
    roots = {}  # county id -> None, in the order of the first site under it (sorting by name keeps ties so)
    for area_id in db.session.execute(query).scalars():
        while parent_of.get(area_id) is not None:
            area_id = parent_of[area_id]
        roots.setdefault(area_id, None)
    counties = {area.id: area for area in db.session.execute(select(Area).where(Area.id.in_(roots or {-1}))).scalars()}
    return [(county.name, county_setting(county, key))
            for county in sorted((counties[i] for i in roots), key=lambda c: c.name)]
