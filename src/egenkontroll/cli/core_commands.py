"""`egenkontroll obligations` and `egenkontroll rules`: the domain core from the command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from egenkontroll.cli.app import OLD_OPTIONS, app, old_option_used
from egenkontroll.core.schema import OBLIGATION_CSV_COLUMNS

err = Console(stderr=True)


def parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} är inget datum ÅÅÅÅ-MM-DD", param_hint=name) from None


def obligations_csv(frame: pl.DataFrame, file=None) -> str | None:
    """The contract's CSV: exactly these columns, ISO dates, empty cells for none, true/false.

    Returned as text, or written to the binary `file` as it is made (4.5M national obligations
    are some 600 MB of text, held twice over as bytes and str when returned).
    """
    out = frame.select(OBLIGATION_CSV_COLUMNS).with_columns(
        pl.when(pl.col("extended")).then(pl.lit("true")).otherwise(pl.lit("false")).alias("extended")
    )
    return out.write_csv(file, date_format="%Y-%m-%d", null_value="")


def obligations_json(frame: pl.DataFrame) -> str:
    rows = frame.select(OBLIGATION_CSV_COLUMNS).with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).to_dicts()
    return json.dumps(rows, ensure_ascii=False, indent=1)


def write_rejects(rejects: pl.DataFrame, path: Path | None) -> None:
    """Summarise rejected rows on stderr (never the values) and write them all to a CSV file."""
    if rejects.height:
        counts = rejects.group_by("file", "reason").len().sort("len", descending=True)
        err.print(f"[yellow]{rejects.height} rader avvisades[/yellow]")
        for file, reason, n in counts.iter_rows():
            err.print(f"  {n:>7}  {file}: {reason}")
    if path:
        rejects.write_csv(path)


def load_source(data: Path | None, db: str | None):
    """Events, org units and caseworkers plus rejects, from an interchange dataset or a database."""
    return load_source_with_extras(data, db)[:4]


def load_source_with_extras(data: Path | None, db: str | None):
    """`load_source` and the optional tables of issue 16: the posts (schema.STAFFING, or None)
    and the population (schema.POPULATION; empty when the source has none)."""
    if (data is None) == (db is None):
        raise typer.BadParameter("ange antingen --data eller --db")
    if data is not None:
        from egenkontroll.core.import_limits import LimitError
        from egenkontroll.core.interchange import InterchangeError, read_dataset

        try:
            ds = read_dataset(data)
        except (InterchangeError, LimitError, FileNotFoundError) as exc:
            err.print(f"[red]Kan inte läsa {data}: {exc}[/red]")
            raise typer.Exit(1) from None
        for warning in ds.warnings:
            err.print(f"[dim]varning: {warning}[/dim]")
        return ds.events, ds.org_units, ds.caseworkers, ds.rejects, ds.staffing, ds.population
    from egenkontroll.cases.store import (
        DatabaseUnavailable,
        connect,
        load_dataset,
        load_population,
        load_staffing,
    )
    from egenkontroll.core.schema import REJECTS, empty

    try:
        events, org_units, caseworkers = load_dataset(db)
        population = load_population(db)
    except DatabaseUnavailable as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    return events, org_units, caseworkers, empty(REJECTS), load_staffing(connect(db) if "://" in db else db), population


@app.command()
def obligations(
    data: Path = typer.Option(None, "--data", help="Datamängd i utbytesformatet: katalog med CSV, .xlsx eller .zip."),
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…) i stället för --data."),
    as_of: str = typer.Option(None, "--as-of", help="Dagen läget avser (ÅÅÅÅ-MM-DD). Standard: i dag."),
    fmt: str = typer.Option("csv", "--format", help="csv eller json."),
    rules: str = typer.Option(None, "--rules", help="Endast dessa regler, kommaseparerade id:n."),
    rejects: Path = typer.Option(None, "--rejects", help="Skriv avvisade rader till denna CSV-fil."),
) -> None:
    """Skriv ut alla skyldigheter (frister) per ärende: förfallodag, uppfyllt datum och status."""
    from egenkontroll.core.obligations import EVALUATED_COLUMNS, cut_columns, evaluate
    from egenkontroll.core.rules import RuleError

    if fmt not in {"csv", "json"}:
        raise typer.BadParameter("--format ska vara csv eller json")
    day = parse_date(as_of, "--as-of") or dt.date.today()
    events, _, _, read_rejects = load_source(data, db)
    # Only what evaluate reads, cut at the day, each column let go as it is cut.
    columns = [events.get_column(c) for c in EVALUATED_COLUMNS]
    del events
    events = cut_columns(columns, day)
    try:
        result = evaluate(events, day, [r.strip() for r in rules.split(",")] if rules else None)
    except RuleError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    write_rejects(pl.concat([read_rejects, result.rejects]), rejects)
    if fmt == "csv":
        sys.stdout.flush()
        obligations_csv(result.obligations, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(obligations_json(result.obligations) + "\n")


UNIT_NAMES = {"days": "dagar", "months": "månader", "years": "år", "working_days": "arbetsdagar"}


def describe_step(step) -> str:
    return f"{step.n} {UNIT_NAMES[step.unit]}"


OLD_OPTIONS["rules"] = {"--references": "--lagrum", "--date": "--datum"}


@app.command("rules")
def rules_command(
    file: Path = typer.Option(None, "--file", help="En egen regelkatalog (standard: EGK_RULES_FILE eller den medföljande)."),
    references: bool = typer.Option(False, "--references", help="Visa också lagrummet för varje regel och de lagrum som inte är verifierade."),
    on: str = typer.Option(None, "--date", help="Visa lagrummet som gäller för en frist som utlöses detta datum (ÅÅÅÅ-MM-DD)."),
    old_references: bool = typer.Option(False, "--lagrum", hidden=True),
    old_on: str = typer.Option(None, "--datum", hidden=True),
) -> None:
    """Visa regelkatalogen: lagkrav och lokala riktlinjer med frister och lagrum."""
    from egenkontroll.core.rules import RuleError, load_catalogue

    if old_references:
        old_option_used("--lagrum", "--references")
        references = True
    if old_on is not None:
        old_option_used("--datum", "--date")
        on = on or old_on

    try:
        catalogue = load_catalogue(file)
    except RuleError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    day = _parse_day(on) if on else None
    table = Table(title=f"Regelkatalog ({catalogue.source})", show_lines=True)
    shown = references or day is not None
    columns = ("id", "titel", "typ", "frist", "gäller", "aktiv") + ((f"lagrum {day}" if day else "lagrum",) if shown else ())
    for col in columns:
        table.add_column(col, overflow="fold")
    for r in catalogue.rules:
        if day is not None and catalogue.row_on(r.id, day) is not r:
            continue
        step = describe_step(r.first) + (f", sedan {describe_step(r.then)}" if r.then else "")
        step += " (1930:173)" if r.roll else ""
        valid = f"{r.valid_from or ''}–{r.valid_to or ''}" if (r.valid_from or r.valid_to) else "alltid"
        row = [r.id, r.title, r.kind, step, valid, "ja" if r.enabled else "nej"]
        if shown:
            ref = r.reference_on(day) if day else None
            row.append(ref.shown if ref else ("" if day else "\n".join(f"{x.window}: {x.shown}" for x in r.references)))
        table.add_row(*row)
    console = Console()
    console.print(table)
    if references:
        _print_unverified(console, catalogue)


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]--date ska vara ett datum ÅÅÅÅ-MM-DD, inte {value!r}[/red]")
        raise typer.Exit(2) from None


def _print_unverified(console: Console, catalogue) -> None:
    """The rows whose paragraph was not read in the law text as published (docs/lagrum.md)."""
    missing = catalogue.unverified()
    console.print(f"\nEj verifierade lagrum ({len(missing)})")
    if not missing:
        console.print("Alla lagrum i katalogen är verifierade mot lagtexten.")
        return
    table = Table(show_lines=True)
    for col in ("id", "gäller för utlösande datum", "lagrum"):
        table.add_column(col, overflow="fold")
    for rule, ref in missing:
        table.add_row(rule.id, ref.window, ref.text)
    console.print(table)
