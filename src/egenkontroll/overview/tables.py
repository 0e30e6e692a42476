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
    ) -> None:
        index = len(self.rows)
        self.rows.append(row)
        for target, extra in ((self.links, links), (self.css, css), (self.flags, flags)):
            for key, value in (extra or {}).items():
                if value:
                    target[(index, key)] = value
        if kind:
            self.row_kinds[index] = kind

    def kind(self, index: int, col: Column) -> str:
        return self.row_kinds.get(index, "text") if col.kind == "value" else col.kind

    def cells(self) -> list[list[Cell]]:
        """The rows as the template shows them: formatted text, link, class, header or not."""
        shown = self.rows if self.display_limit is None else self.rows[: self.display_limit]
        out = []
        for i, row in enumerate(shown):
            cells = []
            for j, col in enumerate(self.columns):
                kind = self.kind(i, col)
                css = [_KIND_CSS.get(kind, "num"), self.css.get((i, col.key), "")]
                cells.append(
                    Cell(
                        text=format_value(row.get(col.key), kind),
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


def format_value(value, kind: str) -> str:
    """Swedish display: decimal comma, a non-breaking space before %, '–' for no value."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if kind == "share":
        return f"{value * 100:.0f}\u00a0%"
    if kind == "ratio":
        return f"{value:.1f}".replace(".", ",")
    if kind == "days":
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
    if kind == "int":
        return f"{int(value):,}".replace(",", "\u00a0")
    return str(value)
