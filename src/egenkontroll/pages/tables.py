"""Tables as data: the one shape every page renders, and every download writes.

Why it exists: the issue asks that every table on every page can be downloaded as CSV and
XLSX, and every chart's data as CSV. If pages built HTML by hand and downloads rebuilt the
same rows elsewhere, the two would drift. Instead a page builds `Table` objects once; the
template renders them (with `<th scope>` headers for screen readers) and `downloads.py`
writes the very same rows, raw values and all, to a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import mark_safe

# How a value is shown and written. share: 0–1 shown as a percentage; days: a median in
# days; ratio: one decimal; int: a count; date: ISO; text: as is; value: the row's own kind
# (a table whose rows are different key figures); id: a code kept on one line (a case id).
KINDS = ("text", "id", "int", "share", "days", "ratio", "date", "value")
MISSING = "–"
MASK_NOTE = " Små tal (1–4) visas som ”<5”; ”x” döljer ett tal som annars kunde räknas fram."


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"
    href: str = ""  # the header links somewhere (a drill-down)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"okänd kolumntyp {self.kind!r}")


@dataclass(frozen=True)
class Cell:
    text: str
    href: str
    css: str
    header: bool
    flag: str = ""


@dataclass
class Table:
    """Rows of values keyed by column, with per-cell links, classes and screen-reader flags.

    The first column is the row header (`<th scope="row">`). `css` colours a cell (target met
    or missed) and `flags` says the same in words, so colour is never the only signal.
    `display_limit` caps the rows rendered on the page; downloads always have every row.
    """

    id: str
    caption: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    links: dict[tuple[int, str], str] = field(default_factory=dict)
    css: dict[tuple[int, str], str] = field(default_factory=dict)
    flags: dict[tuple[int, str], str] = field(default_factory=dict)
    row_kinds: dict[int, str] = field(default_factory=dict)
    # The target a cell's value is judged against: shown with the precision `format_against` needs.
    targets: dict[tuple[int, str], float] = field(default_factory=dict)
    note: str = ""
    display_limit: int | None = None
    # Columns only on the page (a link to act on the row); the download is built without them.
    page_only: tuple[str, ...] = ()
    # (label, url) of the CSV/XLSX downloads, filled in when the page is rendered.
    downloads: list[tuple[str, str]] = field(default_factory=list)

    def add(
        self,
        row: dict,
        links: dict[str, str] | None = None,
        css: dict[str, str] | None = None,
        flags: dict[str, str] | None = None,
        kind: str | None = None,
        targets: dict[str, float | None] | None = None,
    ) -> None:
        index = len(self.rows)
        self.rows.append(row)
        for target, extra in ((self.links, links), (self.css, css), (self.flags, flags), (self.targets, targets)):
            for key, value in (extra or {}).items():
                if value:
                    target[(index, key)] = value
        if kind:
            self.row_kinds[index] = kind

    def kind(self, index: int, col: Column) -> str:
        return self.row_kinds.get(index, "text") if col.kind == "value" else col.kind

    def decimals(self, index: int, col: Column) -> int | None:
        """Decimals a numeric cell judged against a target needs (None: the kind's own format)."""
        value, target = self.rows[index].get(col.key), self.targets.get((index, col.key))
        if target is None or not _is_number(value):
            return None
        return decimals_against(value, target, self.kind(index, col))

    def text(self, index: int, col: Column, kind: str) -> str:
        value, target = self.rows[index].get(col.key), self.targets.get((index, col.key))
        if target is not None and _is_number(value):
            return format_against(value, target, kind)
        return format_value(value, kind)

    def cells(self) -> list[list[Cell]]:
        """The rows as the template shows them: formatted text, link, class, header or not."""
        shown = self.rows if self.display_limit is None else self.rows[: self.display_limit]
        out = []
        for i in range(len(shown)):
            cells = []
            for j, col in enumerate(self.columns):
                kind = self.kind(i, col)
                css = [_KIND_CSS.get(kind, "num"), self.css.get((i, col.key), "")]
                cells.append(
                    Cell(
                        text=self.text(i, col, kind),
                        href=self.links.get((i, col.key), ""),
                        css=" ".join(c for c in css if c),
                        header=j == 0,
                        flag=self.flags.get((i, col.key), ""),
                    )
                )
            out.append(cells)
        return out

    def body_html(self) -> str:
        """The `<tbody>` rows as HTML, every value escaped: the template loop was the slowest part
        of a page with a thousand rows, so the rows are joined here."""
        out = []
        for row in self.cells():
            cells = []
            for cell in row:
                tag = "th" if cell.header else "td"
                attrs = ' scope="row"' if cell.header else ""
                if cell.css:
                    attrs += f' class="{escape(cell.css)}"'
                text = escape(cell.text)
                if cell.href:
                    text = f'<a href="{escape(cell.href)}">{text}</a>'
                if cell.flag:
                    text += f'<span class="skarmlasare"> ({escape(cell.flag)})</span>'
                cells.append(f"<{tag}{attrs}>{text}</{tag}>")
            out.append(f"<tr>{''.join(cells)}</tr>")
        if not out:
            out.append(f'<tr><td colspan="{len(self.columns)}">Inga rader för det här urvalet.</td></tr>')
        return mark_safe("\n".join(out))  # noqa: S308 - built from escaped values only

    @property
    def truncated(self) -> bool:
        return self.display_limit is not None and len(self.rows) > self.display_limit


_KIND_CSS = {"text": "", "id": "kod"}


# The thousands separator and the space before "%": a no-break space (U+00A0) everywhere, so
# "1 234" and "90 %" never break over two lines and a screen reader reads one number.
SPACE = "\u00a0"
# Decimals a value judged against a target shows at least (more when fewer would cross it).
LEAST_DECIMALS = {"share": 1, "ratio": 1, "days": 1}
_SCALE = {"share": 100}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_text(value, decimals: int) -> str:
    """A number in Swedish: no-break space between thousands, decimal comma."""
    if isinstance(value, Decimal):
        text = f"{value:,.{decimals}f}"
    else:
        text = f"{float(value):,.{decimals}f}" if decimals else f"{round(value):,}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", SPACE)


def _exact(value, kind: str) -> Decimal:
    """The value as written (the shortest decimal that is this float), scaled as shown (% for shares)."""
    return Decimal(repr(float(value))) * _SCALE.get(kind, 1)


@lru_cache(maxsize=1024)
def _exact_target(target, kind: str) -> Decimal:
    """`_exact` of a target: one per figure, judged against in every cell of a country's tables."""
    return _exact(target, kind)


def decimals_against(value, target, kind: str) -> int:
    """The fewest decimals (at least LEAST_DECIMALS) at which the rounded value lies on the same
    side of the target as the value itself: 0.8966 against 0.9 is "89,7 %", never "90 %"."""
    return _decimals_against(_exact(value, kind), _exact_target(target, kind), kind)


def _decimals_against(shown_value: Decimal, shown_target: Decimal, kind: str) -> int:
    """`decimals_against` of exact values. Ends: at the value's own number of decimals the rounded
    value is the value."""
    side = (shown_value > shown_target) - (shown_value < shown_target)
    decimals = LEAST_DECIMALS.get(kind, 0)
    while True:
        rounded = shown_value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if (rounded > shown_target) - (rounded < shown_target) == side:
            return decimals
        decimals += 1


def format_against(value, target, kind: str) -> str:
    """A value as shown beside its target: the shown number and the verdict never disagree."""
    if kind not in LEAST_DECIMALS and kind != "int":
        return format_value(value, kind)
    shown_value = _exact(value, kind)
    decimals = _decimals_against(shown_value, _exact_target(target, kind), kind)
    rounded = shown_value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return number_text(rounded, decimals) + (f"{SPACE}%" if kind == "share" else "")


def format_target(target, kind: str) -> str:
    """A target exactly as set (0.9 is "90 %", 0.905 is "90,5 %"), so a value can be read against it."""
    exact = _exact(target, kind).normalize()
    decimals = max(0, -exact.as_tuple().exponent)
    return number_text(exact, decimals) + (f"{SPACE}%" if kind == "share" else "")


def format_value(value, kind: str) -> str:
    """Swedish display: decimal comma, a non-breaking space before % and between thousands, '–'
    for no value. A value judged against a target goes through `format_against` instead."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if kind == "share":
        return f"{number_text(value * 100, 0)}{SPACE}%"
    if kind == "ratio":
        return number_text(value, 1)
    if kind == "days":
        return number_text(value, 0 if float(value).is_integer() else 1)
    if kind == "int":
        return number_text(int(value), 0)
    return str(value)
