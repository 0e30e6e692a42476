"""`egenkontroll planera`: when will the deadlines break under a surge and a staffing plan?

Why it exists: a manager facing a rising inflow (seed 001: 5,519 unaccompanied children to
Stockholm county in 2015 against 888 planned) needs the week the 14-day and 4-month limits
break before it happens, from the command line as on the Planering page. The model and its
limits are in core.planning and docs/planning.md; this is a thin shell over it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from egenkontroll.cli.app import app
from egenkontroll.cli.core_commands import err, load_source, parse_date, write_rejects

COLUMNS = (
    ("iso_week", "Vecka", None),
    ("inflow", "Inflöde", 0),
    ("decisions", "Beslut", 0),
    ("undecided", "Väntar", 0),
    ("new_investigations", "Nya utr.", 0),
    ("concluded", "Avslutade", 0),
    ("open_investigations", "Pågående utr.", 0),
    ("caseworkers", "Handl.", 0),
    ("wait_days", "Väntetid d", 1),
    ("investigation_days", "Utr.-tid d", 1),
    ("cases_per_caseworker", "Ärenden/hdl.", 1),
)


def baseline_lines(baseline) -> list[str]:
    b = baseline
    return [
        f"Underlag: {b.weeks} veckor till och med {b.as_of}, enhet {b.unit_id}.",
        f"  Anmälningar per vecka {b.reports_per_week:.1f}; andel som leder till utredning {b.inleda_share:.0%}.",
        f"  Väntar på förhandsbedömning {b.undecided}; pågående utredningar {b.open_investigations}; "
        f"övriga öppna ärenden {b.other_open_cases}.",
        f"  Handläggare {b.caseworkers}; per handläggarvecka {b.decisions_per_caseworker_week:.2f} beslut och "
        f"{b.conclusions_per_caseworker_week:.2f} avslutade utredningar; andel tid på utredningar "
        f"{b.investigation_share:.0%}.",
    ]


def text_report(baseline, frame: pl.DataFrame, norm: float) -> None:
    from egenkontroll.core.planning import describe_breaks

    console = Console(width=max(Console().width, 120))
    for line in baseline_lines(baseline):
        console.print(escape(line), highlight=False)
    for warning in baseline.warnings():
        console.print(f"[yellow]Obs: {escape(warning)}[/yellow]", highlight=False)
    table = Table(title="Vecka för vecka (planeringsstöd, inte en prognos)")
    for _, header, _ in COLUMNS:
        table.add_column(header, justify="right")
    for row in frame.iter_rows(named=True):
        table.add_row(*(_cell(row[key], digits) for key, _, digits in COLUMNS))
    console.print(table)
    for line in describe_breaks(frame, norm):
        console.print(escape(line), highlight=False)


def _cell(value, digits: int | None) -> str:
    if digits is None:
        return str(value)
    if value == float("inf"):
        return "∞"
    return f"{value:.{digits}f}"


def csv_text(frame: pl.DataFrame) -> str:
    return frame.with_columns(pl.col(pl.Float64).round(2)).write_csv(date_format="%Y-%m-%d")


@app.command("planera")
def planera(
    data: Path = typer.Option(None, "--data", help="Datamängd i utbytesformatet: katalog med CSV, .xlsx eller .zip."),
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…) i stället för --data."),
    unit: str = typer.Option(None, "--enhet", help="Enhet (unit_id) med allt under den. Standard: hela staden."),
    as_of: str = typer.Option(None, "--per", help="Läget per denna dag (ÅÅÅÅ-MM-DD). Standard: datamängdens sista dag."),
    weeks: int = typer.Option(26, "--veckor", min=1, max=156, help="Antal veckor framåt."),
    history: int = typer.Option(26, "--underlag", min=1, max=156, help="Antal veckor bakåt som takten räknas från."),
    inflow: float = typer.Option(1.0, "--inflode", min=0, help="Inflödet som faktor av det vanliga (1.0 = som nu)."),
    surge: float = typer.Option(None, "--topp", min=0, help="En topp: inflödet gånger denna faktor …"),
    surge_from: int = typer.Option(1, "--topp-fran", min=1, help="… från denna vecka (1 = nästa vecka) …"),
    surge_weeks: int = typer.Option(12, "--topp-veckor", min=0, help="… i så här många veckor."),
    staff: str = typer.Option(None, "--personal", help="Ändrad bemanning, ändring@vecka: \"+3@4,-2@10\"."),
    share: float = typer.Option(
        None, "--andel-utredning", min=0, max=1, help="Andel av arbetstiden på utredningar (standard: som under underlaget)."
    ),
    fmt: str = typer.Option("text", "--format", help="text (tabell och slutsatser) eller csv (en rad per vecka)."),
) -> None:
    """Planera för en topp: vilken vecka bryts 14-dagarsfristen och 4-månadersfristen?"""
    from egenkontroll.core import kpis, orgtree, planning

    if fmt not in {"text", "csv"}:
        raise typer.BadParameter("--format ska vara text eller csv")
    try:
        changes = planning.parse_staffing(staff)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--personal") from None
    events, org_units, caseworkers, rejects = load_source(data, db)
    write_rejects(rejects, None)
    day = parse_date(as_of, "--per") or events["date"].max()
    if day is None:
        err.print("[red]Datamängden har inga händelser.[/red]")
        raise typer.Exit(1)
    flat = orgtree.flatten(org_units)
    if unit is None:
        roots = orgtree.roots(flat)
        if len(roots) != 1:
            raise typer.BadParameter(f"ange --enhet (flera toppenheter: {', '.join(roots)})")
        unit = roots[0]
    try:
        catalogue = kpis.configured_catalogue()
        scenario = planning.Scenario(
            weeks=weeks,
            inflow=inflow,
            surge=planning.Surge(surge, surge_from, surge_weeks) if surge is not None else None,
            staffing=changes,
            investigation_share=share,
            caseload_norm=planning.norm_from(catalogue),
        )
        baseline = planning.calibrate(events, caseworkers, org_units, unit, day, history)
    except (ValueError, orgtree.OrgTreeError) as exc:
        err.print(f"[red]egenkontroll: {escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(1) from None
    frame = planning.simulate(baseline, scenario)
    if fmt == "csv":
        sys.stdout.write(csv_text(frame))
        return
    text_report(baseline, frame, scenario.caseload_norm)
