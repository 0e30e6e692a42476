"""Planering's scenario as one PDF for the nämnd (WeasyPrint) and one workbook of every table.

Why it exists: the nämnd reads papers, and a planner brings a scenario to it; a controller keeps
the figures in Excel. Both files are made from the very tables the page builds for the reader's
role, so the nämnd's copy is masked exactly as its page: counts under 5 as "<5", the secondary
suppression among the placement types, no cost in a week a type is hidden, no caseworker need,
no baseline and no weekly queue. The PDF prints each series as "mean (2.5–97.5 %)" beside the
Swedish note on reading the bands; the workbook keeps mean, low and high in columns of their own.
The PDF is rendered as the committee report's is (reports.exports: stylesheet inline, no URL
fetched).
"""

from __future__ import annotations

from django.template.loader import render_to_string

from egenkontroll.pages import downloads
from egenkontroll.pages.tables import Column, Table, format_value

# Short sheet names of the workbook, by table id (Excel allows 31 characters).
SHEETS = {
    "frist14": "14 dagar", "frist4m": "4 månader", "placeringar": "Placerade barn",
    "placeringstyper": "Placeringsformer", "kostnad": "Kostnad", "handlaggare": "Handläggare",
    "underlag": "Underlag", "veckor": "Vecka för vecka",
}
WHOLE_KRONOR = ("kostnad",)  # tables whose values are kronor: whole kronor in the PDF


def scenario_facts(form) -> list[tuple[str, str]]:
    """The scenario in words: every field the user filled in, as typed (the form is valid)."""
    facts = [("Veckor framåt", str(form.value("veckor")))]
    for name, field in form.fields.items():
        raw = form.data.get(name)
        if name in ("enhet", "veckor") or raw in (None, ""):
            continue
        choices = dict(getattr(field, "choices", ()) or ())
        facts.append((field.label, str(choices.get(raw, raw))))
    return facts


def band_table(table: Table) -> Table:
    """A chart's table for print: each mean and its band in one cell, "12,3 (10,0–15,0)", a masked
    value as it is ("<5"); the week's start date left out (the week names it)."""
    keys = [c.key for c in table.columns]
    groups: dict[str, tuple[str, str, str]] = {}  # first key of a group → (mean, low, high)
    for col in table.columns:
        if col.key.endswith("_mean"):
            prefix = col.key.removesuffix("_mean")
            groups[col.key] = (col.key, f"{prefix}_low", f"{prefix}_high")
    if "band_low" in keys:  # the limit charts: the expected time just before its band
        days = keys[keys.index("band_low") - 1]
        groups[days] = (days, "band_low", "band_high")
    inside = {k for group in groups.values() for k in group[1:]}
    kinds = {c.key: c.kind for c in table.columns}
    columns = []
    for col in table.columns:
        if col.key == "week_start" or col.key in inside:
            continue
        if col.key in groups:
            columns.append(Column(col.key, col.header.removesuffix(": medel") + " (95 %-band)", "text"))
        else:
            columns.append(col)
    out = Table(id=table.id, caption=table.caption, columns=columns, note=table.note)
    whole = table.id in WHOLE_KRONOR
    for row in table.rows:
        shown = {c.key: row.get(c.key) for c in columns}
        for key, (mean, low, high) in groups.items():
            kind = "int" if whole else ("days" if kinds[mean] == "days" else "ratio")
            shown[key] = _with_band(row.get(mean), row.get(low), row.get(high), kind)
        out.add(shown)
    return out


def _with_band(mean, low, high, kind: str) -> str:
    if isinstance(mean, str):  # "<5" for the nämnd, "∞" for a queue nobody works on
        return mean
    return f"{format_value(_rounded(mean, kind), kind)} ({format_value(_rounded(low, kind), kind)}–" \
           f"{format_value(_rounded(high, kind), kind)})"


def _rounded(value, kind: str):
    return round(value) if kind == "int" and isinstance(value, float) else value


def to_pdf(data, request) -> bytes:
    """The scenario as the reader's page shows it, on paper."""
    context = data.context
    tables = [band_table(c.table) for c in data.charts] + [t for t in data.tables if t.id == "underlag"]
    html = render_to_string("planning/scenario_pdf.html", {
        **context, "title": data.title, "facts": scenario_facts(context["form"]), "print_tables": tables,
    }, request=request)
    return downloads.to_pdf(html)


def to_xlsx(data) -> bytes:
    """One sheet with the scenario and its conclusions, then one per table (bands in their own columns)."""
    context = data.context
    summary = Table(id="scenario", caption="Scenario", columns=[Column("what", "Uppgift"), Column("value", "Värde")])
    for label, value in [("Enhet", context["name"]), ("Läget per", context["as_of"].isoformat()),
                         *scenario_facts(context["form"])]:
        summary.add({"what": label, "value": value})
    for line in [*context["sentences"], *context["warnings"], *context["cost_sentences"], *context["placement_warnings"]]:
        summary.add({"what": "Slutsats", "value": line})
    if context["prices_example"]:
        summary.add({"what": "Priser", "value": "Exempelpriser, inte kommunens egna."})
    summary.add({"what": "Så läser du banden", "value": context["band_note"]})
    tables = [c.table for c in data.charts] + list(data.tables)
    return downloads.to_xlsx_sheets([("Scenario", summary)] + [(SHEETS.get(t.id, t.caption), t) for t in tables],
                                    wrap_over=60)
