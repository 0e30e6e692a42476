"""References to the law with validity windows: which paragraph is in force on a given date.

Why it exists: Socialtjänstlag (2001:453) was replaced on 2025-07-01 by Socialtjänstlag (2025:400)
and renumbered, so one duty has a different chapter and paragraph depending on the date that
triggered it. A catalogue row (a rule in rules.yaml, the lex Sarah provisions in
deviation_rules.yaml) lists its references as windows; this module parses them, refuses windows
that overlap or leave a gap (a date would then have two paragraphs, or none), and picks the one
in force on a date. Each reference says whether its paragraph was verified in the law text as
published (docs/lagrum.md); an unverified one says "ej verifierad" wherever it is shown.
Pure Python; no Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

UNVERIFIED = "ej verifierad"


@dataclass(frozen=True)
class Reference:
    """One paragraph (or several) of the law, in force for trigger dates valid_from..valid_to (inclusive)."""

    text: str
    verified: bool
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (self.valid_to is None or day <= self.valid_to)

    @property
    def shown(self) -> str:
        """The text as users see it: an unverified paragraph says so plainly."""
        return self.text if self.verified else f"{self.text} ({UNVERIFIED})"

    @property
    def window(self) -> str:
        if self.valid_from is None and self.valid_to is None:
            return "alltid"
        return f"{self.valid_from or ''}–{self.valid_to or ''}"


def _date(value, fail: Callable[[str], Exception], name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise fail(f"{name} ska vara ett datum ÅÅÅÅ-MM-DD, inte {value!r}") from None


def parse_references(raw, fail: Callable[[str], Exception], covering: tuple[dt.date | None, dt.date | None]
                     = (None, None)) -> tuple[Reference, ...]:
    """The `references:` list of a catalogue row, checked: windows in order, no overlap, no gap.

    `fail(message)` builds the caller's error (it names the file and the row). `covering` is the
    row's own validity: the windows together must cover it, so every trigger date the row applies
    to has exactly one reference.
    """
    if not isinstance(raw, list) or not raw:
        raise fail("references ska vara en icke-tom lista med text, verified, valid_from/valid_to")
    refs = []
    for n, item in enumerate(raw, 1):
        where = f"references[{n}]"
        if not isinstance(item, dict):
            raise fail(f"{where} ska vara en mappning")
        unknown = set(item) - {"text", "verified", "valid_from", "valid_to"}
        if unknown:
            raise fail(f"{where}: okända fält: {', '.join(sorted(unknown))}")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise fail(f"{where}.text saknas eller är tom")
        if not isinstance(item.get("verified"), bool):
            raise fail(f"{where}.verified ska vara true eller false (är paragrafen läst i lagtexten?)")
        start = _date(item.get("valid_from"), fail, f"{where}.valid_from")
        end = _date(item.get("valid_to"), fail, f"{where}.valid_to")
        if start and end and end < start:
            raise fail(f"{where}: valid_to ligger före valid_from")
        refs.append(Reference(" ".join(text.split()), item["verified"], start, end))
    check_windows(refs, fail, covering)
    return tuple(refs)


def check_windows(refs: Sequence[Reference], fail: Callable[[str], Exception],
                  covering: tuple[dt.date | None, dt.date | None] = (None, None)) -> None:
    """The windows follow each other day by day: no overlap, no gap, and they cover `covering`."""
    ordered = sorted(refs, key=lambda r: r.valid_from or dt.date.min)
    for before, after in zip(ordered, ordered[1:], strict=False):
        end = before.valid_to or dt.date.max
        start = after.valid_from or dt.date.min
        if start <= end:
            raise fail(f"lagrummens giltighetstider överlappar ({before.window} och {after.window})")
        if start != end + dt.timedelta(days=1):
            raise fail(f"lagrummens giltighetstider lämnar ett glapp mellan {end} och {start}")
    first, last = ordered[0].valid_from, ordered[-1].valid_to
    row_from, row_to = covering
    if first is not None and (row_from is None or first > row_from):
        raise fail(f"inget lagrum gäller före {first}, men raden gäller från {row_from or 'början'}")
    if last is not None and (row_to is None or last < row_to):
        raise fail(f"inget lagrum gäller efter {last}, men raden gäller till {row_to or 'vidare'}")


def reference_on(refs: Sequence[Reference], day: dt.date) -> Reference | None:
    """The reference in force on `day` (None only if the windows do not reach it)."""
    return next((r for r in refs if r.covers(day)), None)
