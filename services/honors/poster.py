"""光荣榜 posters: A3/A4 PDF for the notice board and a long PNG for WeChat groups.

Red and gold, large Chinese type, site and period, names in full. fpdf2 with the CJK font of
services.pdf_fonts (Noto Sans CJK covers rare name characters); text is drawn literally, so
markup in a citation prints as typed. The PNG is rendered from a one-page PDF with pdftoppm."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from typing import Optional

from fpdf import FPDF

from models import HonorList
from models.clock import to_local
from services import pdf_fonts
from services.honors import lists as honors
from services.honors import public
from services.pdf_fonts import FAMILY

RED = (178, 24, 26)
DARK_RED = (140, 14, 18)
GOLD = (250, 204, 72)
CREAM = (255, 244, 214)
SIZES = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
#: the WeChat image: A4 width, as tall as the content
LONG_WIDTH = 210.0
PNG_DPI = 150


class PosterUnavailable(RuntimeError):
    """pdftoppm (poppler-utils) is missing, so no PNG can be made."""


#: the line under the title of a poster whose list is not published (status -> text)
DRAFT_MARK = {"draft": "【草稿 · 尚未发布】", "notice": "【公示稿 · 尚未发布】", "withdrawn": "【已撤销】"}


class _Poster(FPDF):
    """Every page gets the red background and the gold frame before its content."""

    scale = 1.0

    def header(self):
        self.set_fill_color(*RED)
        self.rect(0, 0, self.w, self.h, "F")
        self.set_draw_color(*GOLD)
        self.set_line_width(2.2 * self.scale)
        inset = 7 * self.scale
        self.rect(inset, inset, self.w - 2 * inset, self.h - 2 * inset)
        self.set_line_width(0.6 * self.scale)
        inset = 10 * self.scale
        self.rect(inset, inset, self.w - 2 * inset, self.h - 2 * inset)


def render_pdf(lst: HonorList, size: str = "A4") -> bytes:
    """The poster as PDF bytes; `size` is A4, A3 or long (one page as tall as the content)."""
    if size == "long":
        return pdf_fonts.render_pdf(lambda common: _build(
            lst, LONG_WIDTH, max(_draw(lst, LONG_WIDTH, 5000.0, common, measure=True), 297.0), common))
    width, height = SIZES.get(size, SIZES["A4"])
    return pdf_fonts.render_pdf(lambda common: _build(lst, width, height, common))


def render_png(lst: HonorList, cache_dir: Optional[str] = None) -> bytes:
    """A long PNG (about 1240 px wide) for WeChat groups; cached by content when `cache_dir` is given
    (the public page serves it, so it must not cost a render per request)."""
    cached = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cached = os.path.join(cache_dir, f"{_digest(lst)}.png")
        if os.path.exists(cached):
            with open(cached, "rb") as fh:
                return fh.read()
    data = _png(lst)
    if cached:
        partial = f"{cached}.{os.getpid()}.tmp"
        with open(partial, "wb") as fh:
            fh.write(data)
        os.replace(partial, cached)
    return data


def cache_dir() -> str:
    """Where rendered PNGs are kept (config POSTER_CACHE_DIR, default instance/posters)."""
    from flask import current_app

    return current_app.config.get("POSTER_CACHE_DIR") or os.path.join(current_app.instance_path, "posters")


def _digest(lst: HonorList) -> str:
    content = json.dumps([public.as_dict(lst), str(lst.published_at), lst.notice_start and str(lst.notice_start)],
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def _png(lst: HonorList) -> bytes:
    if not shutil.which("pdftoppm"):
        raise PosterUnavailable("没有安装 pdftoppm:请安装 poppler-utils(apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        pdf_path = os.path.join(tmp, "poster.pdf")
        with open(pdf_path, "wb") as fh:
            fh.write(render_pdf(lst, "long"))
        subprocess.run(["pdftoppm", "-png", "-r", str(PNG_DPI), "-singlefile", pdf_path,
                        os.path.join(tmp, "poster")], check=True, capture_output=True, timeout=120)
        with open(os.path.join(tmp, "poster.png"), "rb") as fh:
            return fh.read()


def _build(lst: HonorList, width: float, height: float, common: bool) -> FPDF:
    pdf = _poster(width, height, common)
    pdf.set_title(f"{lst.site.name}{lst.title}")
    _draw_into(pdf, lst)
    return pdf


def _draw(lst: HonorList, width: float, height: float, common: bool, measure: bool = False) -> float:
    pdf = _poster(width, height, common, auto_break=not measure)
    _draw_into(pdf, lst)
    return pdf.get_y() + 14 * pdf.scale


def _poster(width: float, height: float, common: bool, auto_break: bool = True) -> _Poster:
    pdf = _Poster(unit="mm", format=(width, height))
    pdf.scale = width / 210.0
    pdf_fonts.add_cjk_font(pdf, common=common)
    pdf.set_margins(18 * pdf.scale, 16 * pdf.scale, 18 * pdf.scale)
    pdf.set_auto_page_break(auto_break, margin=18 * pdf.scale)
    pdf.add_page()
    return pdf


def _pt(pdf: _Poster, size: float) -> float:
    return size * pdf.scale


def _draw_into(pdf: _Poster, lst: HonorList) -> None:
    s = pdf.scale
    pdf.set_y(20 * s)
    pdf.set_text_color(*GOLD)
    pdf.set_font(FAMILY, "B", _pt(pdf, 64))
    pdf.cell(0, 30 * s, "光荣榜", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", _pt(pdf, 22))
    pdf.multi_cell(0, 11 * s, f"{lst.site.name} · {lst.title}", align="C", new_x="LMARGIN", new_y="NEXT")
    if lst.status != "published":  # a poster printed before publishing says so (docs/decisions.md#day-one)
        pdf.set_text_color(*CREAM)
        pdf.set_font(FAMILY, "B", _pt(pdf, 18))
        pdf.cell(0, 10 * s, DRAFT_MARK.get(lst.status, DRAFT_MARK["draft"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*CREAM)
    pdf.set_font(FAMILY, "", _pt(pdf, 15))
    pdf.cell(0, 9 * s, honors.period_label(lst), align="C", new_x="LMARGIN", new_y="NEXT")
    _rule(pdf)
    for section in lst.sections:
        if section.entries:
            _section(pdf, section)
    _footer(pdf, lst)


def _rule(pdf: _Poster) -> None:
    s = pdf.scale
    y = pdf.get_y() + 3 * s
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.8 * s)
    pdf.line(pdf.l_margin + 20 * s, y, pdf.w - pdf.r_margin - 20 * s, y)
    pdf.set_y(y + 5 * s)


def _section(pdf: _Poster, section) -> None:
    s = pdf.scale
    if pdf.auto_page_break and pdf.get_y() + 45 * s > pdf.page_break_trigger:
        pdf.add_page()
        pdf.set_y(20 * s)
    pdf.set_fill_color(*GOLD)
    pdf.set_text_color(*DARK_RED)
    pdf.set_font(FAMILY, "B", _pt(pdf, 24))
    pdf.cell(0, 14 * s, section.name, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4 * s)
    for entry in section.entries:
        _entry(pdf, entry)
    pdf.ln(4 * s)


def _entry(pdf: _Poster, entry) -> None:
    s = pdf.scale
    if pdf.auto_page_break and pdf.get_y() + 30 * s > pdf.page_break_trigger:
        pdf.add_page()
        pdf.set_y(20 * s)
    pdf.set_text_color(*GOLD)
    pdf.set_font(FAMILY, "B", _pt(pdf, 26))
    pdf.cell(0, 13 * s, f"{entry.display_name} 家", align="L", new_x="LMARGIN", new_y="NEXT")
    if entry.citation.strip():
        pdf.set_text_color(*CREAM)
        pdf.set_font(FAMILY, "", _pt(pdf, 15))
        pdf.set_x(pdf.l_margin + 8 * s)
        pdf.multi_cell(pdf.w - pdf.l_margin - pdf.r_margin - 8 * s, 8.5 * s, entry.citation, align="L",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3 * s)


def _footer(pdf: _Poster, lst: HonorList) -> None:
    s = pdf.scale
    _rule(pdf)
    pdf.set_text_color(*CREAM)
    pdf.set_font(FAMILY, "", _pt(pdf, 14))
    when = to_local(lst.published_at).date() if lst.published_at else None
    line = f"{lst.site.name}" + (f"  {when.year}年{when.month}月{when.day}日" if when else "")
    pdf.cell(0, 9 * s, line, align="R", new_x="LMARGIN", new_y="NEXT")
    if lst.status == "notice" and lst.notice_start:
        pdf.cell(0, 9 * s, f"{honors.notice_text(lst)}  公示期间如有异议请联系:{lst.contact or '社区居委会'}",
                 align="R", new_x="LMARGIN", new_y="NEXT")
