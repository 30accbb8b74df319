"""CJK fonts for PDFs made with fpdf2 (cards, passbooks, posters, reports).

Usage::

    from services.pdf_fonts import new_pdf
    pdf = new_pdf()                      # an FPDF with the CJK font registered and selected
    pdf.set_font(pdf_fonts.FAMILY, "B", 14)

or, for an FPDF subclass of your own, ``pdf_fonts.add_cjk_font(pdf)``.

Noto Sans CJK SC (Debian fonts-noto-cjk, a .ttc collection; fpdf2 reads one face of it with
``collection_font_number``) covers the rare name characters that WenQuanYi Micro Hei lacks
(䶮 㛃 𠮷 𬌗, DECISIONS #21). fpdf2 embeds a subset of the font, so a PDF prints the same on a
machine without the font. Set ``PDF_FONT`` (config) or ``JIFEN_PDF_FONT`` (environment) to a
"path[#index]" to use another font.
"""
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from flask import current_app, has_app_context
from fpdf import FPDF

#: family name to pass to pdf.set_font()
FAMILY = "cjk"


@dataclass(frozen=True)
class FontFace:
    path: str
    #: face index inside a .ttc collection (0 for a plain .ttf/.otf)
    index: int = 0
    #: bold face, if the font has one
    bold_path: Optional[str] = None
    bold_index: int = 0


#: tried in order; the first that exists wins
CANDIDATES = (
    FontFace("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2,
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    FontFace("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2,
             "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),
    FontFace("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    FontFace("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


class FontMissing(RuntimeError):
    """No CJK font is installed; install fonts-noto-cjk (the setup script does)."""


def _configured() -> Optional[str]:
    if has_app_context() and current_app.config.get("PDF_FONT"):
        return current_app.config["PDF_FONT"]
    return os.environ.get("JIFEN_PDF_FONT")


def find_font() -> FontFace:
    """The CJK font to embed."""
    configured = _configured()
    if configured:
        path, _, index = configured.partition("#")
        return FontFace(path, int(index or 0))
    for face in CANDIDATES:
        if os.path.exists(face.path):
            bold = face.bold_path if face.bold_path and os.path.exists(face.bold_path) else None
            return FontFace(face.path, face.index, bold, face.bold_index)
    raise FontMissing("没有找到中文字体:请安装 fonts-noto-cjk(apt-get install fonts-noto-cjk)")


def add_cjk_font(pdf: FPDF, family: str = FAMILY) -> str:
    """Register the CJK font (regular, and bold when available) on `pdf`; returns the family."""
    face = find_font()
    pdf.add_font(family, "", face.path, collection_font_number=face.index)
    bold = (face.bold_path, face.bold_index) if face.bold_path else (face.path, face.index)
    pdf.add_font(family, "B", bold[0], collection_font_number=bold[1])
    return family


def new_pdf(orientation: str = "P", unit: str = "mm", format="A4", size: float = 11) -> FPDF:
    """An FPDF document with the CJK font registered and selected."""
    pdf = FPDF(orientation=orientation, unit=unit, format=format)
    add_cjk_font(pdf)
    pdf.set_font(FAMILY, size=size)
    return pdf


@lru_cache(maxsize=4)
def _codepoints(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith((".ttc", ".otc")):
        font = TTCollection(path, lazy=True).fonts[index]
    else:
        font = TTFont(path, lazy=True)
    return frozenset(font.getBestCmap())


def missing_chars(text: str, face: Optional[FontFace] = None) -> set[str]:
    """Characters of `text` the font cannot draw (would print as tofu boxes)."""
    face = face or find_font()
    covered = _codepoints(face.path, face.index)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in covered}
