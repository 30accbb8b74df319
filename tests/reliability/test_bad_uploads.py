"""Bad uploads (docs/reliability.md): images that are not images (or bombs, or too big) for goods photos,
visit photos and evidence, and malformed or oversized Excel files for the household import. Each is
refused with a Chinese message, never a 5xx, and writes nothing."""
import io
import zipfile

from sqlalchemy import select

from extensions import db
from tests.reliability.bad_input_helpers import CJK, XSS, diff, logged_in, refused, row_counts, save_figures


def _png(size=(4, 4), mode="RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _bad_images() -> dict:
    jpeg = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(jpeg, "JPEG")
    return {
        "empty": b"",
        "text named .jpg": b"hello, not an image",
        "exe": b"MZ\x90\x00" + b"\x00" * 200,
        "png header only": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "truncated jpeg": jpeg.getvalue()[:40],
        "svg with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "decompression bomb": _png((20000, 20000), "1"),  # small file, 400 M pixels
        "oversized": b"\xff\xd8\xff\xe0" + b"\x00" * (17 * 1024 * 1024),  # above MAX_CONTENT_LENGTH
    }


def _post_upload(client, url, data, problems, label):
    before = row_counts()
    try:
        resp = client.post(url, data=data, content_type="multipart/form-data")
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        problems.append(f"{url} {label}: {type(exc).__name__}: {str(exc)[:120]}")
        return None
    after = row_counts()
    if resp.status_code >= 500:
        problems.append(f"{url} {label}: HTTP {resp.status_code}")
        return resp
    was_refused, text = refused(client, resp, False)
    if not was_refused:
        problems.append(f"{url} {label}: accepted ({resp.status_code})")
    elif diff(before, after):
        problems.append(f"{url} {label}: refused but wrote {diff(before, after)}")
    elif not CJK.search(text):
        problems.append(f"{url} {label}: refusal without a Chinese message")
    return resp


def test_bad_images_for_goods_photos_visit_photos_and_evidence(demo_app):
    from models import Goods, Household

    client = logged_in(demo_app)
    goods = db.session.execute(select(Goods)).scalars().first()
    home = db.session.execute(select(Household).where(Household.status == "active")).scalars().first()
    problems, tried = [], 0
    for label, blob in _bad_images().items():
        tried += 3
        _post_upload(client, f"/admin/goods/{goods.id}/edit", {
            "site_id": str(goods.site_id), "name": goods.name, "category": goods.category, "price": str(goods.price),
            "unit": goods.unit, "low_stock": "5", "active": "1", "photo": (io.BytesIO(blob), "photo.jpg")},
            problems, f"goods photo {label}")
        _post_upload(client, "/admin/support/visits/new", {
            "household_id": str(home.id), "visit_date": "2026-01-05", "visitors": "王干部", "met": "1",
            "met_person": "户主", "photos": (io.BytesIO(blob), "visit.jpg")}, problems, f"visit photo {label}")
        _post_upload(client, "/admin/rules/record", {
            "site_id": str(home.site_id), "rule_id": "1", "household_id": str(home.id), "quantity": "1",
            "note": "证明", "evidence": (io.BytesIO(blob), "evidence.jpg")}, problems, f"evidence {label}")
    save_figures(uploads_images=tried)
    assert not problems, "\n".join(problems)


def _xlsx(rows, sheet="Sheet") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_malformed_and_oversized_excel_imports_write_nothing(demo_app):
    client = logged_in(demo_app)
    template = client.get("/admin/households/import/template.xlsx")
    assert template.status_code == 200
    cases = {
        "empty": b"",
        "not a zip": b"PK\x03\x04 this is not really a zip",
        "csv renamed": "户主姓名,身份证号\n张三,1\n".encode(),
        "zip without workbook": _zip({"hello.txt": b"x"}),
        "xml bomb-ish": _zip({"[Content_Types].xml": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a '"
                              + b"A" * 1000 + b"'>]><x>&a;&a;&a;</x>"}),
        "wrong headers": _xlsx([["名字", "电话"], ["张三", "1"]]),
        "xss and formulas": _xlsx([[XSS, "=HYPERLINK(\"http://evil\")", "=1+1", "\u202e𠮷", "-2"]] * 3),
        "oversized": b"PK\x03\x04" + b"\x00" * (17 * 1024 * 1024),
    }
    problems = []
    for label, blob in cases.items():
        before = row_counts()
        try:
            resp = client.post("/admin/households/import", data={"file": (io.BytesIO(blob), "households.xlsx")},
                               content_type="multipart/form-data")
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            problems.append(f"{label}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        text = resp.get_data(as_text=True)
        if resp.status_code >= 500:
            problems.append(f"{label}: HTTP {resp.status_code}")
        elif diff(before, row_counts()):
            problems.append(f"{label}: wrote {diff(before, row_counts())}")
        elif XSS in text:
            problems.append(f"{label}: payload rendered unescaped")
        elif not CJK.search(text):
            problems.append(f"{label}: no Chinese message")
    save_figures(uploads_excel=len(cases))
    assert not problems, "\n".join(problems)
