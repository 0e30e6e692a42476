"""One CSV file's bytes, streamed once: empty lines dropped as they pass, rows counted, damage noticed.

A file of 200 MB of empty lines (packed to 200 kB) used to be handed whole to the CSV parser,
which made a row of every line and took the machine's memory. Here the bytes go by chunk:
line endings become LF, lines holding nothing but spaces and separators outside quotes are
counted and dropped (their row numbers are kept, so rejects still name the spreadsheet's
rows), data rows and columns are counted against the limits, and a last row cut off in the
middle (no line break, fewer fields than the header) is marked. What remains is parsed by
polars as before; its row count must agree with the one counted here.

Quotes are followed by parity (each `"` flips inside/outside, so `""` inside a field changes
nothing): that is how RFC 4180 quotes, and a file polars can parse never disagrees.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from egenkontroll.core.bounded_input import InterchangeError
from egenkontroll.core.import_limits import ImportLimits

BOM = b"\xef\xbb\xbf"
# One row (a line, or the lines of a quoted field) longer than this stops the file: far above
# any real row (a 5 MB value is still read, and rejected by its column's length limit).
MAX_RECORD_BYTES = 64 * 1024**2
# A file scanned for reading in parts (interchange.read_dataset's events.csv) is kept as the
# scan's pieces, with a cut where a record ends outside quotes about every PART_BYTES: each
# part is parsed, checked and typed in turn and its bytes freed (issue 19: a national export
# held whole, parsed whole and copied as strings peaked at 4.5 GB).
PART_BYTES = 16 * 1024**2
# Smaller files are read whole: there the parts' own copies cost more than they save (a city's
# 70 MB events.csv peaked some 60–100 MB higher in parts; a national 765 MB one 1 GB lower).
PARTS_FROM_BYTES = 128 * 1024**2
SEPARATORS = (",", ";", "\t")


@dataclass
class CsvText:
    """What the scan kept: UTF-8-or-not bytes with LF endings, the header first, no empty lines."""

    data: bytes
    utf8: bool
    bom: bool
    sha256: str
    separator: str
    records: int  # data records kept (the header not counted)
    cut_row: int | None  # the source row of a last row cut off in the middle
    # (index of the first kept record after a run of dropped lines, lines dropped so far)
    jumps: list[tuple[int, int]] = field(default_factory=list)
    # Scanned for parts (`scan_csv(part_bytes=…)`): `data` is empty and the bytes are these
    # pieces (the header record's first); `cuts` are (pieces, records) where a part may end.
    pieces: list[bytes | None] | None = None
    cuts: list[tuple[int, int]] = field(default_factory=list)
    header_pieces: int = 0

    def join(self) -> None:
        """Hold the pieces as one `data` (a file read whole after all)."""
        if self.pieces is not None:
            self.data, self.pieces, self.cuts = b"".join(self.pieces), None, []

    def size(self) -> int:
        """Bytes kept."""
        return len(self.data) if self.pieces is None else sum(len(p) for p in self.pieces if p is not None)

    def header(self) -> bytes:
        """The header record's bytes (of a file scanned for parts)."""
        return b"".join(self.pieces[: self.header_pieces])

    def parts(self) -> list[tuple[int, int, int, int]]:
        """(first piece, end piece, index of the first data record, data records) of each part.

        The first part starts with the header record. `take` hands out a part's bytes.
        """
        bounds = [(0, 0)]
        for cut, records in [*self.cuts, (len(self.pieces), self.records)]:
            if cut > bounds[-1][0] and records > bounds[-1][1]:
                bounds.append((cut, records))
        if bounds[-1][0] < len(self.pieces):  # pieces after the last whole record (an open quote): kept
            bounds[-1] = (len(self.pieces), bounds[-1][1])
        return [(a, b, first, end - first) for (a, first), (b, end) in zip(bounds, bounds[1:], strict=False)]

    def take(self, start: int, end: int) -> bytes:
        """The bytes of pieces `start:end`, which are dropped: the kept bytes shrink as parts are read."""
        part = b"".join(self.pieces[start:end])
        self.pieces[start:end] = [None] * (end - start)
        return part

    def row_numbers(self, n: int) -> pl.Series:
        """Source row numbers (header = 1) of the `n` kept data records, in order."""
        if n != self.records:
            raise InterchangeError("raderna kunde inte räknas entydigt (citattecken som inte går jämnt upp)")
        offsets = np.zeros(n + 1, dtype=np.int64)
        for index, skipped in self.jumps:
            offsets[index] = skipped
        offsets = np.maximum.accumulate(offsets)[:n]
        return pl.Series(np.arange(2, n + 2, dtype=np.int64) + offsets, dtype=pl.Int64)


class _Scanner:
    def __init__(self, label: str, limits: ImportLimits, part_bytes: int | None = None) -> None:
        self.label, self.limits = label, limits
        self.part_bytes = part_bytes
        self.size = 0  # bytes kept so far (only counted for parts)
        self.cut_size = 0
        self.cuts: list[tuple[int, int]] = []
        self.header_pieces = 0
        self.kept: list[bytes] = []
        self.pending = b""
        self.held_cr = False
        self.in_quotes = False
        self.quoted_bytes = 0
        self.header_done = False
        self.header_fields = 0
        self.separator = ","
        self.blank_lead: re.Pattern[bytes] | None = None
        self.blank_runs: re.Pattern[bytes] | None = None
        self.records = 0
        self.skipped = 0
        self.jumps: list[tuple[int, int]] = []
        self.started = False
        self.bom = False
        self.digest = hashlib.sha256()
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.utf8 = True

    def feed(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        if not self.started:
            self.started = True
            if chunk.startswith(BOM):
                chunk, self.bom = chunk[3:], True
        if self.utf8:
            try:
                self.decoder.decode(chunk)
            except UnicodeDecodeError:
                self.utf8 = False
        if self.held_cr:
            chunk, self.held_cr = b"\r" + chunk, False
        if chunk.endswith(b"\r"):
            chunk, self.held_cr = chunk[:-1], True
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        data = self.pending + chunk if self.pending else chunk
        end = data.rfind(b"\n")
        if end < 0:
            self.pending = data
            if len(self.pending) > MAX_RECORD_BYTES:
                self._too_long()
            return
        self.pending = data[end + 1 :]
        self._lines(data[: end + 1])
        if len(self.pending) > MAX_RECORD_BYTES:
            self._too_long()

    def finish(self) -> CsvText:
        if self.held_cr:
            self.held_cr = False
            self._lines(self.pending + b"\n")
            self.pending = b""
        if self.utf8:
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8 = False
        cut_row = None
        if self.pending:
            tail = self.pending
            was_quoted = self.in_quotes
            self._lines(tail + b"\n")
            if self.kept and self.kept[-1] == tail + b"\n":
                self.kept[-1] = tail  # as written: without the line break the file lacked
                if not was_quoted and self.header_done and self.records and self._fields(tail) < self.header_fields:
                    cut_row = self.records + 1 + self.skipped
        if self.part_bytes is not None:
            return CsvText(
                data=b"", utf8=self.utf8, bom=self.bom, sha256=self.digest.hexdigest(),
                separator=self.separator, records=self.records, cut_row=cut_row, jumps=self.jumps,
                pieces=self.kept, cuts=self.cuts, header_pieces=self.header_pieces,
            )
        return CsvText(
            data=b"".join(self.kept), utf8=self.utf8, bom=self.bom, sha256=self.digest.hexdigest(),
            separator=self.separator, records=self.records, cut_row=cut_row, jumps=self.jumps,
        )

    def _record_end(self) -> None:
        """The kept pieces end with a whole record, outside quotes: a part may end here."""
        if self.part_bytes is not None and self.size - self.cut_size >= self.part_bytes:
            self.cuts.append((len(self.kept), self.records))
            self.cut_size = self.size

    def _lines(self, block: bytes) -> None:
        """Complete lines (the block ends in LF): keep records, drop empty lines outside quotes.

        Stretches without quotes go to `_plain` whole; only lines holding a quote, and the
        lines of a quoted field, are looked at one by one.
        """
        if not self.header_done:
            block = self._header(block)
        pos, n = 0, len(block)
        while pos < n:
            quote = block.find(b'"', pos)
            if self.in_quotes:
                if quote < 0:
                    self._quoted(block[pos:])
                    return
                start, counted_from = pos, quote + 1  # the quote at `quote` closes the field
            else:
                if quote < 0:
                    self._plain(block[pos:])
                    return
                start = max(pos, block.rfind(b"\n", pos, quote) + 1)
                if start > pos:
                    self._plain(block[pos:start])
                counted_from = start
            end = block.index(b"\n", quote) + 1
            self._quoted(block[start:end])
            self.in_quotes = block.count(b'"', counted_from, end) % 2 == 1
            if not self.in_quotes:
                self.quoted_bytes = 0
                self._count(1)
                self._record_end()
            pos = end

    def _quoted(self, part: bytes) -> None:
        """Lines of a record holding quotes: kept whole, however many line breaks they hold."""
        self.kept.append(part)
        self.size += len(part)
        self.quoted_bytes += len(part)
        if self.quoted_bytes > MAX_RECORD_BYTES:
            self._too_long()

    def _too_long(self) -> None:
        raise InterchangeError(
            f"{self.label}: en rad är längre än {MAX_RECORD_BYTES // 1024**2} MB "
            "(till exempel ett citattecken som aldrig avslutas)"
        )

    def _plain(self, block: bytes) -> None:
        """Whole lines without quotes, outside quotes: each a record; runs of empty ones dropped."""
        start = 0
        lead = self.blank_lead.match(block)
        if lead:
            self._drop(lead.group().count(b"\n"))
            start = lead.end()
        for run in self.blank_runs.finditer(block, start):
            part = block[start : run.start() + 1]
            self.kept.append(part)
            self.size += len(part)
            self._count(part.count(b"\n"))
            self._record_end()
            self._drop(run.group().count(b"\n") - 1)
            start = run.end()
        if start < len(block):
            part = block[start:]
            self.kept.append(part)
            self.size += len(part)
            self._count(part.count(b"\n"))
            self._record_end()

    def _header(self, block: bytes) -> bytes:
        """Take the header record (the first, maybe over several lines); return what follows it."""
        while block:
            end = block.find(b"\n") + 1
            line, block = block[:end], block[end:]
            if not self.kept:
                self.separator = sniff_separator(line)
                sep = re.escape(self.separator.encode())
                # Empty lines: at the start of a block, and after the line break ending a kept
                # line (one character class, so a long run is matched in one fast step).
                self.blank_lead = re.compile(rb"[ \t\n" + sep + rb"]*\n")
                self.blank_runs = re.compile(rb"\n[ \t\n" + sep + rb"]*\n")
            self.kept.append(line)
            if line.count(b'"') % 2:
                self.in_quotes = not self.in_quotes
            if not self.in_quotes:
                self.header_done = True
                self.header_pieces = len(self.kept)
                self.header_fields = self._fields(b"".join(self.kept))
                if self.header_fields > self.limits.max_columns:
                    raise InterchangeError(
                        f"{self.label}: rubrikraden har {self.header_fields} kolumner "
                        f"(högst {self.limits.max_columns}; gränsen EGK_IMPORT_MAX_COLUMNS)"
                    )
                return block
        return b""

    def _fields(self, record: bytes) -> int:
        unquoted = record.split(b'"')[::2]
        return 1 + sum(part.count(self.separator.encode()) for part in unquoted)

    def _drop(self, n: int) -> None:
        self.skipped += n
        if self.jumps and self.jumps[-1][0] == self.records:
            self.jumps[-1] = (self.records, self.skipped)
        else:
            self.jumps.append((self.records, self.skipped))

    def _count(self, n: int) -> None:
        self.records += n
        if self.records > self.limits.max_rows:
            raise InterchangeError(
                f"{self.label}: filen har fler än {self.limits.max_rows} rader (gränsen EGK_IMPORT_MAX_ROWS)"
            )


def scan_csv(chunks: Iterable[bytes], label: str, limits: ImportLimits, part_bytes: int | None = None) -> CsvText:
    """Stream a CSV file's chunks through the scan; raises InterchangeError when a limit is passed.

    With `part_bytes` the bytes are kept as pieces, to be read in parts (`CsvText.parts`).
    """
    scanner = _Scanner(label, limits, part_bytes)
    for chunk in chunks:
        scanner.feed(chunk)
    return scanner.finish()


def sniff_separator(header: bytes) -> str:
    """The most frequent of `;`, `,` and tab outside quotes in the header line (`,` on a tie)."""
    text = header.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    unquoted = text.split('"')[::2]
    counts = {sep: sum(part.count(sep) for part in unquoted) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] else ","
