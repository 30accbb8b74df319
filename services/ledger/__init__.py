"""The ONE path for every points change (docs/decisions.md (#ledger-kinds … #append-only)).

Entries are append-only and chained per household with an HMAC over canonical JSON.
The balance moves by a conditional UPDATE in the same transaction as the insert, so
two writers can never both spend the same points.
"""
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Optional, Sequence

from flask import current_app
from sqlalchemy import Date, DateTime, bindparam, event, select, text
from sqlalchemy.orm import Session

from extensions import db
from models import Household, LedgerEntry
from models.clock import local_today, utcnow
from models.ledger import LEDGER_KINDS
from services.database import Statement, expire_written, run_last, run_together
from services.errors import (
    IdempotencyConflict,
    InsufficientPoints,
    LedgerRefused,
    NotFound,
    ValidationFailed,
)
from services.ledger import month_totals

#: debits of these kinds stop at the balance instead of failing (docs/decisions.md#deductions-clamp)
CLAMPED_KINDS = frozenset({"rule_deduction", "reversal"})
#: debits that may not take the balance below the household's base points (docs/decisions.md#base-points)
KEEPS_BASE = frozenset({"redemption", "allowance_hold"})
#: never reversed with reverse(): a redemption is voided, a reversal is final
NOT_REVERSIBLE = frozenset({"redemption", "redemption_void", "reversal"})
MAX_POINTS = 1_000_000
POINTS_RANGE = "积分不能为 0,也不能超过一百万"

#: moves the balance unless it would go negative or the key was posted before (then no row:
#: post() finds out which, off the common path)
_APPLY_SQL = text(
    "UPDATE household SET balance = balance + :delta, ledger_seq = ledger_seq + 1 "
    "WHERE id = :hid AND balance + :delta >= 0 AND balance + :delta >= base_points * :keeps_base "
    "AND NOT EXISTS (SELECT 1 FROM ledger_entry WHERE idempotency_key = :key) "
    "RETURNING balance, ledger_seq, ledger_hash, site_id"
)
_SET_HASH_SQL = text("UPDATE household SET ledger_hash = :hash, head_sig = :sig WHERE id = :hid")
_ENTRY_COLUMNS = ("household_id", "site_id", "seq", "kind", "points", "requested_points", "balance_after",
                  "idempotency_key", "source_type", "source_id", "reverses_id", "effective_date", "actor_id",
                  "note", "created_at", "prev_hash", "hash")
#: every column of an entry, as Written holds them
_ENTRY_FIELDS = ("id", *_ENTRY_COLUMNS)
_INSERT_SQL = text(
    f"INSERT INTO ledger_entry ({', '.join(_ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _ENTRY_COLUMNS)}) RETURNING id"
).bindparams(bindparam("effective_date", type_=Date()), bindparam("created_at", type_=DateTime()))


@dataclass(frozen=True)
class Source:
    """What caused an entry, e.g. Source("redemption", 7)."""

    type: str
    id: int


def ledger_key() -> bytes:
    return current_app.config["LEDGER_KEY"].encode()


def canonical_fields(entry) -> dict:
    """The fields the hash covers; `entry` is a LedgerEntry or a row with the same names."""
    return {
        "household_id": entry.household_id,
        "site_id": entry.site_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "points": entry.points,
        "requested_points": entry.requested_points,
        "balance_after": entry.balance_after,
        "idempotency_key": entry.idempotency_key,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "reverses_id": entry.reverses_id,
        "effective_date": entry.effective_date.isoformat(),
        "actor_id": entry.actor_id,
        "note": entry.note,
        "created_at": _utc_text(entry.created_at),
        "prev_hash": entry.prev_hash,
    }


@dataclass(frozen=True)
class Written:
    """An entry's columns as post() writes them: what the hash covers and `then` reads (without hash
    and id), and what post() returns (with both)."""

    household_id: int
    site_id: int
    seq: int
    kind: str
    points: int
    requested_points: int
    balance_after: int
    idempotency_key: str
    source_type: Optional[str]
    source_id: Optional[int]
    reverses_id: Optional[int]
    effective_date: date
    actor_id: Optional[int]
    note: Optional[str]
    created_at: datetime
    prev_hash: Optional[str]
    hash: Optional[str] = None
    id: Optional[int] = None


def _utc_text(moment: datetime) -> str:
    """created_at as hashed, e.g. 2026-11-23T08:00:00.000000Z. isoformat() gives the same text as
    strftime("%Y-%m-%dT%H:%M:%S.%fZ") for naive datetimes, about 4× faster (verify hashes millions)."""
    if moment.tzinfo is None and moment.year >= 1000:
        return moment.isoformat(timespec="microseconds") + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")) without a new encoder per call
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(fields: dict, key: bytes) -> str:
    return hmac.digest(key, _CANONICAL_JSON.encode(fields).encode(), "sha256").hex()


def head_signature(household_id: int, seq: int, last_hash: str, balance: int, key: bytes) -> str:
    """HMAC of a household's chain head, so the head row cannot be set back or edited without the key
    (docs/decisions.md#ledger-seals). A household without entries has no signature ("")."""
    if seq == 0:
        return ""
    fields = {"balance": balance, "hash": last_hash, "household_id": household_id, "seq": seq}
    return hmac.digest(key, ("head:" + _CANONICAL_JSON.encode(fields)).encode(), "sha256").hex()


def post(
    household,
    points: int,
    kind: str,
    source: Optional[Source] = None,
    actor=None,
    note: Optional[str] = None,
    idempotency_key: Optional[str] = None,
    *,
    effective_date: Optional[date] = None,
    reverses_id: Optional[int] = None,
    locked_with: Sequence[Statement] = (),
    then: Optional[Callable[[Written], Sequence[Statement]]] = None,
    last: bool = False,
) -> Optional[Written]:
    """Post `points` (signed) to a household (a Household or its id), the ONE way an entry is written.

    Returns the entry as written (Written: every column, with its hash and id), or None when a clamped
    debit (CLAMPED_KINDS) found nothing to take. The same idempotency key with the same content
    returns the first entry (as Written); with other content raises IdempotencyConflict. Raises
    ValidationFailed (bad points, kind or key), NotFound (no such household), InsufficientPoints (a
    debit beyond the balance; nothing written). Flushes, never commits. No session object is made
    for the entry (docs/performance.md): a caller that needs the LedgerEntry loads it by id.

    `locked_with`: the caller's statements sent in the same round trip as the balance UPDATE,
    before it (a redemption's conditional stock UPDATEs); `then(entry)`: statements sent with the
    entry's INSERT (it gets the entry as written, before its hash and id are set). So a redemption
    holds its rows locked for two round trips and the COMMIT.
    `last`: the entry's INSERT ends the caller's writes (statements.run_last: it may carry the COMMIT)."""
    household_id = household if isinstance(household, int) else household.id
    actor_id = actor if actor is None or isinstance(actor, int) else actor.id
    _validate(points, kind, idempotency_key)
    db.session.flush()  # the SQL below must see what the caller added (a new household, its source row)
    delta = points
    if points < 0 and kind in CLAMPED_KINDS:
        existing = _existing(idempotency_key)  # before the clamp: a replay returns the first entry, not None
        if existing is not None:
            return _replay(existing, household_id, points, kind, source, reverses_id)
        delta = -min(-points, _locked_balance(household_id))
        if delta == 0:
            return None
    # everything known before the household row is locked is set now: the lock is held from the
    # balance UPDATE to the COMMIT, and on a busy kiosk the next redemption waits for it
    fields = dict(
        household_id=household_id, kind=kind, points=delta, requested_points=points,
        idempotency_key=idempotency_key,
        source_type=source.type if source else None, source_id=source.id if source else None,
        reverses_id=reverses_id, effective_date=effective_date or local_today(),
        actor_id=actor_id, note=note,
    )
    *_, applied = run_together([*locked_with, Statement(
        _APPLY_SQL, {"delta": delta, "hid": household_id, "key": idempotency_key,
                     "keeps_base": int(kind in KEEPS_BASE and delta < 0)})])
    if not applied:
        existing = _existing(idempotency_key)
        if existing is not None:
            if locked_with:  # the caller's statements ran for a post that is not new: undo it all
                raise IdempotencyConflict(key=idempotency_key)
            return _replay(existing, household_id, points, kind, source, reverses_id)
        if db.session.get(Household, household_id) is None:
            raise NotFound("没有这一户")
        raise InsufficientPoints(needed=-delta)
    return _write(fields, applied[0], then, last)


def post_moved(household_id: int, points: int, kind: str, source: Source, note: Optional[str],
               idempotency_key: str, moved: tuple, *, then: Optional[Callable[[Written], Sequence[Statement]]] = None,
               last: bool = False) -> Written:
    """The entry of a balance move the database already made in this transaction, under the
    household row's lock, with the conditions of post() (never below zero, sequence + 1): the
    redemption's PostgreSQL function (docs/decisions.md#redeem-function). `moved`: (balance_after,
    seq, prev_hash, site_id) as that UPDATE returned them. The HMAC is made here, with the key the
    database never sees; `then` and `last` as for post(). Returns the entry as written."""
    _validate(points, kind, idempotency_key)
    fields = dict(household_id=household_id, kind=kind, points=points, requested_points=points,
                  idempotency_key=idempotency_key, source_type=source.type, source_id=source.id, reverses_id=None,
                  effective_date=local_today(), actor_id=None, note=note)
    return _write(fields, moved, then, last)


def _write(fields: dict, moved, then, last: bool) -> Written:
    """The entry's INSERT and the household head's new hash, after its balance UPDATE returned `moved`."""
    fields["balance_after"], fields["seq"], fields["prev_hash"], fields["site_id"] = moved
    fields["created_at"] = utcnow()
    unsigned = Written(**fields)  # what the hash covers and `then` reads; the stored row adds hash and id
    fields["hash"] = entry_hash(canonical_fields(unsigned), ledger_key())
    signed = Written(**fields)
    # the month's total in the same send: it commits with the entry or not at all
    inserted, *_ = (run_last if last else run_together)([
        Statement(_INSERT_SQL, fields), *head_statements(signed), month_totals.statement(signed),
        *(then(unsigned) if then else ())])
    expire_written(Household, signed.household_id, ["balance", "ledger_seq", "ledger_hash", "head_sig"])
    return Written(id=inserted[0][0], **fields)


def head_statements(entry: Written) -> list[Statement]:
    """What the household row (the chain's head) keeps of its newest entry, set in the entry's round
    trip: the ONE place the head is updated after a balance move (post, post_moved)."""
    sig = head_signature(entry.household_id, entry.seq, entry.hash, entry.balance_after, ledger_key())
    return [Statement(_SET_HASH_SQL, {"hash": entry.hash, "sig": sig, "hid": entry.household_id})]


def reverse(entry, actor, reason: str) -> Optional[Written]:
    """Post the opposite of `entry` (a LedgerEntry or a Written); clamps when the points are already
    spent. Returns what post() returns."""
    if entry.kind in NOT_REVERSIBLE:
        raise LedgerRefused("兑换记录请用“作废兑换”处理;冲正记录不能再冲正")
    if not reason or not reason.strip():
        raise ValidationFailed("请填写冲正原因")
    return post(
        entry.household_id, -entry.points, "reversal", Source("ledger_entry", entry.id),
        actor, reason.strip(), f"reverse:{entry.id}",
        effective_date=entry.effective_date, reverses_id=entry.id,
    )


def balance_of(household_id: int) -> int:
    """Σ of a household's entries (the truth the cached balance must equal)."""
    total = db.session.execute(
        select(db.func.coalesce(db.func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.household_id == household_id
        )
    ).scalar_one()
    return int(total)


def _validate(points, kind, key) -> None:
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValidationFailed("积分必须是整数")
    if points == 0 or abs(points) > MAX_POINTS:
        raise ValidationFailed(POINTS_RANGE)
    if kind not in LEDGER_KINDS:
        raise ValidationFailed(f"未知的账目类型: {kind}")
    if not key or len(key) > 120:
        raise ValidationFailed("缺少幂等键")


def _existing(key: str) -> Optional[LedgerEntry]:
    entry_id = db.session.execute(_EXISTING_SQL, {"key": key}).scalar()  # plain SQL: most keys are new
    return None if entry_id is None else db.session.get(LedgerEntry, entry_id)


_EXISTING_SQL = text("SELECT id FROM ledger_entry WHERE idempotency_key = :key")


def _replay(existing, household_id, points, kind, source, reverses_id) -> Written:
    same = (
        existing.household_id == household_id
        and existing.requested_points == points
        and existing.kind == kind
        and existing.source_type == (source.type if source else None)
        and existing.source_id == (source.id if source else None)
        and existing.reverses_id == reverses_id
    )
    if not same:
        raise IdempotencyConflict(key=existing.idempotency_key)
    return Written(**{name: getattr(existing, name) for name in _ENTRY_FIELDS})


def _locked_balance(household_id: int) -> int:
    """Read the balance under the row lock (PostgreSQL FOR UPDATE; SQLite writes run
    inside BEGIN IMMEDIATE, which already excludes other writers)."""
    balance = db.session.execute(
        select(Household.balance).where(Household.id == household_id).with_for_update()
    ).scalar_one_or_none()
    if balance is None:
        raise NotFound("没有这一户")
    return balance


@event.listens_for(Session, "before_flush")
def _refuse_ledger_edits(session, flush_context, instances):
    """Append-only at the ORM level; database triggers cover Core and SQL text."""
    for obj in session.deleted:
        if isinstance(obj, LedgerEntry):
            raise LedgerRefused("账本记录不能删除,请用冲正")
    for obj in session.dirty:
        if isinstance(obj, LedgerEntry) and session.is_modified(obj):
            raise LedgerRefused("账本记录不能修改,请用冲正")
