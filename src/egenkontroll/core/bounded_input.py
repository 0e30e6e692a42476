"""Bytes of an export, read in chunks under the import's limits (core/import_limits.py).

Nothing here holds a whole file to find out that it is too big: a zip's directory is judged
before Python parses it, each member's declared sizes before it is opened, and every chunk
as it is unpacked (the declared sizes may lie). A damaged or encrypted member, a bad
checksum or a broken deflate stream is an `InterchangeError` naming the file and the cause,
never a traceback.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from egenkontroll.core.import_limits import RATIO_FLOOR_BYTES, ImportLimits

CHUNK_BYTES = 1 << 20
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME_CHARS = 120
# The least a central-directory entry takes, and a generous most for one of an export's.
_MIN_ENTRY_BYTES, _MAX_ENTRY_BYTES = 46, 4096


class InterchangeError(Exception):
    """The dataset as a whole cannot be read (missing file or column, unreadable container, a limit passed).

    The message is Swedish and names the file and column; it never contains cell values.
    """


def printable(name: str) -> str:
    """A file, sheet or column name fit for a message: control characters shown as `?`, cut when long."""
    name = _CONTROL.sub("?", name)
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "…"


class Budget:
    """The bytes a whole dataset may still unpack; shared by every file read for it."""

    def __init__(self, limits: ImportLimits) -> None:
        self.limits = limits
        self.read = 0

    def take(self, n: int, label: str) -> None:
        self.read += n
        if self.read > self.limits.max_unpacked_bytes:
            raise InterchangeError(
                f"{label}: datasetet är för stort uppackat (mer än {_size(self.limits.max_unpacked_bytes)}; "
                "gränsen EGK_IMPORT_MAX_UNPACKED_BYTES)"
            )


def file_chunks(path: Path, budget: Budget) -> Iterator[bytes]:
    """The bytes of a plain file, chunk by chunk, within the per-file and total limits."""
    label = printable(path.name)
    _check_file_size(path.stat().st_size, label, budget.limits)
    read = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            read += len(chunk)
            _check_file_size(read, label, budget.limits)
            budget.take(len(chunk), label)
            yield chunk


def open_zip(path: Path, limits: ImportLimits, what: str = "zip-filen") -> zipfile.ZipFile:
    """The archive, once its directory and every member's declared sizes are within the limits."""
    label = printable(path.name)
    if path.stat().st_size > limits.max_unpacked_bytes:
        raise InterchangeError(f"{label}: filen är större än {_size(limits.max_unpacked_bytes)} "
                               "(gränsen EGK_IMPORT_MAX_UNPACKED_BYTES)")
    entries, directory_bytes = _directory_size(path, label, what)
    if entries > limits.max_members or directory_bytes > limits.max_members * _MAX_ENTRY_BYTES:
        raise InterchangeError(f"{label}: {what} har fler än {limits.max_members} filer (gränsen EGK_IMPORT_MAX_MEMBERS)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InterchangeError(f"{label}: {what} kan inte läsas (skadad eller inte en zip-fil)") from exc
    try:
        _check_members(archive, label, limits, what)
    except InterchangeError:
        archive.close()
        raise
    return archive


def member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, label: str) -> Iterator[bytes]:
    """A member's unpacked bytes, chunk by chunk; aborts as soon as a limit is passed."""
    limits = budget.limits
    name = f"{label}: {printable(info.filename)}"
    read = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK_BYTES):
                read += len(chunk)
                _check_file_size(read, name, limits)
                _check_ratio(read, info.compress_size, name, limits)
                budget.take(len(chunk), name)
                yield chunk
    except zipfile.BadZipFile as exc:
        raise InterchangeError(f"{name}: filen i arkivet är skadad (kontrollsumman stämmer inte)") from exc
    except (zlib.error, EOFError) as exc:
        raise InterchangeError(f"{name}: filen i arkivet är skadad (de packade data kan inte packas upp)") from exc
    except RuntimeError as exc:  # zipfile: a password is required
        raise InterchangeError(f"{name}: filen i arkivet är krypterad") from exc
    except NotImplementedError as exc:
        raise InterchangeError(f"{name}: filen i arkivet är packad med en metod som inte stöds") from exc
    except OSError as exc:
        raise InterchangeError(f"{name}: filen i arkivet kan inte läsas") from exc


def unsafe_member_name(name: str) -> bool:
    """An absolute path, a drive, a `..` step or a control character: never written by an export."""
    if _CONTROL.search(name) or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return True
    path = PurePosixPath(name)
    return path.is_absolute() or ".." in path.parts


def _check_members(archive: zipfile.ZipFile, label: str, limits: ImportLimits, what: str) -> None:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise InterchangeError(f"{label}: {what} har fler än {limits.max_members} filer (gränsen EGK_IMPORT_MAX_MEMBERS)")
    for info in infos:
        if unsafe_member_name(info.filename):
            raise InterchangeError(
                f"{label}: {what} innehåller en otillåten sökväg ({printable(info.filename)}): "
                "absolut, med .. eller med styrtecken"
            )
        name = f"{label}: {printable(info.filename)}"
        _check_file_size(info.file_size, name, limits)
        _check_ratio(info.file_size, info.compress_size, name, limits)
    if sum(info.file_size for info in infos) > limits.max_unpacked_bytes:
        raise InterchangeError(
            f"{label}: {what} är för stor uppackad (mer än {_size(limits.max_unpacked_bytes)}; "
            "gränsen EGK_IMPORT_MAX_UNPACKED_BYTES)"
        )


def _check_file_size(size: int, name: str, limits: ImportLimits) -> None:
    if size > limits.max_file_bytes:
        raise InterchangeError(
            f"{name}: filen är för stor (mer än {_size(limits.max_file_bytes)}; gränsen EGK_IMPORT_MAX_FILE_BYTES)"
        )


def _check_ratio(unpacked: int, packed: int, name: str, limits: ImportLimits) -> None:
    if unpacked > RATIO_FLOOR_BYTES and unpacked > limits.max_ratio * max(packed, 1):
        raise InterchangeError(
            f"{name}: filen packas upp mer än {limits.max_ratio} gånger sin packade storlek "
            "(en zip-bomb?; gränsen EGK_IMPORT_MAX_RATIO)"
        )


def _directory_size(path: Path, label: str, what: str) -> tuple[int, int]:
    """(entries, bytes) of the central directory, read from its end record before zipfile parses it."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        tail_start = max(0, size - (22 + 65535 + 20))
        handle.seek(tail_start)
        tail = handle.read()
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise InterchangeError(f"{label}: {what} kan inte läsas (skadad eller inte en zip-fil)")
        entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
        if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF:
            return entries, directory_bytes
        locator = tail.rfind(_EOCD64_LOCATOR, 0, at)
        if locator < 0 or at - locator < 20:
            raise InterchangeError(f"{label}: {what} kan inte läsas (skadad zip64-katalog)")
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        handle.seek(offset)
        record = handle.read(56)
    if len(record) < 56 or record[:4] != _EOCD64:
        raise InterchangeError(f"{label}: {what} kan inte läsas (skadad zip64-katalog)")
    entries64, directory64 = struct.unpack("<QQ", record[32:48])
    return entries64, directory64


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} byte"
