"""Names with HTML in them (docs/reliability.md): literal text in PDFs and posters, escaped on pages."""
import re

import pytest
from sqlalchemy import select

from extensions import db
from tests.reliability.bad_input_helpers import XSS, logged_in

PDF_PAYLOAD = '<b>&amp;"赵</b>'


def _pdf_text(data: bytes, tmp_path) -> str:
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_html_in_names_is_literal_in_pdfs_and_posters_and_escaped_on_pages(demo_app, tmp_path):
    from models import HonorEntry, HonorList, Household

    client = logged_in(demo_app)
    honor = db.session.execute(select(HonorList)).scalars().first()
    entry = db.session.execute(select(HonorEntry)).scalars().first()
    honor.title = PDF_PAYLOAD
    entry.display_name, entry.citation = PDF_PAYLOAD, XSS
    home = db.session.execute(select(Household).where(Household.status == "active")).scalars().first()
    home.head_name = PDF_PAYLOAD
    db.session.commit()
    collapse = lambda s: re.sub(r"\s+", "", s)  # noqa: E731 - pdftotext breaks long lines
    poster = client.get(f"/admin/honors/{honor.id}/poster/A4")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    text = collapse(_pdf_text(poster.data, tmp_path))
    assert collapse(PDF_PAYLOAD) in text and "&lt;" not in text and collapse(XSS) in text
    png = client.get(f"/admin/honors/{honor.id}/poster/png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    card = client.post("/admin/cards/print", data={"household_ids": str(home.id), "layout": "single"})
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    assert "&lt;" not in _pdf_text(card.data, tmp_path)
    for url in (f"/admin/honors/{honor.id}", f"/admin/households/{home.id}", "/admin/households"):
        page = client.get(url).get_data(as_text=True)
        assert PDF_PAYLOAD not in page and XSS not in page, url
        assert "&lt;b&gt;" in page or "&lt;script&gt;" in page, url
