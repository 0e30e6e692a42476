"""`egenkontroll generate`: write a synthetic municipality, or describe one beside its targets.

No real case data may ever be used to develop or demonstrate the system; this command makes the
data everything else is tried on (see docs/synthetic-data.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from egenkontroll.cli.app import app
from egenkontroll.core.synth import SCALES, describe
from egenkontroll.core.synth import generate as make

err = Console(stderr=True)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} är inget datum ÅÅÅÅ-MM-DD", param_hint="--start") from None


@app.command()
def generate(
    scale: str = typer.Option("small", "--scale", help=f"Storlek: {', '.join(SCALES)}."),
    seed: int = typer.Option(1, "--seed", help="Slumpfrö: samma frö och argument ger identiska filer."),
    out: Path = typer.Option(None, "--out", help="Katalog (csv) eller fil (xlsx, zip) att skriva till."),
    fmt: str = typer.Option("csv", "--format", help="csv (katalog), xlsx (en arbetsbok) eller zip."),
    start: str = typer.Option(None, "--start", help="Periodens första dag ÅÅÅÅ-MM-DD (standard: tre år bakåt)."),
    years: int = typer.Option(3, "--years", help="Periodens längd i år."),
    surge: bool = typer.Option(False, "--surge", help="En tillströmning av ensamkommande barn som hösten 2015."),
    size_factor: float = typer.Option(1.0, "--size-factor", help="Skala antalet anmälningar (t.ex. 0.1 för test)."),
    describe_path: Path = typer.Option(None, "--describe", help="Beskriv en genererad datamängd mot målvärdena."),
) -> None:
    """Generera en syntetisk kommun i utbytesformatet v1 (eller beskriv en med --describe)."""
    if describe_path is not None:
        _describe(describe_path)
        return
    if out is None:
        raise typer.BadParameter("ange --out (eller --describe)", param_hint="--out")
    try:
        with _progress() as progress:
            task = progress.add_task("förbereder", total=1)

            def step(label: str, done: int, total: int) -> None:
                progress.update(task, description=label, completed=done, total=total)

            summary = make(scale, seed, out, fmt=fmt, start=_date(start), years=years, surge=surge,
                           size_factor=size_factor, step=step)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    surge_text = f", tillströmning {summary.surge[0]}–{summary.surge[1]}" if summary.surge else ""
    err.print(
        f"Skrev {summary.path}: {summary.districts} förvaltningar, {summary.org_units} enheter, "
        f"{summary.caseworkers} handläggare, {summary.events} händelser "
        f"({summary.reports_in_period} anmälningar {summary.start}–{summary.end}{surge_text}) "
        f"på {summary.seconds:.1f} s."
    )


def _progress() -> Progress:
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.percentage:>3.0f} %"),
                    TimeElapsedColumn(), console=err, transient=False)


def _describe(path: Path) -> None:
    if not path.exists():
        err.print(f"[red]{path} finns inte[/red]")
        raise typer.Exit(1)
    tables = describe.read_tables(path)
    out_console = Console()
    table = Table(title=f"Syntetiska data: {path}", show_lines=False)
    for column in ("Mått", "Genererat", "Mål", "Källa"):
        table.add_column(column, justify="right" if column == "Genererat" else "left")
    for row in describe.marginals(tables):
        table.add_row(row.label, row.value, row.target, row.source)
    out_console.print(table)
    per_quarter = describe.quarterly(tables)
    quarters = Table(title="Per kvartal (period)")
    for column in per_quarter.columns:
        quarters.add_column(column, justify="left" if column == "kvartal" else "right")
    for values in per_quarter.iter_rows():
        quarters.add_row(*("–" if v is None else str(v) for v in values))
    out_console.print(quarters)
