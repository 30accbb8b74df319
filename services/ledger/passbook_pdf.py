"""积分存折: a household's full ledger history as a printable A4 PDF."""
import json

from fpdf import FPDF
from sqlalchemy import select

from extensions import db
from models import Household, LedgerEntry
from models.clock import local_today, to_local
from models.household import HOUSEHOLD_TAGS, mask_id_number
from services import pdf_fonts
from services.households.registry import LEDGER_KIND_LABELS, STATUS_LABELS
from services.ledger.seals import SealRefused, check_document, format_proof, latest_seal, prove, seal_line
from services.supermarket import allowances

#: column title, width (mm), alignment
COLUMNS = (("序号", 12, "R"), ("记账日期", 24, "L"), ("积分日期", 24, "L"), ("类别", 26, "L"),
           ("说明", 58, "L"), ("积分", 16, "R"), ("余额", 18, "R"))
ROW_H = 7.0


class _Passbook(FPDF):
    title_text = ""
    seal_text = ""

    def header(self):
        self.set_font(pdf_fonts.FAMILY, "B", 15)
        self.cell(0, 9, self.title_text, align="C", new_x="LMARGIN", new_y="NEXT")
        if self.page_no() > 1:
            self._table_head()

    def footer(self):
        self.set_y(-12)
        self.set_font(pdf_fonts.FAMILY, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"第 {self.page_no()} 页 / 共 {{nb}} 页 · 打印日期 {local_today():%Y-%m-%d} · {self.seal_text}",
                  align="C")
        self.set_text_color(0, 0, 0)

    def _table_head(self):
        self.set_font(pdf_fonts.FAMILY, "B", 9.5)
        self.set_fill_color(240, 238, 234)
        for title, width, _align in COLUMNS:
            self.cell(width, ROW_H, title, border=1, align="C", fill=True)
        self.ln(ROW_H)
        self.set_font(pdf_fonts.FAMILY, "", 9)


def render_passbook(home: Household, with_proof: bool = False) -> bytes:
    """The passbook; every page carries the newest seal's code, and `with_proof` adds the household's
    Merkle proof in that seal (docs/decisions.md#ledger-seals)."""
    entries = db.session.execute(
        select(LedgerEntry).where(LedgerEntry.household_id == home.id).order_by(LedgerEntry.seq)
    ).scalars().all()
    seal_text, proof = seal_line(), _proof_lines(home.id) if with_proof else None

    def draw(common: bool) -> FPDF:
        pdf = _Passbook(unit="mm", format="A4")
        pdf.set_margins(14, 12, 14)
        pdf.set_auto_page_break(True, margin=16)
        pdf_fonts.add_cjk_font(pdf, common=common)
        pdf.title_text = "家庭积分存折"
        pdf.seal_text = seal_text
        pdf.set_title(f"积分存折 {home.head_name}")
        pdf.add_page()
        _info(pdf, home)
        pdf._table_head()
        for entry in entries:
            _row(pdf, entry)
        if not entries:
            pdf.cell(sum(c[1] for c in COLUMNS), ROW_H, "还没有积分记录", border=1, align="C")
        pdf.ln(ROW_H + 4)
        pdf.set_font(pdf_fonts.FAMILY, "", 10)
        pdf.cell(0, 7, f"当前余额:{balance_text(home)}          户主签字:____________          经办人签字:____________")
        if proof is not None:
            _proof(pdf, proof)
        return pdf

    return pdf_fonts.render_pdf(draw)


def _proof_lines(household_id: int) -> list[str]:
    seal = latest_seal()
    if seal is None:
        return ["账本还没有封存过,暂无封存证明。"]
    try:
        return format_proof(prove(household_id, check_document(json.loads(seal.document))))
    except SealRefused as refused:
        return [refused.message]


def _proof(pdf: FPDF, lines: list[str]) -> None:
    """The proof at the end: whoever keeps this page can have it checked against the printed seal code."""
    pdf.ln(10)
    pdf.set_font(pdf_fonts.FAMILY, "B", 10)
    pdf.cell(0, 7, "账本封存证明(本户账目在封存时的状态,可由审计人员核对)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf_fonts.FAMILY, "", 7)
    for line in lines:
        pdf.multi_cell(0, 4, line, new_x="LMARGIN", new_y="NEXT")


def _info(pdf: FPDF, home: Household) -> None:
    site = home.site
    names = site.path_names()
    lines = [
        f"户号:{home.id}    户主:{home.head_name}    身份证号:{mask_id_number(home.head_id_number) or '—'}",
        f"安置点:{names.get('township', '')}{names.get('village', '')} {site.name}    "
        f"门牌:{' '.join(p for p in (home.building, home.door_no) if p) or '—'}    状态:{STATUS_LABELS.get(home.status, home.status)}",
        "家庭成员:" + ("、".join(f"{m.name}({m.relation})" for m in home.members if m.is_current) or "—"),
        "标签:" + ("、".join(HOUSEHOLD_TAGS.get(t, t) for t in home.tags) or "—")
        + f"    当前余额:{balance_text(home)}" + (f"    底分:{home.base_points}" if home.base_points else ""),
    ]
    pdf.set_font(pdf_fonts.FAMILY, "", 10)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def balance_text(home: Household) -> str:
    """The balance, and the points held at kiosks that still belong to the household."""
    out = allowances.held_out(home.id)
    held = f"(另有 {out} 分暂存在超市终端作离线额度)" if out else ""
    return f"{home.balance} 分{held}"


def _row(pdf: FPDF, entry: LedgerEntry) -> None:
    note = entry.note or ""
    values = (str(entry.seq), f"{to_local(entry.created_at):%Y-%m-%d}", f"{entry.effective_date:%Y-%m-%d}",
              LEDGER_KIND_LABELS.get(entry.kind, entry.kind), note, f"{entry.points:+d}", str(entry.balance_after))
    for (_title, width, align), value in zip(COLUMNS, values):
        while pdf.get_string_width(value) > width - 2 and len(value) > 1:
            value = value[:-2] + "…"
        pdf.cell(width, ROW_H, value, border=1, align=align)
    pdf.ln(ROW_H)
