"""Read one table of a rendered report page or print template: the cells a test asserts on."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    text: str
    css: str


def table(page: str, caption_start: str) -> tuple[list[str], dict[str, list[Cell]]]:
    """(column headers, row header → the row's cells after the header) of the table whose caption starts so."""
    for found in re.finditer(r"<table\b.*?</table>", page, re.S):
        body = found.group(0)
        caption = re.search(r"<caption[^>]*>(.*?)</caption>", body, re.S)
        if caption and _text(caption.group(1)).startswith(caption_start):
            headers = [_text(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body, re.S)]
            rows = {}
            for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S):
                head = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
                if head:
                    cells = re.findall(r'<td(?: class="([^"]*)")?[^>]*>(.*?)</td>', row, re.S)
                    rows[_text(head.group(1))] = [Cell(_text(t), css) for css, t in cells]
            return headers, rows
    raise AssertionError(f"ingen tabell med rubriken {caption_start!r}")


def column(page: str, caption_start: str, header: str) -> dict[str, Cell]:
    """Row header → the cell in the column `header` of that table."""
    headers, rows = table(page, caption_start)
    index = headers.index(header) - 1  # the first column is the row header
    return {name: cells[index] for name, cells in rows.items()}


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()
