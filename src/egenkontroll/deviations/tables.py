"""The tables of the deviation list: the register itself, counts per status, the summary, and the counts
the nämnd sees, masked for small numbers.

Why it exists: the page shows these tables and the downloads write the very same `Table`
objects, so a download is always what the page shows to that user.

The nämnd sees two tables of counts — month × category and förvaltning × status — masked with
`core.smallnumbers` (1–4 as "<5", and more cells hidden so no hidden cell can be worked out from
the totals). Masking each table on its own is safe only when the tables share no total a reader
could use: these two share just the grand total (the number of deviations of the year). If one
table hides it as a secondary cell while the other shows it, the first one's protection assumed
an unknown that the reader knows, so that table is hidden whole. No summary row, title or
description reaches the nämnd.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

import numpy as np
from django.db.models import Min

from egenkontroll.core import smallnumbers
from egenkontroll.core.deviation_rules import DeviationRules, LimitState
from egenkontroll.deviations.models import Deviation, DeviationEvent
from egenkontroll.pages.tables import MASK_NOTE, Column, Table

MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
NO_FORVALTNING = "Utan förvaltning"
OVERDUE_CSS = "mal-miss"


@dataclass(frozen=True)
class Row:
    """One deviation as the list shows it, with the state of each of its time limits."""

    deviation: Deviation
    unit: str
    limits: list[LimitState]

    @property
    def overdue(self) -> list[LimitState]:
        return [s for s in self.limits if s.overdue]


def reached_dates(deviation_ids: list[int]) -> dict[int, dict[str, dt.date]]:
    """deviation id → status → the first day the deviation had that status (from its history)."""
    out: dict[int, dict[str, dt.date]] = {}
    first = (
        DeviationEvent.objects.filter(deviation_id__in=deviation_ids, kind__in=("rapport", "status"))
        .values("deviation_id", "new_status").annotate(day=Min("on"))
    )
    for item in first:
        out.setdefault(item["deviation_id"], {})[item["new_status"]] = item["day"]
    return out


def rows_of(rules: DeviationRules, deviations: list[Deviation], names: dict[str, str], today: dt.date) -> list[Row]:
    reached = reached_dates([d.pk for d in deviations])
    return [
        Row(d, names.get(d.unit_id, d.unit_id),
            [] if rules.is_closed(d.status) else
            rules.limit_states(d.category, d.reported_on, reached.get(d.pk, {}), today,
                               serious_judged_on=d.serious_judged_on, ivo_reported_on=d.ivo_reported_on))
        for d in deviations
    ]


def _lower_first(text: str) -> str:
    """'Anmälan till IVO' → 'anmälan till IVO' (an abbreviation keeps its capitals)."""
    return text[:1].lower() + text[1:]


def _title(mapping: dict, key: str) -> str:
    """The Swedish title of an id from the rules file (a category, status or severity); the id if unknown."""
    item = mapping.get(key)
    if item is None:
        return key
    return item if isinstance(item, str) else item.title


def list_table(rules: DeviationRules, rows: list[Row], url_of) -> Table:
    table = Table(
        id="avvikelser",
        caption="Avvikelser, senaste först",
        columns=[
            Column("number", "Nr", "id"), Column("title", "Rubrik"), Column("category", "Typ"),
            Column("unit", "Enhet"), Column("reported_on", "Rapporterad", "date"), Column("status", "Status"),
            Column("severity", "Allvarlighetsgrad"), Column("deadline", "Tidsgräns"),
            Column("ivo", "Anmäld till IVO", "date"),
        ],
        note=" Tidsgränserna är kommunens lokala riktlinjer (avvikelsereglerna), inte lag.",
    )
    for row in rows:
        d = row.deviation
        overdue = row.overdue
        pending = [s for s in row.limits if s.met_on is None]
        if overdue:
            deadline = "Försenad: " + ", ".join(f"{_lower_first(s.limit.title)} senast {s.due.isoformat()}"
                                                for s in overdue)
        elif pending:
            deadline = f"{pending[0].limit.title} senast {pending[0].due.isoformat()}"
        else:
            deadline = ""
        table.add(
            {
                "number": d.number, "title": d.title, "category": _title(rules.categories, d.category),
                "unit": row.unit, "reported_on": d.reported_on, "status": _title(rules.statuses, d.status),
                "severity": _title(rules.severities, d.severity), "deadline": deadline, "ivo": d.ivo_reported_on,
            },
            links={"number": url_of(d)},
            css={"deadline": OVERDUE_CSS if overdue else ""},
            flags={"deadline": "tidsgränsen har passerat" if overdue else ""},
        )
    return table


def status_table(rules: DeviationRules, deviations: list[Deviation]) -> Table:
    table = Table(id="status", caption="Antal per status", columns=[Column("status", "Status"),
                                                                     Column("count", "Antal", "int")])
    for status in rules.statuses.values():
        table.add({"status": status.title, "count": sum(1 for d in deviations if d.status == status.id)})
    table.add({"status": smallnumbers.TOTAL_LABEL, "count": len(deviations)})
    return table


def summary_table(rules: DeviationRules, rows: list[Row], year: int) -> Table:
    """Open and overdue over every year; lex Sarah, IVO and time to closure in `year`."""
    ivo_categories = {c.id for c in rules.categories.values() if c.ivo}
    open_rows = [r for r in rows if not rules.is_closed(r.deviation.status)]
    closed = [r.deviation for r in rows if r.deviation.closed_on and r.deviation.closed_on.year == year]
    days = [(d.closed_on - d.reported_on).days for d in closed]
    table = Table(id="sammanfattning", caption="Sammanfattning",
                  columns=[Column("measure", "Mått"), Column("value", "Värde", "value")])
    table.add({"measure": "Öppna avvikelser (alla år)", "value": len(open_rows)}, kind="int")
    table.add({"measure": "Varav med en passerad tidsgräns", "value": sum(1 for r in open_rows if r.overdue)},
              kind="int")
    table.add({"measure": f"Lex Sarah-rapporter {year}",
               "value": sum(1 for r in rows if r.deviation.category in ivo_categories and r.deviation.year == year)},
              kind="int")
    table.add({"measure": f"Anmälda till IVO {year}",
               "value": sum(1 for r in rows if r.deviation.ivo_reported_on and r.deviation.ivo_reported_on.year == year)},
              kind="int")
    table.add({"measure": f"Mediantid från rapport till avslut {year}, dagar",
               "value": statistics.median(days) if days else None}, kind="days")
    return table


# ---------------------------------------------------------------- counts (exact, or masked for the nämnd)


def count_tables(rules: DeviationRules, deviations: list[Deviation], forvaltning_of: dict[str, str | None],
                 names: dict[str, str], masked: bool) -> dict[str, Table]:
    """month × category and förvaltning × status for the deviations of one year (already filtered)."""
    categories = list(rules.categories)
    statuses = list(rules.statuses)
    by_month = np.zeros((12, len(categories)), dtype=np.int64)
    for d in deviations:
        if d.category in categories:
            by_month[d.reported_on.month - 1, categories.index(d.category)] += 1
    forvaltningar = sorted({f for f in forvaltning_of.values() if f}, key=lambda f: names.get(f, f))
    row_keys = [*forvaltningar, *([None] if any(forvaltning_of.get(d.unit_id) is None for d in deviations) else [])]
    by_place = np.zeros((max(len(row_keys), 1), len(statuses)), dtype=np.int64)
    for d in deviations:
        if d.status in statuses:
            by_place[row_keys.index(forvaltning_of.get(d.unit_id)), statuses.index(d.status)] += 1
    month_rows = [f"{m}" for m in MONTHS]
    place_rows = [names.get(f, f) if f else NO_FORVALTNING for f in row_keys] or [NO_FORVALTNING]
    month_cells, place_cells = shown_cells(smallnumbers.with_totals(by_month), smallnumbers.with_totals(by_place), masked)
    return {
        "manad_kategori": _count_table(
            "manad_kategori", "Antal per månad (rapporterad) och typ", "Månad", month_rows,
            [(c, rules.categories[c].title) for c in categories], month_cells, masked),
        "forvaltning_status": _count_table(
            "forvaltning_status", "Antal per förvaltning och status", "Förvaltning", place_rows,
            [(s, rules.statuses[s].title) for s in statuses], place_cells, masked),
    }


def shown_cells(first: np.ndarray, second: np.ndarray, masked: bool) -> tuple[list[list], list[list]]:
    """Both tables with totals as shown: exact, or masked so that they cannot be combined."""
    if not masked:
        return first.tolist(), second.tolist()
    results = [smallnumbers.suppress(first), smallnumbers.suppress(second)]
    grand_hidden = [bool(r.hidden[-1, -1]) for r in results]
    shown = []
    for i, result in enumerate(results):
        cells = result.cells()
        other_shows_total = not grand_hidden[1 - i]
        if result.secondary[-1, -1] and other_shows_total:
            cells = [[smallnumbers.SECONDARY_TEXT] * len(line) for line in cells]
        shown.append(cells)
    return shown[0], shown[1]


def _count_table(table_id: str, caption: str, row_header: str, row_labels: list[str],
                 columns: list[tuple[str, str]], cells: list[list], masked: bool) -> Table:
    table = Table(
        id=table_id, caption=caption,
        columns=[Column("label", row_header), *(Column(key, title, "int") for key, title in columns),
                 Column("total", smallnumbers.TOTAL_LABEL, "int")],
        note=MASK_NOTE if masked else "",
    )
    keys = [key for key, _ in columns] + ["total"]
    for label, line in zip([*row_labels, smallnumbers.TOTAL_LABEL], cells, strict=True):
        table.add({"label": label, **dict(zip(keys, line, strict=True))})
    return table
