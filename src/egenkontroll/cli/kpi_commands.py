"""`egenkontroll kpi`: the key figures of the whole organisation tree from the command line.

Why it exists: controllers and the committee's report need the same figures the web pages
show, for any period and any part of the tree, without a server. The JSON is the tree the
pages drill through; the CSV is the long table (one row per node × figure) for spreadsheets.
Where the data comes from is one function, `kpi_inputs`, so other sources (a database) plug in
without touching the command.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import NamedTuple

import polars as pl
import typer
from rich.markup import escape

from egenkontroll.cli.app import app
from egenkontroll.cli.core_commands import err, load_source_with_extras, parse_date, write_rejects
from egenkontroll.core.linking import Links


class KpiInputs(NamedTuple):
    events: pl.DataFrame
    obligations: pl.DataFrame
    org_units: pl.DataFrame
    caseworkers: pl.DataFrame
    links: Links | None = None  # the obligations engine's linking, reused when at hand
    staffing: pl.DataFrame | None = None  # the optional posts table (issue 16)
    population: pl.DataFrame | None = None  # children per area and year: the per-1,000 figures


def kpi_inputs(data: Path | None, as_of: dt.date, db: str | None = None) -> KpiInputs:
    """Read an interchange dataset or an imported database and evaluate its obligations on `as_of`.

    Both sources go through the same engine, so a figure is the same whichever is asked.
    """
    from egenkontroll.core.obligations import evaluate

    events, org_units, caseworkers, rejects, staffing, population = load_source_with_extras(data, db)
    evaluation = evaluate(events, as_of)
    write_rejects(pl.concat([rejects, evaluation.rejects]), None)
    obligations = evaluation.obligations
    if db is not None:  # staff's marks live in the database, as on the web pages (core/marks.py)
        from egenkontroll.cases.marks import active_marks
        from egenkontroll.cases.store import connect
        from egenkontroll.core.marks import apply_marks

        obligations = apply_marks(obligations, active_marks(connect(db) if "://" in db else db))
    return KpiInputs(events, obligations, org_units, caseworkers, evaluation.links, staffing, population)


def subtree_rows(figures: pl.DataFrame, unit: str) -> pl.DataFrame:
    """The rows of `unit`, the units below it and the caseworkers belonging to any of them."""
    from egenkontroll.core.orgtree import OrgTreeError

    units = figures.filter(pl.col("node_type") == "unit").select("node_id", "parent_id").unique()
    if unit not in units["node_id"]:
        raise OrgTreeError(f"okänd enhet: {unit}")
    ids = [unit]
    frontier = [unit]
    while frontier:
        frontier = units.filter(pl.col("parent_id").is_in(frontier))["node_id"].to_list()
        ids.extend(frontier)
    unit_rows = (pl.col("node_type") == "unit") & pl.col("node_id").is_in(ids)
    caseworker_rows = (pl.col("node_type") == "caseworker") & pl.col("parent_id").is_in(ids)
    return figures.filter(unit_rows | caseworker_rows)


@app.command("kpi")
def kpi_command(
    data: Path = typer.Option(None, "--data", help="Datamängd i utbytesformatet: katalog med CSV, .xlsx eller .zip."),
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…) i stället för --data."),
    period_from: str = typer.Option(..., "--from", help="Periodens första dag (ÅÅÅÅ-MM-DD)."),
    period_to: str = typer.Option(..., "--to", help="Periodens sista dag (ÅÅÅÅ-MM-DD), den dagen inräknad."),
    as_of: str = typer.Option(None, "--as-of", help="Avstämningsdag för lägesmått (öppna ärenden, försenade). Standard: --to."),
    unit: str = typer.Option(None, "--unit", help="Visa bara denna enhet och allt under den (unit_id). Standard: hela staden."),
    fmt: str = typer.Option(
        "json", "--format",
        help="json (trädet), csv (en rad per nod och nyckeltal) eller kolada (nyckeltalen med nationell "
        "definition för hela kommunen, i Koladas kolumner kpi, municipality, period, gender, value).",
    ),
    kommun: str = typer.Option(
        None, "--kommun", help="Kommunkoden (fyra siffror, t.ex. 0180) i kolumnen municipality för --format kolada."
    ),
) -> None:
    """Nyckeltal för varje nivå i organisationen, från grupp och handläggare upp till staden."""
    from egenkontroll.core import costs, kpi_catalogue, kpis
    from egenkontroll.core.orgtree import OrgTreeError

    if fmt not in {"json", "csv", "kolada"}:
        raise typer.BadParameter("--format ska vara json, csv eller kolada")
    if fmt == "kolada" and (kommun is None or not (kommun.isdigit() and len(kommun) == 4)):
        raise typer.BadParameter("--format kolada kräver --kommun med kommunkodens fyra siffror, t.ex. 0180")
    start, end = parse_date(period_from, "--from"), parse_date(period_to, "--to")
    day = parse_date(as_of, "--as-of") or end
    if start > end:
        raise typer.BadParameter(f"perioden börjar {start} efter att den slutar {end}", param_hint="--from")
    try:
        catalogue = kpi_catalogue.configured_catalogue()
        prices = costs.load_prices()  # EGK_PLACEMENT_PRICES_FILE: placeringskostnad
    except (kpi_catalogue.KpiCatalogueError, costs.PriceListError) as exc:
        err.print(f"[red]egenkontroll: {escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    inputs = kpi_inputs(data, day, db)
    try:
        figures = kpis.compute(
            inputs.events, inputs.obligations, inputs.org_units, inputs.caseworkers, start, end, day,
            catalogue=catalogue, links=inputs.links, staffing=inputs.staffing, prices=prices,
            population=inputs.population,
        )
        if fmt == "kolada":
            output = _kolada(inputs, figures, catalogue, kommun, (start, end, day), unit)
        elif fmt == "json":
            tree = kpis.build_tree(figures, root=unit, catalogue=catalogue)
            output = json.dumps(tree, ensure_ascii=False, indent=1) + "\n"
        else:
            output = (subtree_rows(figures, unit) if unit is not None else figures).write_csv(null_value="")
    except OrgTreeError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    sys.stdout.write(output)


def _kolada(inputs: KpiInputs, figures: pl.DataFrame, catalogue, kommun: str, days, unit: str | None) -> str:
    """The national figures of the root (or `unit`) in Kolada's layout; warnings to standard error."""
    from egenkontroll.core import kolada, kpis, orgtree

    start, end, day = days
    ids = [k.id for k in kolada.national_figures(catalogue)]
    by_gender = kpis.compute(
        inputs.events, inputs.obligations, inputs.org_units, inputs.caseworkers, start, end, day,
        kpi_ids=ids, breakdown="gender", catalogue=catalogue, links=inputs.links, population=inputs.population,
    )
    roots = orgtree.roots(orgtree.flatten(inputs.org_units))
    node = unit or (roots[0] if len(roots) == 1 else None)
    if node is None:
        raise orgtree.OrgTreeError(f"trädet har {len(roots)} rotenheter ({', '.join(roots)}); välj en enhet med --unit")
    for line in kolada.warnings(catalogue):
        err.print(f"[yellow]varning: {escape(line)}[/yellow]", highlight=False, soft_wrap=True)
    return kolada.rows(figures, by_gender, catalogue, kommun, end.year, node).write_csv(null_value="")
