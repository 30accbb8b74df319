"""Totals of the ledger folded up to a watermark entry, for the 报表 dashboard at province scale
(services/reports/report_totals.py, docs/decisions.md#folded-report-totals). Entries after the
watermark are read live, so a total is always exact; folding only moves work off the page."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class ReportFold(db.Model):
    """The one row: every entry with id <= entry_id is counted in the folded totals, none after."""

    __tablename__ = "report_fold"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer, default=0)
    folded_at: Mapped[Optional[datetime]] = mapped_column()


class SiteMonthTotal(db.Model):
    """Σ points and entries of one site, month and kind (the entry's site when posted, its effective date)."""

    __tablename__ = "site_month_total"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)


class HouseholdYearTotal(db.Model):
    """One household's year: the months it earned (bit m-1 set for a positive earning entry in month m)."""

    __tablename__ = "household_year_total"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    earned_months: Mapped[int] = mapped_column(Integer)


class HouseholdLastEntry(db.Model):
    """The latest effective date of any of a household's entries (the 报表's households to visit,
    longest without one first: read in this index's order)."""

    __tablename__ = "household_last_entry"
    __table_args__ = (Index("ix_household_last_entry_last", "last_date", "household_id"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    last_date: Mapped[date] = mapped_column()
