"""一户一档 archive: one household's complete file as a PDF with a table of contents (members, tags and
causes, 包保, visits, problems, jobs, monitoring, points summary), and a village's files as a zip with
two identical sets: one kept at the station (站存), one sent up to the county (报县), with a manifest of
SHA-256 digests so the county can check it received the station's set.

Identity numbers are masked unless the exporting user holds a role in ARCHIVE_FULL_ID_ROLES (config,
default admin). Every export is written to the audit log by the view."""
import hashlib
import io
import zipfile
from typing import Iterable

from flask import current_app
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from extensions import db
from models import Household, LedgerEntry
from models.clock import local_today, to_local, utcnow
from models.employment import Employment, EmploymentSubsidy
from models.household import HOUSEHOLD_TAGS, mask_id_number
from models.settlement import CAUSES
from models.support import SITUATION_AREAS, MonitoringCase, Problem
from services import pdf_fonts, workbook
from services.households.registry import LEDGER_KIND_LABELS, STATUS_LABELS
from services.integrity.fund import yuan
from services.support import responsibility as support
from services.support import settlement, visits

LINE = 6.5


def may_see_full_ids(user) -> bool:
    return user.has_role(*current_app.config.get("ARCHIVE_FULL_ID_ROLES", ("admin",)))


class _Archive(FPDF):
    heading = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(pdf_fonts.FAMILY, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"{self.heading} · 第 {self.page_no()} 页 / 共 {{nb}} 页 · 导出日期 {local_today():%Y-%m-%d}", align="C")
        self.set_text_color(0, 0, 0)


def _toc(pdf: FPDF, outline) -> None:
    pdf.set_font(pdf_fonts.FAMILY, "B", 14)
    pdf.cell(0, 10, "目  录", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf_fonts.FAMILY, "", 11)
    for n, section in enumerate(outline, 1):
        label = f"{n}. {section.name}"
        dots = "." * max(2, int((pdf.epw - pdf.get_string_width(label) - 12) / max(pdf.get_string_width("."), 0.1)))
        pdf.cell(pdf.epw - 12, 8, f"{label} {dots}", new_x="RIGHT", new_y="TOP")
        pdf.cell(12, 8, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def _section(pdf: FPDF, title: str) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.start_section(title)
    pdf.ln(2)
    pdf.set_font(pdf_fonts.FAMILY, "B", 12.5)
    pdf.set_fill_color(240, 238, 234)
    pdf.cell(0, 8, title, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf_fonts.FAMILY, "", 10)
    pdf.ln(1)


def _lines(pdf: FPDF, lines: Iterable[str], empty: str = "无") -> None:
    lines = list(lines)
    for line in lines or [empty]:
        pdf.multi_cell(0, LINE, line, new_x="LMARGIN", new_y="NEXT")


def household_pdf(home: Household, full_ids: bool) -> bytes:
    """The household's complete file (一户一档) as an A4 PDF with a table of contents."""
    shown_id = (lambda n: n or "—") if full_ids else (lambda n: mask_id_number(n) or "—")
    facts = _facts(home)

    def draw(common: bool) -> FPDF:
        pdf = _Archive(unit="mm", format="A4")
        pdf.heading = f"一户一档 · {home.head_name}"
        pdf.set_margins(16, 14, 16)
        pdf.set_auto_page_break(True, margin=16)
        pdf_fonts.add_cjk_font(pdf, common=common)
        pdf.set_title(f"一户一档 {home.head_name}")
        pdf.add_page()
        names = home.site.path_names()
        pdf.set_font(pdf_fonts.FAMILY, "B", 20)
        pdf.ln(30)
        pdf.cell(0, 14, "一户一档", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf_fonts.FAMILY, "", 13)
        for line in (f"户主:{home.head_name}    户号:{home.id}",
                     f"{names.get('county', '')}{names.get('township', '')}{names.get('village', '')} {home.site.name}",
                     f"门牌:{' '.join(p for p in (home.building, home.door_no) if p) or '—'}",
                     f"导出日期:{local_today():%Y年%m月%d日}"):
            pdf.cell(0, 10, line, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.add_page()
        pdf.insert_toc_placeholder(_toc, pages=1)
        _section(pdf, "基本情况与家庭成员")
        _lines(pdf, [f"户主身份证号:{shown_id(home.head_id_number)}    电话:{home.phone or '—'}    "
                     f"状态:{STATUS_LABELS.get(home.status, home.status)}"])
        _lines(pdf, [f"{m.name}({m.relation})  身份证号 {shown_id(m.id_number)}  {'电话 ' + m.phone if m.phone else ''}"
                     + ("" if m.is_current else "  [已不在册]") for m in home.members])
        _section(pdf, "类别标签与致贫/风险原因")
        _lines(pdf, ["类别:" + ("、".join(HOUSEHOLD_TAGS.get(t, t) for t in home.tags) or "无"),
                     "原因:" + ("、".join(CAUSES[c] for c in facts["causes"]) or "未登记")])
        _section(pdf, "包保责任人")
        _lines(pdf, [f"{r.cadre.name}({r.cadre.level_label}{' · ' + r.cadre.unit if r.cadre.unit else ''})"
                     f"  {r.start_date} 起{' 至 ' + str(r.end_date) if r.end_date else '(在任)'}" for r in facts["responsibilities"]])
        _section(pdf, "走访记录")
        _lines(pdf, [_visit_line(v) for v in facts["visits"]])
        _section(pdf, "问题台账")
        _lines(pdf, [f"{p.found_date} [{p.category}] {p.description} —— {p.status_label}"
                     + (f",时限 {p.deadline}" if p.deadline else "") for p in facts["problems"]])
        _section(pdf, "就业情况")
        _lines(pdf, facts["jobs"], empty="未登记")
        _section(pdf, "防返贫监测")
        _lines(pdf, [line for c in facts["cases"] for line in
                     [f"{c.type_label} · {c.status_label}" + (f" · {c.risk_note}" if c.risk_note else "")]
                     + [f"    {s.step_date} {s.step_label}{'' if s.passed else '(未通过)'}{' · ' + s.note if s.note else ''}"
                        for s in c.steps]], empty="未纳入监测")
        _section(pdf, "积分情况")
        _lines(pdf, [f"当前余额 {home.balance} 分" + (f"(其中底分 {home.base_points})" if home.base_points else "")]
               + [f"{LEDGER_KIND_LABELS.get(kind, kind)}:{count} 笔,合计 {total:+d} 分" for kind, count, total in facts["points"]])
        return pdf

    return pdf_fonts.render_pdf(draw)


def _visit_line(v) -> str:
    issues = [f"{SITUATION_AREAS.get(k, k)}:{x.get('note') or '有问题'}" for k, x in visits.situation_of(v).items()
              if isinstance(x, dict) and x.get("status") == "issue"]
    met = "见到本人" if v.met else "未见到"
    return f"{v.visit_date} {v.visitors} · {met}" + (" · " + ";".join(issues) if issues else " · 情况正常")


def _facts(home: Household) -> dict:
    jobs = []
    for rec in db.session.execute(select(Employment).where(Employment.household_id == home.id)
                                  .order_by(Employment.member_id)).scalars():
        jobs.append(f"{rec.member.name}:{rec.status_label}{' · ' + rec.workplace if rec.workplace else ''}"
                    f"{' · 自 ' + str(rec.since) if rec.since else ''}")
    for s in db.session.execute(select(EmploymentSubsidy).where(EmploymentSubsidy.household_id == home.id)
                                .order_by(EmploymentSubsidy.granted_on)).scalars():
        jobs.append(f"补贴 {s.granted_on} {s.kind_label} {yuan(s.amount_fen)} 元")
    return {
        "causes": settlement.causes_of(home.id),
        "responsibilities": support.responsibilities_of(home.id),
        "visits": visits.visits_of(home.id, limit=500),
        "problems": db.session.execute(select(Problem).where(Problem.household_id == home.id)
                                       .order_by(Problem.found_date, Problem.id)).scalars().all(),
        "jobs": jobs,
        "cases": db.session.execute(select(MonitoringCase).where(MonitoringCase.household_id == home.id)
                                    .order_by(MonitoringCase.id)).scalars().all(),
        "points": db.session.execute(select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.points))
                                     .where(LedgerEntry.household_id == home.id).group_by(LedgerEntry.kind)
                                     .order_by(LedgerEntry.kind)).all(),
    }


def village_zip(homes: list[Household], village_name: str, full_ids: bool) -> bytes:
    """Two identical sets of the households' PDFs (站存/, 报县/) and a manifest (清单.xlsx) with digests."""
    out = io.BytesIO()
    manifest = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for home in homes:
            data = household_pdf(home, full_ids)
            name = f"{home.id:06d}_{home.head_name}.pdf"
            for folder in ("站存", "报县"):
                archive.writestr(f"{village_name}一户一档/{folder}/{name}", data)
            manifest.append((home, name, hashlib.sha256(data).hexdigest()))
        archive.writestr(f"{village_name}一户一档/清单.xlsx", _manifest(manifest, village_name))
    return out.getvalue()


def _manifest(rows, village_name: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "清单"
    sheet.append([workbook.cell(sheet, f"{village_name} 一户一档清单", font=Font(bold=True, size=14))])
    sheet.append([f"导出时间 {to_local(utcnow()):%Y-%m-%d %H:%M} · 站存与报县两套文件相同,可用 SHA-256 核对"])
    sheet.append(workbook.row(sheet, ["序号", "户号", "户主", "安置点", "文件", "SHA-256"], font=Font(bold=True)))
    for n, (home, name, digest) in enumerate(rows, 1):
        sheet.append(workbook.row(sheet, [n, home.id, home.head_name, home.site.name, name, digest]))
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
