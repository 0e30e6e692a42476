"""The report document as the tables and charts the page, the PDF and the workbook show.

Why it exists: the three outputs must agree, and the nämnd (and a reader whose figure scope
does not cover the whole report unit) must see small numbers masked in all of them. The
document holds each exact value and beside it the cell the nämnd's Översikt shows for the
same month (`masking`: "<5" for 1–4, "x" for a cell hidden so that a "<5" cannot be worked out
from the city and the other förvaltningar); the masked view shows the latter and no
numerators or denominators at all.

A masked cell carries no target status and no colour, as on Översikt: "avviker" beside a "<5"
share with a target of 100 % would say that 1–4 children missed it. A target miss whose own value
is masked is listed with SMALL_BASE_TEXT and without its trend or recurrence.
"""

from __future__ import annotations

import datetime as dt

from egenkontroll.pages import charts
from egenkontroll.pages import figures as F
from egenkontroll.pages.frame import Chart
from egenkontroll.pages.tables import (
    MASK_NOTE,
    SPACE,
    Column,
    Table,
    format_against,
    format_target,
    format_value,
)
from egenkontroll.reports.masking import is_hidden

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
STATUS_TEXT = {"ok": "ok", "miss": "avviker"}
STATUS_CSS = {"ok": "mal-ok", "miss": "mal-miss"}
LEVEL_TEXT = {"forvaltning": "Förvaltning", "stad": "Stad"}
SMALL_BASE_TEXT = "underlag för litet för att redovisas"
# The status column of a masked cell: no status at all.
HIDDEN_STATUS = "–"


def month_label(month: str | dt.date) -> str:
    """"januari 2026"."""
    day = dt.date.fromisoformat(month) if isinstance(month, str) else month
    return f"{MONTHS[day.month - 1]} {day.year}"


def short_month(month: str) -> str:
    day = dt.date.fromisoformat(month)
    return f"{MONTHS[day.month - 1][:3]} {day.year}"


def kind(fig: dict) -> str:
    return F.KIND_OF_UNIT[fig["unit"]]


def shown(fig: dict, masked: bool):
    """The value as shown: counts whole, None without a value; masked, the cell of Översikt.

    A count without a value (posts, vacancies without staffing.csv) is None — "–" — not 0.
    """
    if masked:
        return fig["masked_value"]
    if fig["kind"] == "count":
        return None if fig.get("value") is None else int(fig.get("numerator") or 0)
    return fig.get("value")


def target_text(fig: dict) -> str:
    if fig.get("target") is None or fig["better"] == "neutral":
        return ""
    sign = "≥" if fig["better"] == "higher" else "≤"
    return f"{sign}{SPACE}{format_target(fig['target'], kind(fig))}"


def judged_target(fig: dict) -> float | None:
    """The target the figure's value is judged against; None without a verdict."""
    return None if fig["better"] == "neutral" else fig.get("target")


def shown_text(fig: dict, masked: bool) -> str:
    value, target = shown(fig, masked), judged_target(fig)
    if target is not None and isinstance(value, int | float):
        return format_against(value, target, kind(fig))
    return format_value(value, kind(fig))


def summary_table(doc: dict, masked: bool) -> Table:
    """Every figure of the month with its target and whether it is met."""
    columns = [Column("title", "Nyckeltal"), Column("target", "Mål", "id"), Column("value", "Värde", "value")]
    if not masked:
        columns += [Column("numerator", "Täljare", "int"), Column("denominator", "Nämnare", "int")]
    columns.append(Column("status", "Måluppfyllelse"))
    table = Table(
        id="nyckeltal",
        caption=f"Alla nyckeltal {month_label(doc['month'])} – {doc['unit']['name']}",
        columns=columns,
        note=MASK_NOTE if masked else "",
    )
    for fig in doc["figures"]:
        value = shown(fig, masked)
        status = None if is_hidden(value) else fig.get("status")
        row = {
            "title": fig["title"],
            "target": target_text(fig),
            "value": value,
            "status": _status_text(status, value, fallback="inget mål" if not target_text(fig) else "inget värde"),
        }
        if not masked:
            row |= {"numerator": fig.get("numerator"), "denominator": fig.get("denominator")}
        table.add(row, css={"value": STATUS_CSS.get(status, ""), "status": STATUS_CSS.get(status, "")}, kind=kind(fig),
                  targets={"value": judged_target(fig)})
    return table


def _status_text(status: str | None, value, fallback: str) -> str:
    if is_hidden(value):
        return HIDDEN_STATUS
    return STATUS_TEXT.get(status, fallback)


def trend_table(miss: dict, masked: bool) -> Table:
    columns = [Column("month", "Månad"), Column("value", "Värde", "value")]
    if not masked:
        columns += [Column("numerator", "Täljare", "int"), Column("denominator", "Nämnare", "int")]
    columns.append(Column("status", "Måluppfyllelse"))
    table = Table(
        id=f"trend-{miss['kpi']}", caption=f"{miss['title']}: de senaste {len(miss['trend'])} månaderna", columns=columns
    )
    for point in miss["trend"]:
        value = shown({**miss, **point}, masked)
        status = None if is_hidden(value) else point["status"]
        row = {"month": month_label(point["month"]), "value": value, "status": _status_text(status, value, "–")}
        if not masked:
            row |= {"numerator": point["numerator"], "denominator": point["denominator"]}
        table.add(row, css={"value": STATUS_CSS.get(status, "")}, kind=kind(miss), targets={"value": judged_target(miss)})
    return table


def trend_chart(miss: dict, masked: bool) -> Chart:
    """A line over the six months with the target as a reference line; masked points are gaps."""
    values = [shown({**miss, **p}, masked) for p in miss["trend"]]
    plotted = [v if isinstance(v, int | float) else None for v in values]
    figure = charts.lines(
        [short_month(p["month"]) for p in miss["trend"]],
        [(miss["title"], plotted)],
        F.UNIT_LABEL[miss["unit"]],
        percent=miss["unit"] == "andel",
        reference=miss.get("target"),
        reference_name=f"Mål {target_text(miss)}",
    )
    return Chart(id=f"trend-{miss['kpi']}", title=f"{miss['title']}, sex månader", figure=figure,
                 table=trend_table(miss, masked))


def value_hidden(miss: dict, masked: bool) -> bool:
    """The target miss's own value is masked: show it without value, status, trend or recurrence."""
    return masked and is_hidden(shown(miss, masked))


def recurring(miss: dict, masked: bool) -> bool:
    """Återkommande, said only when the previous month's value is shown (it tells that month's status)."""
    if not miss["recurring"]:
        return False
    return not masked or (len(miss["trend"]) > 1 and not is_hidden(shown({**miss, **miss["trend"][-2]}, masked)))


def target_miss_sections(doc: dict, masked: bool) -> list[dict]:
    """One entry per target miss: texts, the trend (chart and table) and the analysis."""
    analyses = doc.get("analyses", {})
    sections = []
    for miss in doc["target_misses"]:
        hidden = value_hidden(miss, masked)
        sections.append(
            {
                "kpi": miss["kpi"],
                "title": miss["title"],
                "hidden": hidden,
                "value": SMALL_BASE_TEXT if hidden else shown_text(miss, masked),
                "target": target_text(miss),
                "recurring": not hidden and recurring(miss, masked),
                "chart": None if hidden else trend_chart(miss, masked),
                "analysis": analyses.get(miss["kpi"], {}),
            }
        )
    return sections


def target_misses_table(doc: dict, masked: bool) -> Table:
    """The target misses with their analyses, one row each (the workbook's second sheet)."""
    columns = [Column("title", "Nyckeltal"), Column("target", "Mål", "id"), Column("value", "Värde", "value")]
    if not masked:
        columns += [Column("numerator", "Täljare", "int"), Column("denominator", "Nämnare", "int")]
    columns += [Column("recurring", "Återkommande"), Column("cause", "Orsak"), Column("actions", "Vidtagna och planerade åtgärder")]
    table = Table(id="avvikelser", caption=f"Avvikelser {month_label(doc['month'])}", columns=columns)
    analyses = doc.get("analyses", {})
    for miss in doc["target_misses"]:
        analysis = analyses.get(miss["kpi"], {})
        hidden = value_hidden(miss, masked)
        row = {
            "title": miss["title"], "target": target_text(miss),
            "value": SMALL_BASE_TEXT if hidden else shown(miss, masked),
            "recurring": HIDDEN_STATUS if hidden else "ja" if recurring(miss, masked) else "nej",
            "cause": analysis.get("cause", ""), "actions": analysis.get("actions", ""),
        }
        if not masked:
            row |= {"numerator": miss.get("numerator"), "denominator": miss.get("denominator")}
        table.add(row, kind=kind(miss), targets={"value": judged_target(miss)})
    return table
