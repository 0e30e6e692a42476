"""The period and as_of day of a page, read from the query string.

Why it exists: every page with figures asks "for which period, seen on which day?", and the
answer must live in the URL (`?fran=2026-01-01&till=2026-03-31&per=2026-03-31`) so a link can
be shared and a download gives what the page showed. One parser, one set of defaults and
presets for all pages; a malformed date is reported in Swedish and the default used instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from egenkontroll.core.calendar import add_months

PARAMS = ("fran", "till", "per")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    as_of: dt.date
    errors: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        return {"fran": self.start.isoformat(), "till": self.end.isoformat(), "per": self.as_of.isoformat()}

    @property
    def label(self) -> str:
        text = f"{self.start.isoformat()} – {self.end.isoformat()}"
        return text if self.as_of == self.end else f"{text}, läget per {self.as_of.isoformat()}"


def today() -> dt.date:
    return dt.date.today()


def _month_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day where it is shorter)."""
    return add_months([day], -months)[0].item()


def presets(day: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Named periods ending on `day`: the last month, quarter, year to date and 12 months."""
    return [
        ("Senaste månaden", _month_back(day, 1) + dt.timedelta(days=1), day),
        ("Senaste kvartalet", _month_back(day, 3) + dt.timedelta(days=1), day),
        ("Hittills i år", dt.date(day.year, 1, 1), day),
        ("Senaste 12 månaderna", _month_back(day, 12) + dt.timedelta(days=1), day),
    ]


def default_period(day: dt.date) -> tuple[dt.date, dt.date]:
    _, start, end = presets(day)[3]
    return start, end


def parse(query, day: dt.date | None = None) -> Period:
    """The period in `query` (a QueryDict or dict), defaulting to the 12 months up to `day`."""
    day = day or today()
    start, end = default_period(day)
    errors = []
    values = {}
    for name, fallback in (("fran", start), ("till", end)):
        values[name], error = _date(query.get(name), fallback, name)
        errors += [error] if error else []
    if values["fran"] > values["till"]:
        errors.append("Periodens första dag ligger efter den sista; standardperioden visas.")
        values["fran"], values["till"] = start, end
    as_of, error = _date(query.get("per"), values["till"], "per")
    errors += [error] if error else []
    return Period(values["fran"], values["till"], as_of, tuple(errors))


_LABELS = {"fran": "Från", "till": "Till", "per": "Läget per"}


def _date(raw: str | None, fallback: dt.date, name: str) -> tuple[dt.date, str | None]:
    if raw in (None, ""):
        return fallback, None
    try:
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return fallback, f"{_LABELS[name]}: ”{raw[:20]}” är inget datum ÅÅÅÅ-MM-DD; {fallback.isoformat()} används."


def query_string(**params) -> str:
    """`?a=1&b=2` from the non-empty values, or '' when there are none."""
    kept = {k: v for k, v in params.items() if v not in (None, "", [])}
    return "?" + urlencode(kept, doseq=True) if kept else ""


def query_tail(**params) -> str:
    """`&a=1&b=2`: the parameters of `query_string` to follow another query string's, encoded once
    for a page's many links (a country's tables have thousands; issue 19)."""
    return query_string(**params).replace("?", "&", 1)
