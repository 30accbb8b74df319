"""每月专题汇报's narrative (工作开展情况 / 存在问题 / 下步打算) and its sign-off: a 填报人 writes
it, another staff member (审核人) signs it, and only a signed report is exported. Changing the
narrative after the sign-off clears it (docs/decisions.md#report-sign-off)."""
from typing import Optional

from sqlalchemy import select

from extensions import db
from models.clock import utcnow
from models.monthly_report import NARRATIVE_SECTIONS, MonthlyReportNote
from services.errors import DomainError, Forbidden, ValidationFailed
from services.staff import audit

LIMIT = 4000


class NotSigned(DomainError):
    """An export asked for before the narrative is written and signed."""

    code = "not_signed"
    status = 409
    message = "导出前须填报汇报正文,并由另一位工作人员审核签字"


def note_for(scope: str, year: int, month: int) -> Optional[MonthlyReportNote]:
    return db.session.execute(select(MonthlyReportNote).where(
        MonthlyReportNote.scope == scope, MonthlyReportNote.year == year,
        MonthlyReportNote.month == month)).scalar_one_or_none()


def save(scope: str, year: int, month: int, actor, **texts: str) -> MonthlyReportNote:
    """Write the narrative; the writer becomes the 填报人 and any earlier sign-off is cleared."""
    clean = {}
    for key, label in NARRATIVE_SECTIONS.items():
        value = (texts.get(key) or "").strip()
        if len(value) > LIMIT:
            raise ValidationFailed(f"“{label}”不能超过 {LIMIT} 字")
        clean[key] = value
    if not clean["work_done"]:
        raise ValidationFailed("请填写“工作开展情况”")
    note = note_for(scope, year, month)
    if note is None:
        note = MonthlyReportNote(scope=scope, year=year, month=month, filled_by_id=actor.id)
        db.session.add(note)
    elif all(getattr(note, k) == v for k, v in clean.items()):
        return note
    for key, value in clean.items():
        setattr(note, key, value)
    note.filled_by_id, note.filled_at = actor.id, utcnow()
    note.reviewed_by_id = note.reviewed_at = None
    db.session.flush()
    audit.record(actor, "report.narrative.save", "monthly_report_note", note.id,
                 after={"scope": scope, "month": f"{year}-{month:02d}"})
    return note


def sign(note: Optional[MonthlyReportNote], actor) -> MonthlyReportNote:
    """审核: another staff member than the 填报人 signs the narrative."""
    if note is None:
        raise ValidationFailed("请先填报汇报正文(工作开展情况、存在问题、下步打算)")
    if note.signed:
        raise ValidationFailed("本月汇报已审核")
    if actor.id == note.filled_by_id:
        raise Forbidden("审核须由另一位工作人员办理:填报人不能审核自己填报的汇报")
    note.reviewed_by_id, note.reviewed_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "report.narrative.sign", "monthly_report_note", note.id,
                 after={"scope": note.scope, "month": f"{note.year}-{note.month:02d}"})
    return note


def require_signed(note: Optional[MonthlyReportNote]) -> MonthlyReportNote:
    """The export's gate: refused until the narrative is written and signed by an 审核人."""
    if note is None or not note.signed:
        raise NotSigned()
    return note
