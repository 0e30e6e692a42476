"""Back up the whole database to one file, and restore such a file into a new, empty database.

Why a command and not only a paragraph of documentation: a municipality's IT needs one way that
is tested to give back identical pages and a verifying access log. SQLite is copied with its
online backup API, which gives a consistent snapshot while the server is writing (a plain copy of
a WAL database may not); PostgreSQL with `pg_dump --format=custom`, restored with `pg_restore`.

What a backup does NOT hold, on purpose: the pseudonym key and the access-log key. They live
outside the database (docs/backup.md says how to keep them): without the pseudonym key a new
import no longer matches the persons already stored, and without the access-log key the log
cannot be verified.

Each backup gets a sidecar `FILE.json` (what, when, from which kind of database, its SHA-256),
checked before a restore so a truncated or swapped file is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from egenkontroll.web.env import database_from_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
PG_TOOL_TIMEOUT = 3 * 60 * 60  # seconds; a national database dumps in minutes, a hung tool must end


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line, in Swedish."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str
    size: int
    sha256: str


def _kind(url: str) -> tuple[str, dict]:
    try:
        settings = database_from_url(url)
    except ValueError as exc:
        raise BackupError(str(exc)) from exc
    return ("sqlite" if settings["ENGINE"].endswith("sqlite3") else "postgresql"), settings


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _pg_tool(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise BackupError(f"{tool} finns inte på datorn: installera PostgreSQL-klienten (Debian: postgresql-client)")
    return found


def _run_pg_tool(args: list[str]) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{Path(args[0]).name} avbröts efter {PG_TOOL_TIMEOUT} s") from exc
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["okänt fel"])[0]
        raise BackupError(f"{Path(args[0]).name} misslyckades: {first}")


def backup(url: str, target: Path) -> BackupInfo:
    """Write a consistent copy of the database at `url` to `target` (which must not exist)."""
    kind, settings = _kind(url)
    target = Path(target)
    if target.exists():
        raise BackupError(f"filen finns redan: {target} (en säkerhetskopia skrivs aldrig över)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".delvis")
    partial.unlink(missing_ok=True)
    if kind == "sqlite":
        source_path = Path(settings["NAME"])
        if not source_path.is_file():
            raise BackupError(f"databasfilen finns inte: {source_path}")
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run_pg_tool([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                      f"--file={partial}", f"--dbname={url}"])
    partial.chmod(0o600)
    partial.rename(target)
    info = BackupInfo(target, kind, target.stat().st_size, _digest(target))
    _sidecar(target).write_text(json.dumps({
        "format": "egenkontroll-backup/1",
        "database": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bytes": info.size,
        "sha256": info.sha256,
    }, indent=2) + "\n", encoding="utf-8")
    return info


def _checked_kind(source: Path) -> str:
    if not source.is_file():
        raise BackupError(f"säkerhetskopian finns inte: {source}")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    kind = "sqlite" if head == SQLITE_MAGIC else "postgresql" if head.startswith(PG_MAGIC) else None
    if kind is None:
        raise BackupError(f"{source.name} är ingen säkerhetskopia från Egenkontroll (okänt filformat)")
    sidecar = _sidecar(source)
    if sidecar.is_file():
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
        if recorded.get("sha256") != _digest(source):
            raise BackupError(f"{source.name} stämmer inte med {sidecar.name} (kontrollsumman skiljer): filen är skadad")
    return kind


def _require_empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    if tables:
        raise BackupError("måldatabasen är inte tom: återställ till en ny, tom databas")


def restore(source: Path, url: str) -> str:
    """Restore the backup `source` into the empty database at `url`; returns the database kind."""
    source = Path(source)
    kind = _checked_kind(source)
    target_kind, settings = _kind(url)
    if kind != target_kind:
        raise BackupError(f"säkerhetskopian är från {kind} men måldatabasen är {target_kind}")
    if kind == "sqlite":
        target = Path(settings["NAME"])
        if target.exists() and target.stat().st_size:
            raise BackupError(f"databasfilen finns redan: {target} (återställ till en ny fil)")
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        restored = sqlite3.connect(target)
        try:
            copy.backup(restored)
            if restored.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"den återställda databasen {target} klarar inte integritetskontrollen")
        finally:
            restored.close()
            copy.close()
        target.chmod(0o600)
    else:
        _require_empty_postgres(url)
        _run_pg_tool([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                      "--single-transaction", f"--dbname={url}", str(source)])
    return kind
