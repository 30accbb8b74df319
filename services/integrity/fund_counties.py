"""积分基金 for a scope of many counties (a province): one row per county, each opening its sites.

A county's row sums its sites' figures; its coverage and forecast are of those sums, and it says how
many of its sites are short (coverage below 1), so no site's warning is lost in the total."""
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from extensions import db
from models import Area
from services.errors import NotFound
from services.integrity import fund
from services.staff.scope import county_of_areas, sites_in_scope


@dataclass
class CountyFund:
    county: Area
    outstanding_points: int = 0
    outstanding_fen: int = 0
    stock_fen: int = 0
    unvalued_units: int = 0
    cash_fen: int = 0
    issued_3m: int = 0
    redeemed_3m: int = 0
    short_sites: int = 0
    forecast: list = field(default_factory=list)

    @property
    def coverage(self) -> Optional[float]:
        return None if self.outstanding_fen <= 0 else (self.stock_fen + self.cash_fen) / self.outstanding_fen

    @property
    def warning(self) -> bool:
        return self.coverage is not None and self.coverage < 1


def page(user, county_id: Optional[str] = None, today: Optional[date] = None) -> dict:
    """fund.dashboard() of the user's sites, or of one county's (`county_id`); with "counties" (one
    row per county) instead of a row per site when the sites span more than one county."""
    sites = sites_in_scope(user)
    county_of = county_of_areas()
    if county_id:
        sites = [site for site in sites if str(county_of.get(site.area_id)) == county_id]
        if not sites:
            raise NotFound("没有这个县,或这个县不在您的范围内")
    data = fund.dashboard(user, today, sites)
    counties = {county_of.get(row.site.area_id) for row in data["sites"]}
    data["counties"] = _by_county(data["sites"], county_of) if len(counties) > 1 else None
    data["county_id"] = county_id
    return data


def _by_county(rows, county_of: dict) -> list[CountyFund]:
    areas = {area.id: area for area in db.session.query(Area).filter(Area.level == "county")}
    found: dict = {}
    for row in rows:
        key = county_of.get(row.site.area_id)
        county = found.setdefault(key, CountyFund(areas.get(key) or Area(name="未归属县", level="county")))
        for name in ("outstanding_points", "outstanding_fen", "stock_fen", "unvalued_units", "cash_fen",
                     "issued_3m", "redeemed_3m"):
            setattr(county, name, getattr(county, name) + getattr(row, name))
        county.short_sites += row.warning
        if not county.forecast:
            county.forecast = [{"month": f["month"], "outstanding_fen": 0} for f in row.forecast]
        for total, month in zip(county.forecast, row.forecast):
            total["outstanding_fen"] += month["outstanding_fen"]
    for county in found.values():
        for month in county.forecast:
            month["coverage"] = (None if month["outstanding_fen"] <= 0
                                 else (county.stock_fen + county.cash_fen) / month["outstanding_fen"])
    return sorted(found.values(), key=lambda c: c.county.name)
