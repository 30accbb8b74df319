"""The 报表's folded totals: every figure is the same whether its entries are folded, read live after
the watermark, or both; a fold never passes an entry a transaction has not committed yet; verify
checks the folded rows."""
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from extensions import db
from models import LedgerEntry, ReportFold
from services import ledger
from services.ledger.verify import verify
from services.reports import dashboard as reports
from services.reports import report_totals
from services.reports.dashboard import Filters

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
TODAY = date(2026, 12, 20)


@pytest.fixture
def settle_now(monkeypatch):
    """PostgreSQL folds only entries made SETTLE ago; these tests' entries are seconds old."""
    monkeypatch.setattr(report_totals, "SETTLE", timedelta(0))


def _post_some(sites, make_household, cadre, tag: str, n: int = 4) -> None:
    """Earnings, deductions and spending in several months, some households at each site."""
    for i, site in enumerate(sites):
        homes = [make_household(site, head_name=f"{tag}{i}{k}") for k in range(3)]
        for k, home in enumerate(homes[:2]):  # the third never posts
            for m in range(n):
                day = date(2026, 1 + (3 * m + k) % 12, 5 + m)
                ledger.post(home, 10 + m, "activity", None, cadre, "志愿服务", f"{tag}:{home.id}:{m}", effective_date=day)
            ledger.post(home, -3, "rule_deduction", None, cadre, "乱扔垃圾", f"{tag}:{home.id}:fine",
                        effective_date=date(2026, 8, 1))
            ledger.post(home, -5, "redemption", None, None, "兑换", f"{tag}:{home.id}:spend",
                        effective_date=date(2026, 9 + k, 2))
    db.session.commit()


def _figures() -> dict:
    flt = Filters(*YEAR)
    board = reports.dashboard(flt, today=TODAY)
    return {"months": [vars(m) for m in board.months], "kinds": board.by_kind, "participation": board.participation,
            "sites": board.sites, "inactive": ([(h["id"], h["last"]) for h in board.inactive], board.inactive_total),
            "spring": reports.participation(Filters(date(2026, 3, 1), date(2026, 5, 31))),
            "one_site": reports.kind_totals(Filters(*YEAR, {board_site_id()}))}


def board_site_id() -> int:
    return db.session.execute(select(LedgerEntry.site_id).order_by(LedgerEntry.id).limit(1)).scalar_one()


def _watermark() -> int:
    return db.session.execute(select(ReportFold.entry_id)).scalar_one()


def _unfold() -> None:
    """Drop the folded rows: every entry is read live again (the figures' reference)."""
    for table in ("site_month_total", "household_year_total", "household_last_entry"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(text("UPDATE report_fold SET entry_id = 0"))
    db.session.commit()


def test_figures_are_the_same_folded_live_or_both(any_app, make_site, make_household, make_user, settle_now):
    cadre = make_user("cadre")
    sites = [make_site(f"点{i}") for i in range(2)]
    _post_some(sites, make_household, cadre, "甲")
    live = _figures()
    assert report_totals.fold() > 0 and _watermark() == db.session.execute(
        select(db.func.max(LedgerEntry.id))).scalar_one()
    assert _figures() == live
    _post_some(sites, make_household, cadre, "乙", n=3)  # after the fold: read live on top of the folded rows
    both = _figures()
    assert both != live
    assert verify().ok
    _unfold()
    assert _figures() == both
    report_totals.fold()
    assert _figures() == both and verify().ok


def test_verify_reports_a_folded_row_that_disagrees(any_app, make_site, make_household, make_user, settle_now):
    cadre = make_user("cadre")
    _post_some([make_site()], make_household, cadre, "丙", n=2)
    report_totals.fold()
    db.session.execute(text("UPDATE site_month_total SET points = points + 1 WHERE kind = 'activity'"))
    db.session.commit()
    report = verify()
    assert not report.ok and any(p.kind == "report totals" and "site_month_total" in p.detail
                                 for p in report.problems)


def test_a_fold_never_passes_an_entry_not_yet_committed(pg_app, make_site, make_household, make_user, settle_now):
    """PostgreSQL takes an entry's id at INSERT and shows the row at COMMIT: a fold must stop before the
    id of a transaction still open, or that entry would never be counted."""
    with pg_app.app_context():
        cadre = make_user("cadre")
        site = make_site()
        first, second = make_household(site, head_name="先"), make_household(site, head_name="后")
        db.session.commit()
        first_id, second_id, cadre_id = first.id, second.id, cadre.id
        posted, release = threading.Event(), threading.Event()

        def slow_writer():
            with pg_app.app_context():
                ledger.post(first_id, 7, "activity", None, cadre_id, "志愿服务", "slow", effective_date=TODAY)
                posted.set()  # inserted, not committed
                release.wait(30)
                db.session.commit()
                db.session.remove()

        writer = threading.Thread(target=slow_writer)
        writer.start()
        assert posted.wait(30)
        ledger.post(second_id, 5, "activity", None, cadre_id, "志愿服务", "quick", effective_date=TODAY)
        db.session.commit()
        report_totals.fold()
        slow_id = None
        release.set()
        writer.join(30)
        slow_id = db.session.execute(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == "slow")).scalar_one()
        assert _watermark() < slow_id  # the quick entry, after it, waited too
        report_totals.fold()
        assert _watermark() >= slow_id and verify().ok
        assert reports.kind_totals(Filters(*YEAR))["activity"] == 12


def test_a_fresh_entry_waits_to_be_folded_on_postgresql(any_app, make_site, make_household, make_user):
    cadre = make_user("cadre")
    _post_some([make_site()], make_household, cadre, "丁", n=1)
    report_totals.fold()
    folded_all = _watermark() == db.session.execute(select(db.func.max(LedgerEntry.id))).scalar_one()
    # SQLite folds under its one write lock, so every entry; PostgreSQL only what is SETTLE old
    assert folded_all == (db.session.get_bind().dialect.name == "sqlite")
    assert reports.kind_totals(Filters(*YEAR))["redemption"] == -10


def test_a_reader_reads_again_when_a_fold_moves_the_watermark_meanwhile(app, monkeypatch):
    seen = iter([5, 6, 6, 6])
    monkeypatch.setattr(report_totals, "current", lambda: next(seen))
    calls = []
    assert report_totals.consistent(lambda upto: calls.append(upto) or upto) == 6
    assert calls == [5, 6]


def test_the_page_folds_in_the_background_when_the_live_entries_grow(app, client, login, make_site, make_household,
                                                                     make_user, monkeypatch):
    monkeypatch.setattr(report_totals, "FOLD_AFTER", 3)
    cadre = make_user("cadre")
    _post_some([make_site()], make_household, cadre, "戊", n=2)
    login(make_user("cadre"))
    assert _watermark() == 0
    assert client.get("/admin/reports").status_code == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.remove()  # a new snapshot each look
        if _watermark() > 0:
            break
        time.sleep(0.05)
    assert _watermark() == db.session.execute(select(db.func.max(LedgerEntry.id))).scalar_one()
