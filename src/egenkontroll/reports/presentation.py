"""The report document as the tables and charts the page, the PDF and the workbook show.

Why it exists: the three outputs must agree, and the nämnd (and a reader whose figure scope
does not cover the whole report unit) must see small numbers masked in all of them. The
document holds each exact value and beside it the cell the nämnd's Översikt shows for the
same month (`masking`: "<5" for 1–4, "x" for a cell hidden so that a "<5" cannot be worked out
from the city and the other förvaltningar); the masked view shows the latter and no
numerators or denominators at all.
"""

from __future__ import annotations

import datetime as dt

from egenkontroll.overview import charts
from egenkontroll.overview import figures as F
from egenkontroll.overview.tables import MASK_NOTE, Column, Table, format_value
from egenkontroll.overview.views.common import Chart

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
STATUS_TEXT = {"ok": "ok", "miss": "avviker"}
STATUS_CSS = {"ok": "mal-ok", "miss": "mal-miss"}
LEVEL_TEXT = {"forvaltning": "Förvaltning", "stad": "Stad"}


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
    """The value as shown: counts whole, None without a value; masked, the cell of Översikt."""
    if masked:
        return fig["masked_value"]
    if fig["kind"] == "count":
        return int(fig.get("numerator") or 0)
    return fig.get("value")


def target_text(fig: dict) -> str:
    if fig.get("target") is None or fig["better"] == "neutral":
        return ""
    sign = "≥" if fig["better"] == "higher" else "≤"
    return f"{sign} {format_value(fig['target'], kind(fig))}"


def shown_text(fig: dict, masked: bool) -> str:
    return format_value(shown(fig, masked), kind(fig))


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
        status = fig.get("status")
        row = {
            "title": fig["title"],
            "target": target_text(fig),
            "value": shown(fig, masked),
            "status": STATUS_TEXT.get(status, "inget mål" if not target_text(fig) else "inget värde"),
        }
        if not masked:
            row |= {"numerator": fig.get("numerator"), "denominator": fig.get("denominator")}
        table.add(row, css={"value": STATUS_CSS.get(status, ""), "status": STATUS_CSS.get(status, "")}, kind=kind(fig))
    return table


def trend_table(dev: dict, masked: bool) -> Table:
    columns = [Column("month", "Månad"), Column("value", "Värde", "value")]
    if not masked:
        columns += [Column("numerator", "Täljare", "int"), Column("denominator", "Nämnare", "int")]
    columns.append(Column("status", "Måluppfyllelse"))
    table = Table(
        id=f"trend-{dev['kpi']}", caption=f"{dev['title']}: de senaste {len(dev['trend'])} månaderna", columns=columns
    )
    for point in dev["trend"]:
        fig = {**dev, **point}
        row = {"month": month_label(point["month"]), "value": shown(fig, masked), "status": STATUS_TEXT.get(point["status"], "–")}
        if not masked:
            row |= {"numerator": point["numerator"], "denominator": point["denominator"]}
        table.add(row, css={"value": STATUS_CSS.get(point["status"], "")}, kind=kind(dev))
    return table


def trend_chart(dev: dict, masked: bool) -> Chart:
    """A line over the six months with the target as a reference line; masked points are gaps."""
    values = [shown({**dev, **p}, masked) for p in dev["trend"]]
    plotted = [v if isinstance(v, int | float) else None for v in values]
    figure = charts.lines(
        [short_month(p["month"]) for p in dev["trend"]],
        [(dev["title"], plotted)],
        F.UNIT_LABEL[dev["unit"]],
        percent=dev["unit"] == "andel",
        reference=dev.get("target"),
    )
    return Chart(id=f"trend-{dev['kpi']}", title=f"{dev['title']}, sex månader", figure=figure,
                 table=trend_table(dev, masked))


def deviation_sections(doc: dict, masked: bool) -> list[dict]:
    """One entry per deviation: texts, the trend (chart and table) and the analysis."""
    analyses = doc.get("analyses", {})
    return [
        {
            "kpi": dev["kpi"],
            "title": dev["title"],
            "value": shown_text(dev, masked),
            "target": target_text(dev),
            "recurring": dev["recurring"],
            "chart": trend_chart(dev, masked),
            "analysis": analyses.get(dev["kpi"], {}),
        }
        for dev in doc["deviations"]
    ]


def deviations_table(doc: dict, masked: bool) -> Table:
    """The deviations with their analyses, one row each (the workbook's second sheet)."""
    columns = [Column("title", "Nyckeltal"), Column("target", "Mål", "id"), Column("value", "Värde", "value")]
    if not masked:
        columns += [Column("numerator", "Täljare", "int"), Column("denominator", "Nämnare", "int")]
    columns += [Column("recurring", "Återkommande"), Column("cause", "Orsak"), Column("actions", "Vidtagna och planerade åtgärder")]
    table = Table(id="avvikelser", caption=f"Avvikelser {month_label(doc['month'])}", columns=columns)
    analyses = doc.get("analyses", {})
    for dev in doc["deviations"]:
        analysis = analyses.get(dev["kpi"], {})
        row = {
            "title": dev["title"], "target": target_text(dev), "value": shown(dev, masked),
            "recurring": "ja" if dev["recurring"] else "nej",
            "cause": analysis.get("cause", ""), "actions": analysis.get("actions", ""),
        }
        if not masked:
            row |= {"numerator": dev.get("numerator"), "denominator": dev.get("denominator")}
        table.add(row, kind=kind(dev))
    return table
