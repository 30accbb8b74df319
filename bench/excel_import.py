"""Time a 10k-row 一户一档 Excel import against a plain openpyxl read of the same file.

    .venv/bin/python bench/excel_import.py [--rows 10000] [--runs 3]

Baseline: openpyxl read-only iteration over every cell (what any import must at least do).
Ours: preview (read + check every row) + all-or-nothing import + commit, on a fresh SQLite
database. Prints the median of the runs and the ratio ours / baseline.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from openpyxl import Workbook, load_workbook  # noqa: E402

from app import create_app  # noqa: E402
from config import TestConfig  # noqa: E402
from extensions import db  # noqa: E402

ID_BODY_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(n: int) -> str:
    body = f"522601{1950 + n // 1000:04d}0101{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_BODY_WEIGHTS)) % 11]


def make_sheet(path: str, rows: int, site_name: str) -> None:
    from services.households.excel import COLUMNS

    wb = Workbook()  # not write_only: like a sheet saved by Excel/WPS, it records its <dimension>
    ws = wb.active
    ws.append(list(COLUMNS))
    for n in range(rows):
        ws.append([site_name, f"张{n}", id_number(n), f"139{n:08d}", f"{n % 30}栋",
                   f"{n % 6}单元{n}", "低收入户" if n % 7 == 0 else "", f"李{n}(配偶)、张小{n}(子女)", ""])
    wb.save(path)


def baseline(path: str) -> float:
    started = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=True)
    cells = sum(1 for row in wb.worksheets[0].iter_rows(values_only=True) for _ in row)
    wb.close()
    assert cells
    return time.perf_counter() - started


def ours(path: str, workdir: str, run: int) -> float:
    from admin.commands import migrate_to_head
    from models import Area, Site, StaffUser
    from services.households import excel as household_excel

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{workdir}/bench{run}.db"
    app = create_app(settings)
    with app.app_context():
        migrate_to_head()
        area = Area(level="village", name="幸福社区")
        db.session.add_all([area, Site(name="幸福家园安置点", code="XF01", area=area)])
        user = StaffUser(username="bench", display_name="bench", password_hash="x")
        user.roles = ["admin"]
        db.session.add(user)
        db.session.commit()
        started = time.perf_counter()
        result = household_excel.preview(user, path)
        assert result.ok, result.error_rows[:3]
        ids = household_excel.import_rows(user, result, os.path.basename(path))
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert len(ids) == len(result.rows)
        db.session.remove()
        db.engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "sheet.xlsx")
        make_sheet(path, args.rows, "幸福家园安置点")
        base = statistics.median(baseline(path) for _ in range(args.runs))
        mine = statistics.median(ours(path, workdir, run) for run in range(args.runs))
    print(f"rows: {args.rows}")
    print(f"baseline (openpyxl read-only read): {base:.2f} s (median of {args.runs})")
    print(f"import (preview + check + insert + commit): {mine:.2f} s (median of {args.runs})")
    print(f"ratio: {mine / base:.2f}x   rows/s: {args.rows / mine:,.0f}")


if __name__ == "__main__":
    main()
