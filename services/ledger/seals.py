"""Ledger seals: an anchor outside the database (docs/decisions.md#ledger-seals).

A seal is a Merkle tree over every household's signed chain head (leaves in household id order; one
tree per site, and the county tree over the site roots), HMAC-signed with the ledger key, with the
time and counts. It is stored in the append-only `ledger_seal` table AND written as a JSON file
outside the database; its short code (the first 16 hex of the county root, grouped 3F9A-1C07-…) is
printed on the documents people keep. verify(seal=load_seal(path)) checks that the ledger extends it.
"""
import hashlib
import hmac
import json
import os
from datetime import datetime
from itertools import groupby

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Household, LedgerSeal
from models.clock import to_local, utcnow
from services.errors import DomainError
from services.ledger import head_signature, ledger_key

VERSION = 1
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
#: a head in the seal: [household_id, site_id, seq, hash, balance, head_sig]
HEAD_FIELDS = ("household_id", "site_id", "seq", "hash", "balance", "sig")


class SealRefused(DomainError):
    code = "seal_refused"
    status = 400
    message = "账本封存文件无效"


# ---------------------------------------------------------------- the Merkle tree
def leaf_hash(head) -> bytes:
    """A household's leaf: SHA-256 of 0x00 and its signed head as canonical JSON."""
    return hashlib.sha256(b"\x00" + _CANONICAL.encode(dict(zip(HEAD_FIELDS, head))).encode()).digest()


def site_leaf(site_id: int, root: bytes) -> bytes:
    """A site's leaf in the county tree: SHA-256 of 0x02, its id and its root."""
    return hashlib.sha256(b"\x02" + str(site_id).encode() + b":" + root).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """The tree bottom-up; an odd node at the end of a level goes up as it is. Empty: one empty hash."""
    levels = [list(leaves) or [hashlib.sha256(b"").digest()]]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                       for i in range(0, len(level), 2)])
    return levels


def path_of(levels: list[list[bytes]], index: int) -> list[list[str]]:
    """The sibling hashes from leaf `index` up to the root: [["L" or "R", hex], …]."""
    path = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(["L" if sibling < index else "R", level[sibling].hex()])
        index //= 2
    return path


def climb(leaf: bytes, path) -> bytes:
    """The root a leaf and its path lead to."""
    node = leaf
    for side, sibling in path:
        node = _node(bytes.fromhex(sibling), node) if side == "L" else _node(node, bytes.fromhex(sibling))
    return node


def short_code(root_hex: str) -> str:
    """3f9a1c07… -> 3F9A-1C07-88B2-0D4E (what the documents print)."""
    head = root_hex[:16].upper()
    return "-".join(head[i:i + 4] for i in range(0, 16, 4))


def _trees(heads: list[list]):
    """(site trees {site_id: levels}, county levels, site ids in order) of heads in household id order."""
    by_site = sorted(heads, key=lambda h: (h[1], h[0]))
    sites = {site_id: tree_levels([leaf_hash(h) for h in group])
             for site_id, group in groupby(by_site, key=lambda h: h[1])}
    order = sorted(sites)
    county = tree_levels([site_leaf(s, sites[s][-1][0]) for s in order])
    return sites, county, order


# ---------------------------------------------------------------- making a seal
def current_heads() -> list[list]:
    """Every household's head, in id order, as HEAD_FIELDS lists."""
    rows = db.session.execute(select(
        Household.id, Household.site_id, Household.ledger_seq, Household.ledger_hash, Household.balance,
        Household.head_sig).order_by(Household.id))
    return [list(row) for row in rows]


def make_seal() -> LedgerSeal:
    """Seal the ledger as it is now: the row is added (flushed) and the signed document is written to the
    seal folder. Refuses (SealRefused) when a head's signature is wrong: a seal must not bless a head
    someone set by hand."""
    key = ledger_key()
    heads = current_heads()
    forged = [h[0] for h in heads if h[5] != head_signature(h[0], h[2], h[3], h[4], key)]
    if forged:
        raise SealRefused(f"这些户的账本头签名不对,不能封存,请先运行账本校验:{', '.join(map(str, forged[:20]))}")
    sites, county, order = _trees(heads)
    root = county[-1][0].hex()
    now = utcnow()
    body = {
        "version": VERSION, "created_at": now.isoformat(timespec="seconds") + "Z",
        "households": len(heads), "entries": sum(h[2] for h in heads), "balance": sum(h[4] for h in heads),
        "root": root, "code": short_code(root),
        "sites": [{"site_id": s, "households": len(sites[s][0]), "root": sites[s][-1][0].hex()}
                  for s in order],
        "heads": heads,
    }
    document = {**body, "signature": _sign(body, key)}
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    row = LedgerSeal(created_at=now, code=body["code"], root=root, households=len(heads),
                     entries=body["entries"], document=text)
    db.session.add(row)
    db.session.flush()
    _write_file(text, now, body["code"])
    return row


def _sign(body: dict, key: bytes) -> str:
    return hmac.digest(key, ("seal:" + _CANONICAL.encode(body)).encode(), "sha256").hex()


def seal_folder() -> str:
    return current_app.config.get("SEAL_FOLDER") or os.path.join(current_app.instance_path, "seals")


def _write_file(text: str, moment: datetime, code: str) -> str:
    """Write atomically (a temporary file renamed into place), readable by the owner only."""
    folder = seal_folder()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, f"seal-{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{code}.json")
    temporary = path + ".tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return path


# ---------------------------------------------------------------- reading a seal
def latest_seal_file() -> str | None:
    """The newest seal file in the seal folder (names sort by time), or None."""
    folder = seal_folder()
    if not os.path.isdir(folder):
        return None
    names = sorted(n for n in os.listdir(folder) if n.startswith("seal-") and n.endswith(".json"))
    return os.path.join(folder, names[-1]) if names else None


def latest_seal() -> LedgerSeal | None:
    """The newest seal in the database (what documents print)."""
    return db.session.execute(select(LedgerSeal).order_by(LedgerSeal.id.desc()).limit(1)).scalar_one_or_none()


def seal_line() -> str:
    """The line a printed document carries, e.g. 账本封存码 3F9A-1C07-88B2-0D4E(2026-12-07 00:05)."""
    seal = latest_seal()
    if seal is None:
        return "账本封存码:尚未封存"
    return f"账本封存码 {seal.code}({to_local(seal.created_at).strftime('%Y-%m-%d %H:%M')})"


def load_seal(path: str) -> dict:
    """Read a seal file and check it: JSON, version, signature, and roots that match its heads.
    Raises SealRefused (with the reason in Chinese) for anything else."""
    try:
        with open(path, encoding="utf-8") as source:
            document = json.load(source)
    except OSError as exc:
        raise SealRefused(f"读不到封存文件:{path}({exc.strerror})") from exc
    except ValueError as exc:
        raise SealRefused("封存文件不是有效的 JSON") from exc
    return check_document(document)


def check_document(document) -> dict:
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise SealRefused("封存文件格式不对")
    body = {k: v for k, v in document.items() if k != "signature"}
    if not hmac.compare_digest(str(document.get("signature", "")), _sign(body, ledger_key())):
        raise SealRefused("封存文件签名不对:文件被改动过,或不是用本系统的账本密钥封存的")
    sites, county, order = _trees(document["heads"])
    if county[-1][0].hex() != document["root"] or short_code(document["root"]) != document["code"]:
        raise SealRefused("封存文件的根哈希与其中的账本头不符")
    return document


# ---------------------------------------------------------------- a household's proof
def prove(household_id: int, document: dict) -> dict:
    """A household's Merkle proof in a seal: its sealed head, the path to its site root and the path from
    the site to the county root. Raises SealRefused when the household is not in the seal."""
    heads = document["heads"]
    head = next((h for h in heads if h[0] == household_id), None)
    if head is None:
        raise SealRefused(f"户 {household_id} 不在这次封存里")
    sites, county, order = _trees(heads)
    members = [h[0] for h in sorted(heads, key=lambda h: h[0]) if h[1] == head[1]]
    site_levels = sites[head[1]]
    return {
        "code": document["code"], "sealed_at": document["created_at"], "root": document["root"],
        "head": dict(zip(HEAD_FIELDS, head)),
        "site_path": path_of(site_levels, members.index(household_id)),
        "site_root": site_levels[-1][0].hex(),
        "county_path": path_of(county, order.index(head[1])),
    }


def check_proof(proof: dict) -> bool:
    """Does the proof lead from the household's head to the county root it names (and its code)?"""
    head = [proof["head"][name] for name in HEAD_FIELDS]
    site_root = climb(leaf_hash(head), proof["site_path"])
    root = climb(site_leaf(head[1], site_root), proof["county_path"]).hex()
    return site_root.hex() == proof["site_root"] and root == proof["root"] and short_code(root) == proof["code"]


def format_proof(proof: dict) -> list[str]:
    """The proof as lines of text (the CLI and the passbook print these)."""
    head = proof["head"]
    sealed_at = to_local(datetime.fromisoformat(proof["sealed_at"].rstrip("Z")))
    lines = [f"封存码 {proof['code']}  封存时间 {sealed_at:%Y-%m-%d %H:%M:%S}",
             f"户 {head['household_id']} 安置点 {head['site_id']} 第 {head['seq']} 条 余额 {head['balance']}",
             f"末条哈希 {head['hash']}", f"账本头签名 {head['sig']}"]
    lines += [f"安置点路径 {side} {sibling}" for side, sibling in proof["site_path"]]
    lines.append(f"安置点根 {proof['site_root']}")
    lines += [f"全县路径 {side} {sibling}" for side, sibling in proof["county_path"]]
    lines.append(f"全县根 {proof['root']}")
    return lines
