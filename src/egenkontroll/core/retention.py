"""The retention periods (gallringsfrister) as data: load, validate, and turn into cut-off dates.

Why it exists: how long person-level data is kept is the municipality's decision (its
gallringsbeslut), not the code's, so the periods live in retention.yaml — or the file named by
EGK_RETENTION_FILE — checked here with an error naming the file and the entry. `cutoffs` turns
them into the dates before which `egenkontroll retention run` removes data. Pure Python; no Django.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from egenkontroll.core.datafiles import configured_path, load_data_file

DEFAULT_FILE = Path(__file__).with_name("retention.yaml")
RETENTION_ENV = "EGK_RETENTION_FILE"
KINDS = ("arenden", "avvisade_rader", "importfiler", "granskningsprotokoll", "avvikelsetexter", "atkomstlogg")
MAX_YEARS = 100


class RetentionError(ValueError):
    """The retention file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Period:
    id: str
    title: str
    years: int
    days: int
    counted_from: str

    def cutoff(self, today: dt.date) -> dt.date:
        """Data whose reference date is before this day is older than the period."""
        back = today.replace(year=today.year - self.years, day=1)
        last_day = calendar.monthrange(back.year, back.month)[1]
        return back.replace(day=min(today.day, last_day)) - dt.timedelta(days=self.days)

    def describe(self) -> str:
        return f"{self.years} år" if self.years else f"{self.days} dagar"


def load(path: str | Path | None = None) -> dict[str, Period]:
    """The periods by kind id, from `path`, EGK_RETENTION_FILE or the shipped file."""
    return load_data_file(configured_path(path, RETENTION_ENV, DEFAULT_FILE), _parse, RetentionError, "gallringsfristerna")


def cutoffs(today: dt.date, periods: dict[str, Period] | None = None) -> dict[str, dt.date]:
    periods = periods if periods is not None else load()
    return {kind: period.cutoff(today) for kind, period in periods.items()}


def _parse(path: Path, data) -> dict[str, Period]:
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("kinds"), list):
        raise RetentionError(f"{path}: filen ska ha 'version: 1' och en lista 'kinds'")
    periods: dict[str, Period] = {}
    for index, entry in enumerate(data["kinds"], start=1):
        where = f"{path}: post {index}"
        if not isinstance(entry, dict):
            raise RetentionError(f"{where}: ska vara en mappning")
        kind = entry.get("id")
        where = f"{path}: {kind!r}"
        if kind not in KINDS:
            raise RetentionError(f"{where}: okänt slag av data (tillåtna: {', '.join(KINDS)})")
        if kind in periods:
            raise RetentionError(f"{where}: står två gånger")
        unknown = set(entry) - {"id", "title", "keep", "from", "minimum"}
        if unknown:
            raise RetentionError(f"{where}: okända fält {', '.join(sorted(unknown))}")
        years, days = _span(entry.get("keep"), f"{where}: keep")
        if "minimum" in entry:
            least, _ = _span(entry["minimum"], f"{where}: minimum")
            if years < least:
                raise RetentionError(f"{where}: keep är kortare än minimum ({least} år)")
        periods[kind] = Period(kind, str(entry.get("title") or kind), years, days, str(entry.get("from") or ""))
    missing = [k for k in KINDS if k not in periods]
    if missing:
        raise RetentionError(f"{path}: saknar {', '.join(missing)} (varje slag av data ska ha en frist)")
    return periods


def _span(raw, where: str) -> tuple[int, int]:
    if not isinstance(raw, dict) or len(raw) != 1 or not set(raw) <= {"years", "days"}:
        raise RetentionError(f"{where}: ska vara {{years: N}} eller {{days: N}}")
    (unit, value), = raw.items()
    limit = MAX_YEARS if unit == "years" else MAX_YEARS * 366
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
        raise RetentionError(f"{where}: {unit} ska vara ett heltal 1–{limit}")
    return (value, 0) if unit == "years" else (0, value)
