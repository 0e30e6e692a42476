"""Anchors of the access log: the chain's head, kept where the database user cannot rewrite it.

The hash chain (see `hashchain`) proves that no row was changed in the middle; it cannot prove
that nothing was removed from the end, or that the whole log was not emptied, because the head
row lives in the same database. An anchor is a signed line — head `seq`, head hash, row count,
time — written outside the database: appended to a file opened with O_APPEND (make it
append-only with `chattr +a`), sent to syslog/journald, or downloaded by a log reviewer as a
checkpoint. `log verify` compares the database with the latest anchor: fewer rows, a different
hash at the anchored position, or a head behind the anchor is tampering.

The signature is HMAC-SHA256 with EGK_ACCESS_LOG_ANCHOR_KEY (else the chain key), domain
separated from the row hashes, so a line cannot be forged or altered without the key and a row
hash can never pass for an anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from egenkontroll.access.hashchain import GENESIS, Verification, chain_key
from egenkontroll.access.models import AccessLog, AccessLogHead

FILE_ENV = "EGK_ACCESS_LOG_ANCHOR_FILE"
SYSLOG_ENV = "EGK_ACCESS_LOG_ANCHOR_SYSLOG"
KEY_ENV = "EGK_ACCESS_LOG_ANCHOR_KEY"
FORMAT = "egenkontroll-anchor-v1"
MAX_LINE = 4096  # an anchor line is about 300 bytes; longer lines are not anchors


class AnchorError(ValueError):
    """The anchor file or checkpoint cannot be used (missing, unreadable, forged)."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    rows: int
    at: str
    source: str = "kommandorad"

    def payload(self) -> dict:
        return {"format": FORMAT, **asdict(self)}


def anchor_key() -> bytes:
    own = os.environ.get(KEY_ENV)
    return own.encode("utf-8") if own else hmac.new(chain_key(), FORMAT.encode(), hashlib.sha256).digest()


def _signature(payload: dict, key: bytes) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_line(anchor: Anchor, key: bytes | None = None) -> str:
    """One JSON line: the anchor's fields and their signature."""
    payload = anchor.payload()
    payload["signature"] = _signature(anchor.payload(), anchor_key() if key is None else key)
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


def current(using: str = "default", source: str = "kommandorad") -> Anchor:
    """The head of the chain now, with the number of rows in the table."""
    head = AccessLogHead.objects.using(using).filter(pk=1).first()
    return Anchor(
        seq=head.seq if head else 0,
        hash=head.hash if head else GENESIS,
        rows=AccessLog.objects.using(using).count(),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        source=source,
    )


def append_to_file(line: str, path: str | Path) -> None:
    """Append with O_APPEND (the only mode `chattr +a` allows) and fsync, so no line is half written."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def send_to_syslog(line: str) -> None:
    """One line to the local syslog (journald on systemd machines), facility AUTHPRIV."""
    import syslog

    syslog.openlog("egenkontroll-logankare", 0, syslog.LOG_AUTHPRIV)
    try:
        syslog.syslog(syslog.LOG_NOTICE, line)
    finally:
        syslog.closelog()


def parse(line: str, key: bytes | None = None) -> Anchor:
    """An anchor from one signed line; AnchorError when it is not one or its signature fails."""
    if len(line) > MAX_LINE:
        raise AnchorError("raden är för lång för att vara ett ankare")
    try:
        data = json.loads(line)
        signature = data.pop("signature")
        if data.pop("format") != FORMAT:
            raise AnchorError("okänt ankarformat")
        anchor = Anchor(seq=int(data["seq"]), hash=str(data["hash"]), rows=int(data["rows"]), at=str(data["at"]),
                        source=str(data.get("source", "")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnchorError("raden är inte ett ankare") from exc
    expected = _signature(anchor.payload(), anchor_key() if key is None else key)
    if not hmac.compare_digest(expected, str(signature)):
        raise AnchorError("ankarets signatur stämmer inte (förfalskat, ändrat eller fel nyckel)")
    return anchor


def latest(path: str | Path, key: bytes | None = None) -> Anchor:
    """The last anchor of a file (an anchor file or a downloaded checkpoint).

    Every non-empty line must be a valid signed anchor: a forged or damaged line anywhere is an
    error, not something to skip, since skipping would let an attacker hide the true latest one.
    The latest is the one with the highest seq (lines are appended in order, but a checkpoint may
    be appended by hand).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AnchorError(f"ankarfilen {path} finns inte") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"ankarfilen {path} kan inte läsas: {exc.__class__.__name__}") from exc
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                anchors.append(parse(line.strip(), key))
            except AnchorError as exc:
                raise AnchorError(f"{path} rad {number}: {exc}") from exc
    if not anchors:
        raise AnchorError(f"ankarfilen {path} innehåller inget ankare")
    return max(anchors, key=lambda a: (a.seq, a.rows))


def check(anchor: Anchor, result: Verification, using: str = "default") -> list[str]:
    """What in the database contradicts the anchor (empty: the log has only grown since)."""
    found = []
    when = f"ankaret {anchor.at} (seq={anchor.seq}, {anchor.rows} rader)"
    if result.rows < anchor.rows:
        found.append(f"loggen har {result.rows} rader, färre än {anchor.rows} vid {when}: rader är borttagna")
    if result.head_seq < anchor.seq:
        found.append(f"huvudraden pekar på seq={result.head_seq}, före {when}: loggens slut är omskrivet")
    if anchor.seq:
        at_anchor = AccessLog.objects.using(using).filter(seq=anchor.seq).values_list("hash", flat=True).first()
        if at_anchor is None:
            found.append(f"raden seq={anchor.seq} från {when} saknas")
        elif not hmac.compare_digest(at_anchor, anchor.hash):
            found.append(f"raden seq={anchor.seq} har en annan hash än vid {when}: loggen är omskriven")
    return found
