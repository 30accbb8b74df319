"""The newest seal's code is printed on the documents people keep: the monthly report, the 公示 notice
and the passbook (which can carry the household's Merkle proof)."""
import subprocess

from extensions import db
from models.clock import local_today
from services.earning import month_notice
from services.ledger.passbook_pdf import render_passbook
from services.ledger.seals import make_seal
from services.reports import monthly_report


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_documents_print_the_newest_seal_code(app, make_site, make_household, tmp_path):
    site = make_site("封存安置点")
    home = make_household(site=site, head_name="龙小英", balance=12)
    assert "尚未封存" in _text(render_passbook(home), tmp_path)
    make_seal()
    code = make_seal().code  # the newest of two
    db.session.commit()
    today = local_today()
    texts = {
        "passbook": _text(render_passbook(home), tmp_path),
        "notice": _text(month_notice.render_pdf(site, f"{today:%Y-%m}"), tmp_path),
        "report": _text(monthly_report.to_pdf(monthly_report.build(today.year, today.month, [site.id], "幸福社区")),
                        tmp_path),
    }
    for name, text in texts.items():
        assert f"账本封存码 {code}" in text, name


def test_passbook_carries_the_households_proof(app, make_site, make_household, make_user, login, client, tmp_path):
    home = make_household(head_name="王𠮷祥", balance=7)
    others = [make_household(site=home.site, head_name=f"邻居{n}", balance=n + 1) for n in range(3)]
    seal = make_seal()
    db.session.commit()
    login(make_user("cadre", sites=[home.site]))
    response = client.get(f"/admin/households/{home.id}/passbook.pdf?proof=1")
    assert response.status_code == 200
    text = _text(response.data, tmp_path)
    assert "账本封存证明" in text and f"封存码 {seal.code}" in text and "安置点路径" in text and "全县根" in text
    plain = _text(client.get(f"/admin/households/{home.id}/passbook.pdf").data, tmp_path)
    assert "账本封存证明" not in plain and f"账本封存码 {seal.code}" in plain
    assert others
