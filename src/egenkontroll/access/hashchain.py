"""The access log's hash chain: append a row, and verify that no row was altered, removed or inserted.

Each row's `hash` is HMAC-SHA256 over a canonical JSON form of the row, which includes its
sequence number and the previous row's hash. Changing a row breaks its own hash; removing or
inserting one breaks the sequence and the next row's `prev_hash`; cutting off the tail leaves the
head row (`AccessLogHead`) pointing past the end. The key is EGK_ACCESS_LOG_KEY, or the Django
SECRET_KEY when that is not set, so someone with write access to the database alone cannot
re-forge the chain. (An attacker with both the database and the key can, and anyone with the
database can empty it or cut its tail and rewrite the head; `anchor` keeps the head outside the
database, and `log verify` compares against it.)

Writers are serialised on the head row: the head is updated first, which takes the row lock on
PostgreSQL and the write lock on SQLite, so two requests can never chain onto the same row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F

from egenkontroll.access.models import AccessLog, AccessLogBase, AccessLogCase, AccessLogHead

KEY_ENV = "EGK_ACCESS_LOG_KEY"
GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "user_id", "username", "roles", "action", "page", "case_ids", "detail", "client")


def chain_key() -> bytes:
    return (os.environ.get(KEY_ENV) or settings.SECRET_KEY).encode("utf-8")


def uses_development_key() -> bool:
    """True when the chain would be signed with the public built-in key (no EGK_ACCESS_LOG_KEY or
    EGK_SECRET_KEY): anyone could then re-forge it, so real logs must never be written with it."""
    development = getattr(settings, "EGK_DEVELOPMENT_SECRET_KEY", None)
    return not os.environ.get(KEY_ENV) and settings.SECRET_KEY == development


def canonical(row: dict) -> bytes:
    """The bytes that are hashed: the hashed fields and prev_hash, as sorted compact JSON."""
    values = {name: row[name] for name in HASHED_FIELDS}
    values["at"] = row["at"].astimezone(UTC).isoformat(timespec="microseconds")
    values["prev_hash"] = row["prev_hash"]
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_hash(row: dict, key: bytes) -> str:
    return hmac.new(key, canonical(row), hashlib.sha256).hexdigest()


def append(
    *,
    user_id: int | None,
    username: str,
    roles: str,
    action: str,
    page: str,
    case_ids: Iterable[str],
    detail: str,
    client: str,
) -> AccessLog:
    """Append one row to the chain (inside its own transaction, or the caller's)."""
    ids = sorted({str(c) for c in case_ids})
    with transaction.atomic():
        head = _locked_head()
        row = {
            "seq": head.seq + 1,
            "at": datetime.now(UTC),
            "user_id": user_id,
            "username": username,
            "roles": roles,
            "action": action,
            "page": page,
            "case_ids": json.dumps(ids, ensure_ascii=False),
            "detail": detail,
            "client": client,
            "prev_hash": head.hash,
        }
        row["hash"] = row_hash(row, chain_key())
        entry = AccessLog(case_count=len(ids), **row)
        entry.save()
        AccessLogCase.objects.bulk_create([AccessLogCase(entry=entry, case_id=c) for c in ids])
        AccessLogHead.objects.filter(pk=head.pk).update(seq=row["seq"], hash=row["hash"])
    return entry


def _locked_head() -> AccessLogHead:
    """The head row, after an UPDATE that takes the lock every writer waits on."""
    if AccessLogHead.objects.filter(pk=1).update(seq=F("seq")) == 0:
        AccessLogHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
    return AccessLogHead.objects.select_for_update().get(pk=1)


@dataclass(frozen=True)
class Problem:
    seq: int | None
    row_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"rad seq={self.seq} (id={self.row_id})" if self.row_id is not None else "loggens slut"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Verification:
    rows: int
    head_seq: int
    head_hash: str
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(using: str = "default", key: bytes | None = None, limit: int = 50) -> Verification:
    """Walk the whole chain in sequence order; report up to `limit` problems."""
    key = chain_key() if key is None else key
    problems: list[Problem] = []
    index = _case_index(using)
    expected_seq, prev = start(using)
    rows = 0
    fields = [*HASHED_FIELDS, "id", "prev_hash", "hash", "case_count"]
    for row in AccessLog.objects.using(using).order_by("seq", "id").values(*fields).iterator(chunk_size=2000):
        rows += 1
        problems += _check_row(row, expected_seq, prev, key, index.pop(row["id"], []))
        expected_seq, prev = row["seq"] + 1, row["hash"]
        if len(problems) >= limit:
            break
    else:
        problems += [Problem(None, None, f"indexrader för poster som saknas: id {sorted(index)[:10]}")] if index else []
        problems += _check_head(using, expected_seq - 1, prev)
    head = AccessLogHead.objects.using(using).filter(pk=1).first()
    return Verification(rows, head.seq if head else 0, head.hash if head else GENESIS, problems[:limit])


def start(using: str = "default") -> tuple[int, str]:
    """The first seq expected and the hash it chains onto: after the newest gallring base, else 1 and genesis."""
    base = AccessLogBase.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
    return (base[0] + 1, base[1]) if base else (1, GENESIS)


def _case_index(using: str) -> dict[int, list[str]]:
    index: dict[int, list[str]] = {}
    for entry_id, case_id in AccessLogCase.objects.using(using).values_list("entry_id", "case_id").iterator(chunk_size=5000):
        index.setdefault(entry_id, []).append(case_id)
    return index


def _check_row(row: dict, expected_seq: int, prev: str, key: bytes, indexed: list[str]) -> list[Problem]:
    found = []
    at = (row["seq"], row["id"])
    if row["seq"] != expected_seq:
        gap = "saknas" if row["seq"] > expected_seq else "dubblerad eller infogad"
        found.append(Problem(*at, f"väntade seq={expected_seq}, fann {row['seq']} (rad {gap})"))
    if row["prev_hash"] != prev:
        found.append(Problem(*at, "prev_hash pekar inte på föregående rad (rad borttagen eller infogad)"))
    if not hmac.compare_digest(row_hash(row, key), row["hash"]):
        found.append(Problem(*at, "innehållet stämmer inte med hashen (raden är ändrad, eller fel nyckel)"))
    try:
        logged = json.loads(row["case_ids"])
    except ValueError:
        logged = None
    if logged is None or sorted(indexed) != logged or row["case_count"] != len(logged):
        found.append(Problem(*at, "ärendeindexet stämmer inte med raden"))
    return found


def _check_head(using: str, last_seq: int, last_hash: str) -> list[Problem]:
    head = AccessLogHead.objects.using(using).filter(pk=1).first()
    if head is None:
        return [Problem(None, None, "huvudraden saknas")] if last_seq else []
    if head.seq != last_seq or head.hash != last_hash:
        return [Problem(None, None, f"huvudraden pekar på seq={head.seq}, sista raden är seq={last_seq} (rader borttagna i slutet?)")]
    return []
