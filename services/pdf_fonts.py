"""CJK fonts for PDFs made with fpdf2 (cards, passbooks, posters, reports).

Usage::

    from services.pdf_fonts import new_pdf
    pdf = new_pdf()                      # an FPDF with the CJK font registered and selected
    pdf.set_font(pdf_fonts.FAMILY, "B", 14)

or, for an FPDF subclass of your own, ``pdf_fonts.add_cjk_font(pdf)``.

Noto Sans CJK SC (Debian fonts-noto-cjk, a .ttc collection; fpdf2 reads one face of it with
``collection_font_number``) covers the rare name characters that WenQuanYi Micro Hei lacks
(䶮 㛃 𠮷 𬌗, docs/decisions.md#fonts). fpdf2 embeds a subset of the font, so a PDF prints the same on a
machine without the font. Set ``PDF_FONT`` (config) or ``JIFEN_PDF_FONT`` (environment) to a
"path[#index]" to use another font.

fpdf2 reads the whole font and subsets it for every document: ≈ 0.9 s with Noto's 65k glyphs,
whatever the document's size. ``render_pdf`` first makes a document with the common-character
font instead (GB 2312 and punctuation: a subset of the same font, made once into the font cache,
``PDF_FONT_CACHE``, default instance/font-cache) and makes it again with the full font only when
its text needs a character outside it.
"""
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

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


def pdf_face(common: bool = False) -> FontFace:
    """The font to embed: find_font(), or with common=True its common-character subset when there
    is one (see render_pdf)."""
    face = find_font()
    return (common_face(face) or face) if common else face


def add_cjk_font(pdf: FPDF, family: str = FAMILY, common: bool = False) -> str:
    """Register the CJK font (regular, and bold when available) on `pdf`; returns the family.
    common: see pdf_face."""
    face = pdf_face(common)
    pdf.add_font(family, "", face.path, collection_font_number=face.index)
    bold = (face.bold_path, face.bold_index) if face.bold_path else (face.path, face.index)
    pdf.add_font(family, "B", bold[0], collection_font_number=bold[1])
    return family


def new_pdf(orientation: str = "P", unit: str = "mm", format="A4", size: float = 11, common: bool = False) -> FPDF:
    """An FPDF document with the CJK font registered and selected (common: see add_cjk_font)."""
    pdf = FPDF(orientation=orientation, unit=unit, format=format)
    add_cjk_font(pdf, common=common)
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


def render_pdf(draw: Callable[[bool], FPDF]) -> bytes:
    """The PDF that `draw(common)` makes, which builds the whole document with
    add_cjk_font(pdf, common=common): first with the common-character font; again with the full
    font when the text needed a character the first lacks (a rare name character, docs/decisions.md#fonts).
    Without the subset (no cache), once with the full font."""
    common = common_face(find_font()) is not None
    pdf = draw(common)
    if common and any(getattr(font, "missing_glyphs", None) for font in pdf.fonts.values()):
        pdf = draw(False)
    return bytes(pdf.output())


#: bump when the character set or the way the subset is made changes (the file name carries it)
_COMMON_VERSION = 1
#: besides GB 2312: ASCII, Latin-1, general punctuation, enclosed numbers, CJK punctuation, full-width forms
_COMMON_RANGES = ((0x20, 0x7F), (0xA0, 0x100), (0x2000, 0x2070), (0x2460, 0x2500), (0x3000, 0x3040),
                  (0xFF00, 0xFFF0))
_log = logging.getLogger(__name__)
#: (font, index, cache directory) whose subset could not be made: not tried again by this process
#: (a failed attempt may have spent seconds subsetting before it failed)
_FAILED: set = set()


@lru_cache(maxsize=1)
def common_codepoints() -> frozenset[int]:
    """GB 2312's characters (its 6,763 hanzi are the common ones) and the blocks of _COMMON_RANGES."""
    points = {point for low, high in _COMMON_RANGES for point in range(low, high)}
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:  # an unassigned code
                pass
    return frozenset(points)


def common_face(face: FontFace) -> Optional[FontFace]:
    """`face` cut down to common_codepoints(), from the font cache (made there on first use); None
    without an app (no cache directory) or when it cannot be made: then the full font is used."""
    regular = _common_file(face.path, face.index)
    bold = _common_file(face.bold_path, face.bold_index) if face.bold_path else None
    if regular is None or (face.bold_path and bold is None):
        return None
    return FontFace(regular, 0, bold, 0)


def _common_file(path: str, index: int) -> Optional[str]:
    if not has_app_context():
        return None
    directory = current_app.config.get("PDF_FONT_CACHE") or os.path.join(current_app.instance_path, "font-cache")
    if (path, index, directory) in _FAILED:
        return None
    try:
        stat = os.stat(path)
        key = hashlib.sha256(f"{path}#{index}:{stat.st_size}:{stat.st_mtime_ns}:{_COMMON_VERSION}".encode())
        target = os.path.join(directory, f"common-{key.hexdigest()[:16]}.otf")  # OpenType: CFF or glyf
        if not os.path.exists(target):
            os.makedirs(directory, exist_ok=True)
            _write_common_subset(path, index, target)
        return target
    except Exception:  # noqa: BLE001 - any failure leaves the full font, which prints everything
        _log.warning("could not make the common-character font from %s#%s; using the full font", path, index,
                     exc_info=True)
        _FAILED.add((path, index, directory))
        return None


def _write_common_subset(path: str, index: int, target: str) -> None:
    """Written under a temporary name and renamed: processes making it at once each write whole files."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    _log.info("making the common-character font from %s#%s (once, a few seconds)", path, index)
    font = TTFont(path, fontNumber=index, lazy=True, recalcTimestamp=False)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[])
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]  # fpdf2 drops them from what it embeds as well
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=common_codepoints())
    subsetter.subset(font)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            font.save(out)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would shut out a server running as another user
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
