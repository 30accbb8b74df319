"""The round page on day one: 取消评议 stands apart from 开始公示 / 入账."""
import re

from extensions import db
from models import EvaluationRound
from tests.reliability.bad_input_helpers import logged_in


def test_cancel_is_kept_away_from_opening_the_notice(demo_app):
    rnd = db.session.execute(db.select(EvaluationRound).where(EvaluationRound.status == "scoring")).scalars().first()
    html = logged_in(demo_app, "cadre", "cadre12345").get(f"/admin/evaluations/{rnd.id}").get_data(as_text=True)
    actions = html.split('<div class="card">', 1)[1].split("</div>", 1)[0]
    assert "开始公示" in actions and "取消评议" not in actions
    cancel = re.search(r'<details class="card cancel-round"\s*>(.*?)</details>', html, re.S)
    assert cancel and "取消评议" in cancel.group(1) and "取消原因" in cancel.group(1)
    assert html.index("开始公示") < html.index('class="card cancel-round"')


def _pdf_words(data: bytes) -> tuple[str, list[tuple[float, float, str]]]:
    """(text with layout, [(xMin, xMax, word)]) of a PDF, read with poppler's pdftotext."""
    import shutil
    import subprocess
    import tempfile

    import pytest

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        text = subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True).stdout
        html = subprocess.run(["pdftotext", "-bbox", fh.name, "-"], capture_output=True, text=True).stdout
    words = [(float(a), float(b), w) for a, b, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]
    return text, words


def test_notice_pdf_keeps_long_names_in_their_column_and_the_title_whole(app, make_site, make_household, make_user):
    from datetime import date

    from services.earning import evaluations, notices

    evaluations.ensure_defaults()
    site = make_site("幸福家园易地扶贫搬迁集中安置点")
    long_name = "阿卜杜热合曼买买提依明阿不都克力木江"
    homes = [make_household(site, head_name=name, building="12栋") for name in (long_name, "张三")]
    committee, cadre = make_user("committee", sites=[site]), make_user("cadre", sites=[site])
    rnd = evaluations.create_round(committee, {"site_id": site.id, "title": "2026年第3季度",
                                               "period_start": "2026-07-01", "period_end": "2026-09-30"})
    evaluations.start_scoring(committee, rnd)
    for home in homes:
        for dim in rnd.config["dimensions"]:
            evaluations.set_score(committee, rnd, home.id, dim["id"], 8)
    evaluations.open_notice(cadre, rnd, today=date(2026, 10, 8))
    from services.ledger.seals import make_seal

    code = make_seal().code
    text, words = _pdf_words(notices.notice_pdf(rnd))
    assert f"账本封存码 {code}" in text  # the 公示 carries the newest seal code, an anchor on paper
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert all(len(line) > 2 for line in lines[:3]), lines[:3]  # no lone 示 on a line of its own
    assert "评议结果公示" in "".join(lines[:2])
    masked = next(w for w in words if w[2].startswith("阿*"))
    margin_pt, number_col_pt = 10 * 72 / 25.4, 14 * 72 / 25.4
    assert masked[0] > margin_pt + number_col_pt, masked  # starts right of the 序号 column
    assert masked[1] < margin_pt + (14 + 34) * 72 / 25.4, masked  # and ends inside the 户主 column


def test_notice_title_never_leaves_a_lone_character_on_a_line(app):
    from services import pdf_fonts
    from services.earning.notices import _title

    rest = "2026年第3季度“五评五奖”评议结果公示"
    sites = ["幸福家园" + "易地扶贫搬迁安置"[:n] + "安置点" for n in range(0, 9)] + ["石门乡石门村易地扶贫搬迁集中安置区第二安置点"]
    pdf = pdf_fonts.new_pdf(common=False)
    for site in sites:
        pdf.add_page()
        _title(pdf, pdf_fonts.FAMILY, site, rest)
    text, _words = _pdf_words(bytes(pdf.output()))
    for page in text.split("\f"):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines:
            assert all(len(line) > 1 for line in lines), lines
            assert "".join(lines).endswith("评议结果公示")
