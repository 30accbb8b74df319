"""Printable QR cards: CR80 (85.6 × 54 mm) one per page, or A4 sheets of 10 for batch print.

The token only exists at issue time (only its hash is stored), so callers pass freshly issued
(card, token) pairs; see admin/households/cards.py for the print-means-reissue flow.
"""
from dataclasses import dataclass

import segno
from flask import current_app
from fpdf import FPDF

from models import Card, Household
from models.clock import to_local
from services import pdf_fonts
from services.pdf_fonts import FAMILY

CARD_W, CARD_H = 85.6, 54.0
A4_W, A4_H = 210.0, 297.0
SHEET_COLS, SHEET_ROWS = 2, 5
RED = (179, 38, 30)
GREY = (90, 90, 90)


@dataclass(frozen=True)
class CardFace:
    """Everything printed on one card, as plain values (rendering needs no database)."""

    token: str
    head_name: str
    address: str
    site_name: str
    site_code: str
    short_code: str
    generation: int
    issued: str


@dataclass(frozen=True)
class PrintedCard:
    """A freshly issued card and its token (the token exists only now)."""

    household: Household
    card: Card
    token: str

    def face(self) -> CardFace:
        home, card, site = self.household, self.card, self.household.site
        return CardFace(
            token=self.token, head_name=home.head_name,
            address=" ".join(p for p in (home.building, home.door_no) if p) or "—",
            site_name=site.name, site_code=site.code, short_code=card.short_code, generation=card.generation,
            issued=to_local(card.issued_at).strftime("%Y-%m-%d") if card.issued_at else "")


def card_url(token: str) -> str:
    """What the QR holds: <PUBLIC_BASE_URL>/c/<token>."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/c/{token}"


def draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR as vector squares (crisp at any printer resolution, no image to encode or embed).
    Dark modules of a row are merged into one rectangle; rows overlap a hair so no seams show."""
    matrix = segno.make_qr(data, error="m").matrix  # no quiet zone: the card's white margin is one
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c, n = 0, len(row)
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module * 1.04, style="F")


def _faces(items) -> list[CardFace]:
    return [item.face() if isinstance(item, PrintedCard) else item for item in items]


def render_single(items: list) -> bytes:
    """One CR80 card per page (card printers). `items`: PrintedCard or CardFace."""
    faces = _faces(items)

    def draw(common: bool) -> FPDF:
        pdf = _document(common, orientation="L", format=(CARD_H, CARD_W))
        for face in faces:
            pdf.add_page()
            draw_card(pdf, face, 0, 0)
        return pdf

    return pdf_fonts.render_pdf(draw)


def render_sheet(items: list) -> bytes:
    """A4 sheets of 2 × 5 cards with thin cut lines (pre-perforated card stock or scissors)."""
    faces = _faces(items)
    left = (A4_W - SHEET_COLS * CARD_W) / 2
    top = (A4_H - SHEET_ROWS * CARD_H) / 2
    per_sheet = SHEET_COLS * SHEET_ROWS

    def draw(common: bool) -> FPDF:
        pdf = _document(common, orientation="P", format="A4")
        for n, face in enumerate(faces):
            if n % per_sheet == 0:
                pdf.add_page()
            row, col = divmod(n % per_sheet, SHEET_COLS)
            x, y = left + col * CARD_W, top + row * CARD_H
            pdf.set_draw_color(190, 190, 190)
            pdf.set_line_width(0.1)
            pdf.rect(x, y, CARD_W, CARD_H)
            draw_card(pdf, face, x, y)
        return pdf

    return pdf_fonts.render_pdf(draw)


def _document(common: bool, **kwargs) -> FPDF:
    pdf = FPDF(unit="mm", **kwargs)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf_fonts.add_cjk_font(pdf, common=common)
    pdf.set_title("家庭积分卡")
    pdf.set_creator("积分超市")
    return pdf


def draw_card(pdf: FPDF, face: CardFace, x: float, y: float) -> None:
    """One card with its top-left corner at (x, y)."""
    band = 10.0
    pdf.set_fill_color(*RED)
    pdf.rect(x, y, CARD_W, band, style="F")
    pdf.set_text_color(255, 255, 255)
    _text(pdf, x + 4, y + 1.5, 46, "家庭积分卡", 13, bold=True)
    _text(pdf, x + 48, y + 2.6, CARD_W - 52, face.site_name, 8.5, align="R")

    qr = 33.0
    qx, qy = x + CARD_W - qr - 4, y + band + 3.5
    draw_qr(pdf, card_url(face.token), qx, qy, qr)

    col_w = qx - x - 6
    for label, value, top, size, bold in (("户主", face.head_name, 3, 17, True), ("门牌", face.address, 15.5, 10, False),
                                          ("卡号(人工查询)", face.short_code, 26, 11, True)):
        pdf.set_text_color(*GREY)
        _text(pdf, x + 4, y + band + top, col_w, label, 7.5)
        pdf.set_text_color(0, 0, 0)
        _text(pdf, x + 4, y + band + top + 3.5, col_w, value, size, bold=bold)

    pdf.set_text_color(*GREY)
    footer = f"第{face.generation}张 · {face.issued} · {face.site_code} · 遗失请到村(社区)挂失"
    _text(pdf, x + 4, y + CARD_H - 5.2, CARD_W - 8, footer, 6.5)
    pdf.set_text_color(0, 0, 0)


def _text(pdf: FPDF, x: float, y: float, width: float, text: str, size: float,
          bold: bool = False, align: str = "L") -> None:
    """One line of text shrunk until it fits `width` (long names never run off the card)."""
    style = "B" if bold else ""
    pdf.set_font(FAMILY, style, size)
    while size > 5 and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font(FAMILY, style, size)
    pdf.set_xy(x, y)
    pdf.cell(width, size * 0.3528 * 1.25, text, align=align)
