"""Walk everything a masked role (the nämnd) can reach, and read every number and word it is shown.

Starts from the URL matrix (every URL the role gets 200 from), follows the links on each page
(drill-downs into units, key figures, downloads) with one fixed period where the data lies, and
turns every HTML table, CSV, XLSX sheet and chart (the tooltips of the SVG on the page) into a
`Grid` of strings. `leaks` then applies the small-number rule (docs/security.md) to the grids.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.urls import reverse

from tests.access.url_matrix import URLS

PERIOD = {"fran": "2024-01-01", "till": "2024-06-30", "per": "2024-06-30"}
MAX_URLS = 2500  # 40 key figures since issue 16, each on every unit with its downloads
# Every page is walked for every unit; its downloads (the same Table objects as the page, written
# to a file) for the whole scope and the smallest groups only, to keep the walk under a minute.
DOWNLOAD_UNITS = {None, "G2", "G3"}
SKIP = ("/static/", "/logout", "/login", "/halsa")
HIDDEN_TEXTS = {"<5", "x", "–", ""}


@dataclass
class Grid:
    where: str  # the URL and table or chart
    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Walk:
    grids: list[Grid]
    texts: dict[str, str]  # url -> everything shown (page text, file contents)
    urls: list[str]


def start_urls(role: str, made: dict) -> list[str]:
    found = []
    for name, entry in URLS.items():
        if entry.statuses[role] != 200 or entry.setup is None and "#" in json.dumps(entry.kwargs):
            continue
        kwargs = {k: made[v[1:]] if isinstance(v, str) and v.startswith("#") else v for k, v in entry.kwargs.items()}
        found.append(reverse(name, kwargs=kwargs) + entry.query)
    return found


def _normalised(url: str) -> str | None:
    """The URL with the walk's period (the pages' own period links would multiply the walk)."""
    parts = urlsplit(html.unescape(url))
    if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in PERIOD]
    if "/ladda-ner/" in parts.path and dict(query).get("enhet") not in DOWNLOAD_UNITS:
        return None
    return parts.path + "?" + urlencode(sorted([*query, *PERIOD.items()]))


def walk(client, role: str, made: dict) -> Walk:
    queue = [u for u in map(_normalised, start_urls(role, made)) if u]
    seen: set[str] = set()
    grids: list[Grid] = []
    texts: dict[str, str] = {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        assert len(seen) <= MAX_URLS, f"the walk does not end: more than {MAX_URLS} pages: {sorted(seen)}"
        response = client.get(url)
        if response.status_code != 200:
            continue
        kind = response.get("Content-Type", "")
        if "html" in kind:
            page = response.content.decode("utf-8")
            texts[url] = page
            grids += html_grids(url, page)
            queue += [u for u in map(_normalised, re.findall(r'href="([^"#]+)"', page)) if u and u not in seen]
        elif "csv" in kind:
            text = response.content.decode("utf-8-sig")
            texts[url] = text
            grids.append(csv_grid(url, text))
        elif "spreadsheetml" in kind:
            sheets = xlsx_grids(url, response.content)
            texts[url] = "\n".join(" ".join(" ".join(r) for r in g.rows) + " ".join(g.headers) for g in sheets)
            grids += sheets
        else:
            texts[url] = response.content.decode("utf-8", errors="replace")
    return Walk(grids, texts, sorted(seen))


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def html_grids(url: str, page: str) -> list[Grid]:
    found = []
    for table in re.findall(r"<table\b.*?</table>", page, re.S):
        caption = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.S)
        thead = re.search(r"<thead>(.*?)</thead>", table, re.S)
        headers = [_text(h) for h in re.findall(r"<th\b[^>]*>(.*?)</th>", thead.group(1), re.S)] if thead else []
        body = table.split("<tbody>", 1)[1] if "<tbody>" in table else table
        rows = [[_text(c) for c in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.S)]
                for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body, re.S)]
        found.append(Grid(url, _text(caption.group(1)) if caption else "", headers, [r for r in rows if r]))
    for counters in re.findall(r'<ul class="raknare"[^>]*>(.*?)</ul>', page, re.S):
        items = re.findall(r'<span class="tal">(.*?)</span>(.*?)</li>', counters, re.S)
        found.append(Grid(f"{url} räknare", "räknare", ["", "Antal"], [[_text(label), _text(n)] for n, label in items]))
    for chart_id, drawing in re.findall(r'<div class="diagram-yta" id="([^"]+)">(<svg.*?</svg>)', page, re.S):
        found.append(chart_grid(f"{url} {chart_id}", drawing))
    return found


def chart_grid(where: str, drawing: str) -> Grid:
    """One grid per chart: a row per tooltip (each point, bar, box and flow the SVG draws), its
    value in the column headed by the axis titles (so "Andel" or "Dagar" are not read as counts)."""
    axes = " ".join(_text(t) for t in re.findall(r'<text class="y-title"[^>]*>(.*?)</text>', drawing, re.S))
    rows = []
    for tip in re.findall(r"<title>(.*?)</title>", drawing, re.S):
        label, _, value = html.unescape(tip).rpartition(": ")
        rows.append([label, value])
    return Grid(where, axes or "flöde", ["", axes or "Flöde"], rows)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_grid(url: str, text: str) -> Grid:
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=dialect))
    return Grid(url, url.rsplit("/", 1)[-1], rows[0] if rows else [], rows[1:])


def xlsx_grids(url: str, content: bytes) -> list[Grid]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    grids = []
    for sheet in book.worksheets:
        rows = [["" if v is None else _cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        header_at = next((i for i, r in enumerate(rows) if sum(1 for v in r if v) >= 2), 0)
        grids.append(Grid(f"{url} [{sheet.title}]", sheet.title, rows[header_at] if rows else [], rows[header_at + 1:]))
    return grids


# -- the small-number rule applied to what was shown ----------------------------------------------

# Headers, row labels and chart axes of things that are not counts of children or staff.
NOT_A_COUNT = re.compile(
    r"dagar|median|medel|andel|kvot|mål|per handläggare|inom|i tid|vecka|veckan|veckor|kvartal|månad|period|\bår\b|"
    # a scenario's settings (Planering): the factor of a surge, how many weeks ahead
    r"faktor|"
    r"\bid\b|nivå|förväntad|datum|nr\b|"
    # findings of an audit are counted, but they are not persons
    r"fynd",
    re.I,
)
COUNT_IN_TEXT = re.compile(r"^(\d+)(?: \(.*\))?$|\b(?:ja|nej) (\d+)\b|^(\d+) av (\d+)$")
SMALL = range(1, 5)


def counts_in(cell: str) -> list[int]:
    """The counts a cell shows: '3', '3 (når målet)', 'ja 3, nej 0' inside a cell, '3 av 6'."""
    cell = cell.replace("\u00a0", " ").strip()
    found = []
    for match in COUNT_IN_TEXT.finditer(cell):
        found += [int(g) for g in match.groups() if g is not None]
    return found


def _is_count_column(grid: Grid, j: int) -> bool:
    header = grid.headers[j] if j < len(grid.headers) else ""
    return not NOT_A_COUNT.search(header)


def _is_count_row(row: list[str]) -> bool:
    return not (row and NOT_A_COUNT.search(row[0]))


def _value(cell: str) -> int | None:
    found = counts_in(cell)
    return found[0] if len(found) == 1 and re.match(r"^\d", cell.strip()) else None


def small_counts(grid: Grid) -> list[str]:
    """Every shown count of 1–4 in a count column of a count row."""
    leaks = []
    for row in grid.rows:
        if not _is_count_row(row):
            continue
        for j, cell in enumerate(row[1:], start=1):
            if _is_count_column(grid, j) and any(n in SMALL for n in counts_in(cell)):
                leaks.append(f"{grid.where} «{grid.caption}» {row[0]!r} / {_header(grid, j)!r} = {cell!r}")
    return leaks


def _header(grid: Grid, j: int) -> str:
    return grid.headers[j] if j < len(grid.headers) else f"kolumn {j}"


def _is_total(label: str) -> bool:
    return label.strip().lower() == "totalt" or label.strip().lower().endswith("(totalt)")


def recoverable(grid: Grid) -> list[str]:
    """Hidden cells (or what the parts leave over) that shown parts and a shown total give as 1–4.

    Column-wise under a row labelled "Totalt", row-wise beside a column headed "Totalt" or
    "… (totalt)": total − the shown parts = the hidden cells together (plus anything the parts do
    not cover); 1–4 there tells the reader a small number.
    """
    leaks = []
    totals = [i for i, row in enumerate(grid.rows) if row and _is_total(row[0])]
    for t in totals:
        for j in range(1, len(grid.rows[t])):
            if not _is_count_column(grid, j):
                continue
            parts = [row[j] for i, row in enumerate(grid.rows) if i not in totals and j < len(row)]
            leaks += _left_over(grid, f"kolumn {_header(grid, j)!r}", _value(grid.rows[t][j]), parts)
    total_columns = [j for j, h in enumerate(grid.headers) if _is_total(h)]
    for row in grid.rows:
        if not _is_count_row(row) or (row and _is_total(row[0])):
            continue
        for t in total_columns:
            parts = [row[j] for j in range(1, len(row)) if j not in total_columns and _is_count_column(grid, j)]
            if t < len(row):
                leaks += _left_over(grid, f"rad {row[0]!r}", _value(row[t]), parts)
    return leaks


def _left_over(grid: Grid, where: str, total: int | None, parts: list[str]) -> list[str]:
    if total is None or not parts:
        return []
    values = [_value(p) for p in parts]
    if any(v is None and p.strip() not in HIDDEN_TEXTS for v, p in zip(values, parts, strict=True)):
        return []  # a part that is neither a count nor hidden: not a table of parts
    rest = total - sum(v for v in values if v is not None)
    if rest in SMALL:
        return [f"{grid.where} «{grid.caption}» {where}: totalen {total} minus de visade delarna = {rest}"]
    return []
