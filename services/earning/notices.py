"""公示 date math (docs/decisions.md#notices) and what is on 公示 now (kiosk idle screen).

A notice of N days opened on local day D runs D … D+N−1 and ends at 24:00 local on D+N−1,
exactly as the printed notice says; posting is refused before that moment.
"""
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import EvaluationRound, RoundLine
from models.clock import local_today, local_zone, to_local, utcnow
from models.household import mask_name
from services import pdf_fonts
from services.ledger.seals import seal_line

MAX_NOTICE_DAYS = 60


def notice_window(start: date, days: int) -> tuple[date, date]:
    """First and last local day of an N-day notice opened on `start`."""
    if days < 1:
        raise ValueError("a notice lasts at least one day")
    return start, start + timedelta(days=days - 1)


def notice_ends_at(last_day: date) -> datetime:
    """24:00 local on the last day, as naive UTC (the moment posting becomes possible)."""
    local_midnight = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=local_zone())
    return local_midnight.astimezone(timezone.utc).replace(tzinfo=None)


def is_over(last_day: Optional[date], now: Optional[datetime] = None) -> bool:
    return last_day is not None and (now or utcnow()) >= notice_ends_at(last_day)


def is_running(start: Optional[date], last_day: Optional[date], now: Optional[datetime] = None) -> bool:
    if start is None or last_day is None:
        return False
    today = to_local(now).date() if now else local_today()
    return start <= today and not is_over(last_day, now)


def period_text(start: date, last_day: date) -> str:
    """公示期 1月1日至1月7日 (the year is added when the notice spans two years)."""
    if start.year != last_day.year:
        return f"{start.year}年{start.month}月{start.day}日至{last_day.year}年{last_day.month}月{last_day.day}日"
    return f"{start.month}月{start.day}日至{last_day.month}月{last_day.day}日"


def public_lines(round_id: int) -> list[dict]:
    """The lines a public notice shows: households with points or awards, names masked."""
    lines = db.session.execute(
        select(RoundLine).where(RoundLine.round_id == round_id).order_by(RoundLine.id)
    ).scalars()
    return [
        {"line_id": line.id, "name": mask_name(line.household.head_name),
         "building": line.household.building or "", "total_score": line.total_score,
         "points": line.points, "awards": line.awards_text, "award_points": line.award_points}
        for line in lines if line.points or line.awards_text
    ]


def open_notices(site_id: int, now: Optional[datetime] = None) -> list[dict]:
    """What is on 公示 at a site right now (for the kiosk idle screen); names are masked."""
    rounds = db.session.execute(
        select(EvaluationRound).where(EvaluationRound.site_id == site_id, EvaluationRound.status == "notice")
        .order_by(EvaluationRound.notice_start, EvaluationRound.id)
    ).scalars()
    return [
        {"type": "evaluation_round", "id": r.id, "title": f"{r.title}“五评五奖”评议结果公示",
         "site": r.site.name, "period": r.title, "notice_start": r.notice_start, "notice_end": r.notice_end,
         "notice_text": "公示期" + period_text(r.notice_start, r.notice_end), "contact": r.contact or "",
         "lines": public_lines(r.id)}
        for r in rounds if is_running(r.notice_start, r.notice_end, now)
    ]


# ------------------------------------------------------------------ printable notice


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def notice_pdf(rnd) -> bytes:
    """The printable 公示 for the notice board: site, period, households (names masked) with
    points and awards, the notice dates and whom to contact."""
    lines = public_lines(rnd.id)
    return pdf_fonts.render_pdf(lambda common: _draw_notice(rnd, lines, common))


def _draw_notice(rnd, lines: list, common: bool):
    pdf, family = pdf_fonts.new_pdf(common=common), pdf_fonts.FAMILY
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    _title(pdf, family, rnd.site.name, f"{rnd.title}“五评五奖”评议结果公示")
    pdf.ln(2)
    pdf.set_font(family, "", 11)
    days = (rnd.notice_end - rnd.notice_start).days + 1
    pdf.multi_cell(0, 7, f"经评议小组评议,{rnd.title}({_cn_date(rnd.period_start)}至{_cn_date(rnd.period_end)})"
                         f"各户评分结果及获评称号如下,现予公示,公示期 {days} 天。", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (14, 34, 30, 22, 22, 46, 22)
    header = ("序号", "户主", "楼栋", "评分", "积分", "获评称号", "奖励积分")

    def table_header():
        pdf.set_font(family, "B", 11)
        for width, text in zip(widths, header):
            pdf.cell(width, 9, text, border=1, align="C")
        pdf.ln()
        pdf.set_font(family, "", 11)

    table_header()
    for number, line in enumerate(lines, 1):
        if pdf.will_page_break(8):
            pdf.add_page()
            table_header()
        values = (str(number), line["name"], line["building"], str(line["total_score"]), str(line["points"]),
                  line["awards"] or "—", str(line["award_points"] or "—"))
        for width, text in zip(widths, values):
            fit_cell(pdf, family, width, 8, text)
        pdf.ln()
    if not lines:
        pdf.cell(sum(widths), 8, "本次评议没有得分的住户", border=1, align="C")
        pdf.ln()
    pdf.ln(4)
    pdf.multi_cell(0, 7, f"公示期:{period_text(rnd.notice_start, rnd.notice_end)}"
                         f"(至 {rnd.notice_end.month}月{rnd.notice_end.day}日24:00 止)。", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, "公示期内如有异议,请向评议小组实名或匿名反映"
                         + (f",联系人:{rnd.contact}。" if rnd.contact else "。"), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, "公示期满无异议(或异议处理完毕)后,积分计入各户积分账户。", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    area = rnd.site.path_names().get("village", "")
    pdf.cell(0, 7, f"{area}{rnd.site.name}评议小组", align="R")
    pdf.ln()
    pdf.cell(0, 7, _cn_date(rnd.notice_start), align="R")
    pdf.ln(10)
    pdf.set_font(family, "", 9)
    pdf.cell(0, 6, seal_line(), align="L")  # an anchor outside the database (docs/decisions.md#ledger-seals)
    return pdf


def _title(pdf, family: str, site: str, rest: str) -> None:
    """The title on one line, smaller if need be (18 down to 14 pt); still too long, it breaks after
    the site name, so a line never holds a lone character such as 示."""
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for size in range(18, 13, -1):
        pdf.set_font(family, "B", size)
        if pdf.get_string_width(site + rest) <= width:
            pdf.cell(0, 10, site + rest, align="C", new_x="LMARGIN", new_y="NEXT")
            return
    for line in (site, rest):
        pdf.multi_cell(0, 9, line, align="C", new_x="LMARGIN", new_y="NEXT")


def fit_cell(pdf, family: str, width: float, height: float, text: str, size: float = 11, smallest: float = 6) -> None:
    """A bordered, centred table cell whose text stays inside it: the font shrinks for a long value
    (a long masked name must not run over the 序号 column beside it), then the text is cut with …"""
    room = width - 2 * pdf.c_margin
    fitted = size
    pdf.set_font(family, "", fitted)
    while pdf.get_string_width(text) > room and fitted > smallest:
        fitted -= 0.5
        pdf.set_font(family, "", fitted)
    while pdf.get_string_width(text) > room and len(text) > 1:
        text = text[:-2] + "…"
    pdf.cell(width, height, text, border=1, align="C")
    pdf.set_font(family, "", size)
