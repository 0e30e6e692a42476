"""How much an import may unpack and read, and which values it accepts as plausible.

An export comes from outside: a damaged or hostile file (a zip bomb, a million empty rows, a
cell at the far corner of a sheet, a 5 MB field) must end in seconds with a Swedish message,
not take the machine's memory. Every limit has a default that fits a city's export with a wide
margin, an environment variable (docs/configuration.md) and a key for
`egenkontroll import --limit KEY=VALUE` (docs/import.md); docs/security.md lists them all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

MiB = 1024**2
GiB = 1024**3
# Below this many unpacked bytes a zip member's packing ratio is not judged: a small, very
# regular file (a header and a few rows) may pack 200:1 without being a bomb.
RATIO_FLOOR_BYTES = 1 * MiB


class LimitError(ValueError):
    """A limit is configured with a value that cannot be read (Swedish message naming it)."""


@dataclass(frozen=True)
class ImportLimits:
    """The limits of one import run; `from_env()` reads the configured ones."""

    max_unpacked_bytes: int = 1 * GiB  # all files of a dataset together, as read (unpacked)
    max_file_bytes: int = 512 * MiB  # one file, zip member or workbook part, unpacked
    max_ratio: int = 100  # unpacked / packed bytes of one zip member (above RATIO_FLOOR_BYTES)
    max_members: int = 1000  # entries of a zip archive or workbook
    max_rows: int = 5_000_000  # data rows of one file or sheet (empty rows not counted)
    max_columns: int = 1000  # columns of one file or sheet
    max_field_chars: int = 200  # a value of a known column (ids and codes are narrower, see FIELD_CHARS)
    date_min: dt.date = dt.date(1980, 1, 1)  # earliest plausible event date
    future_days: int = 366  # latest plausible date: today plus this many days

    def date_max(self, today: dt.date | None = None) -> dt.date:
        return (today or dt.date.today()) + dt.timedelta(days=self.future_days)

    def with_overrides(self, overrides: Mapping[str, str]) -> ImportLimits:
        """These limits with some replaced, by key (`max-rows`) → text value, as on the command line."""
        changes = {}
        for key, text in overrides.items():
            field = KEYS.get(key)
            if field is None:
                raise LimitError(f"okänd gräns {key} (kända: {', '.join(KEYS)})")
            changes[field] = _parse(field, text, f"--limit {key}")
        return dataclasses.replace(self, **changes)


# Command-line key → field; the environment variable of each field is in `from_env`.
KEYS = {
    "max-unpacked-bytes": "max_unpacked_bytes",
    "max-file-bytes": "max_file_bytes",
    "max-ratio": "max_ratio",
    "max-members": "max_members",
    "max-rows": "max_rows",
    "max-columns": "max_columns",
    "max-field-chars": "max_field_chars",
    "date-min": "date_min",
    "future-days": "future_days",
}
ENV_NAMES = {
    "max_unpacked_bytes": "EGK_IMPORT_MAX_UNPACKED_BYTES",
    "max_file_bytes": "EGK_IMPORT_MAX_FILE_BYTES",
    "max_ratio": "EGK_IMPORT_MAX_RATIO",
    "max_members": "EGK_IMPORT_MAX_MEMBERS",
    "max_rows": "EGK_IMPORT_MAX_ROWS",
    "max_columns": "EGK_IMPORT_MAX_COLUMNS",
    "max_field_chars": "EGK_IMPORT_MAX_FIELD_CHARS",
    "date_min": "EGK_IMPORT_DATE_MIN",
    "future_days": "EGK_IMPORT_FUTURE_DAYS",
}


def from_env(environ: Mapping[str, str] | None = None) -> ImportLimits:
    """The defaults, with every limit set in the environment replacing its default."""
    environ = os.environ if environ is None else environ
    given = {
        "max_unpacked_bytes": environ.get("EGK_IMPORT_MAX_UNPACKED_BYTES"),
        "max_file_bytes": environ.get("EGK_IMPORT_MAX_FILE_BYTES"),
        "max_ratio": environ.get("EGK_IMPORT_MAX_RATIO"),
        "max_members": environ.get("EGK_IMPORT_MAX_MEMBERS"),
        "max_rows": environ.get("EGK_IMPORT_MAX_ROWS"),
        "max_columns": environ.get("EGK_IMPORT_MAX_COLUMNS"),
        "max_field_chars": environ.get("EGK_IMPORT_MAX_FIELD_CHARS"),
        "date_min": environ.get("EGK_IMPORT_DATE_MIN"),
        "future_days": environ.get("EGK_IMPORT_FUTURE_DAYS"),
    }
    changes = {f: _parse(f, text, ENV_NAMES[f]) for f, text in given.items() if text not in (None, "")}
    return dataclasses.replace(ImportLimits(), **changes)


_SIZE = re.compile(r"^\s*([0-9]+)\s*([KMG]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": MiB, "G": GiB}


def _parse(field: str, text: str, where: str):
    if field == "date_min":
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise LimitError(f"{where}: {text!r} är inget datum (ÅÅÅÅ-MM-DD)") from None
    match = _SIZE.match(text)
    if not match or (match.group(2) and not field.endswith("_bytes")):
        raise LimitError(f"{where}: {text!r} är inget heltal" + (" (t.ex. 512M, 2G)" if field.endswith("_bytes") else ""))
    value = int(match.group(1)) * _UNITS[match.group(2).upper()]
    if value < 1 and field != "future_days":
        raise LimitError(f"{where}: gränsen måste vara minst 1")
    return value
