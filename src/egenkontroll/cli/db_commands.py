"""`egenkontroll import`, `checks` and `migrate`: the database from the command line.

The nightly job is `egenkontroll import EXPORT --db URL`: it must say in one line why it
failed (exit 1), say whether rows were rejected (exit 2) or a whole org unit's events were
(exit 3, with a loud line on stderr too) and be quiet enough for cron, with a progress bar
only on a terminal. Documented in docs/import.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from egenkontroll.cli.app import app

DB_HELP = "Databas-URL: sqlite:///sökväg eller postgresql://användare@värd/databas. Standard: DATABASE_URL."


class LineReporter:
    """Progress as plain lines on stderr, one per phase and per written batch, for logs."""

    def __init__(self) -> None:
        self.title, self.total, self.done = "", None, 0

    def phase(self, title: str, total: int | None = None) -> None:
        self.title, self.total, self.done = title, total, 0
        suffix = f" ({total} rader)" if total is not None else ""
        print(f"[import] {title}{suffix}", file=sys.stderr, flush=True)

    def advance(self, n: int) -> None:
        self.done += n
        total = "?" if self.total is None else self.total  # e.g. obligations, computed while written
        print(f"[import] {self.title} {self.done}/{total}", file=sys.stderr, flush=True)


class BarReporter:
    """A Rich progress bar on the terminal, one task per phase."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        self.task, self.total = None, None

    def __enter__(self) -> BarReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def phase(self, title: str, total: int | None = None) -> None:
        if self.task is not None:
            self.progress.update(self.task, total=self.total or 1, completed=self.total or 1)
        self.task, self.total = self.progress.add_task(title, total=total or None), total

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)


def fail(reason: str, fmt: str) -> None:
    """Exit 1 with the one-line reason on stderr (and as JSON on stdout with --format json)."""
    line = " ".join(reason.split())
    if fmt == "json":
        print(json.dumps({"status": "failed", "error": line}, ensure_ascii=False))
    print(f"egenkontroll: {line}", file=sys.stderr)
    raise typer.Exit(1)


def open_db(db: str | None, fmt: str) -> str:
    from egenkontroll.cases.store import DatabaseUnavailable, connect

    try:
        return connect(db)
    except DatabaseUnavailable as exc:
        fail(str(exc), fmt)
        raise  # unreachable: fail() exits


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="Datamängd i utbytesformat v1 (katalog med CSV, .xlsx, .zip) eller en export."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    rejects: Path = typer.Option(None, "--rejects", help="Skriv avvisade rader (maskerade) till denna CSV-fil."),
    profile: str = typer.Option(None, "--profile", help="Importprofil: namn på en medföljande profil eller en YAML-fil."),
    fmt: str = typer.Option("text", "--format", help="text eller json."),
    progress: bool = typer.Option(None, "--progress/--no-progress", help="Visa förlopp (standard: i en terminal)."),
    warm: bool = typer.Option(
        True, "--warm-up/--no-warm-up",
        help="Räkna fram webbsidornas standardvyer efter importen (samma cache som serve använder).",
    ),
    limit: list[str] = typer.Option(
        None, "--limit",
        help="Ändra en gräns för denna körning, NAMN=VÄRDE, t.ex. max-rows=8000000 eller date-min=1970-01-01 "
        "(kan upprepas; namnen i docs/import.md).",
    ),
) -> None:
    """Importera ärendehändelser till databasen: allt eller inget, idempotent, med skyldigheter.

    Slutstatus 0: alla rader importerades; 2: några rader avvisades; 3: alla händelser i minst en
    enhet avvisades (enheten saknas eller avvisades); 1: inget kunde importeras.
    """
    if fmt not in {"text", "json"}:
        raise typer.BadParameter("--format ska vara text eller json")
    limits = _limits(limit or [], fmt)
    alias = open_db(db, fmt)
    from egenkontroll.cases.importer import ImportFailed, run_import

    show = sys.stderr.isatty() if progress is None else progress
    options = {"using": alias, "profile": profile, "rejects_path": rejects, "limits": limits}
    try:
        if show and sys.stderr.isatty():
            with BarReporter() as reporter:
                summary = run_import(path, reporter=reporter, **options)
        else:
            summary = run_import(path, reporter=LineReporter() if show else None, **options)
    except ImportFailed as exc:
        fail(str(exc), fmt)
    if fmt == "json":
        print(json.dumps({**summary.as_dict(), "exit_code": summary.exit_code}, ensure_ascii=False, indent=1))
    else:
        print_summary(summary, rejects)
    if summary.loss_line:
        print(f"egenkontroll: {summary.loss_line}", file=sys.stderr)
    if warm:
        from egenkontroll.cli.web_commands import warm_cache_after_import

        sys.stdout.flush()
        warm_cache_after_import(alias)
    raise typer.Exit(summary.exit_code)


def _limits(pairs: list[str], fmt: str):
    """The configured import limits with the `--limit NAME=VALUE` ones replacing them."""
    from egenkontroll.core import import_limits

    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            fail(f"--limit {pair}: skriv NAMN=VÄRDE", fmt)
        overrides[key.strip()] = value
    try:
        return import_limits.from_env().with_overrides(overrides)
    except import_limits.LimitError as exc:
        fail(str(exc), fmt)


def print_summary(summary, rejects: Path | None) -> None:
    from egenkontroll.cases.checks import load_checks

    titles = {c.id: c.title for c in load_checks()}
    lines = [
        f"Import {summary.run_id}: {summary.rows_read} händelserader lästa på {summary.duration_seconds:.1f} s",
        f"  nya            {summary.imported:>9}",
        f"  ändrade        {summary.updated:>9}",
        f"  oförändrade    {summary.unchanged:>9}",
        f"  avvisade       {summary.rejected:>9}",
    ]
    if summary.retired:
        lines.append(f"  gallrade       {summary.retired:>9}  (ärenden som gallringen tagit bort; hoppas över)")
    extra = {
        "ej kopplade (ref)": summary.link_rejected,
        "avvisade enheter": summary.rejected_org_units,
        "avvisade handläggare": summary.rejected_caseworkers,
        "avvisad bemanning": summary.rejected_staffing,
        "befolkningsrader": summary.population_rows,
        "avvisade befolkn.rader": summary.rejected_population,
        "förlorade enheter": len(summary.lost_units),
    }
    lines += [f"  {label:<22} {n:>9}" for label, n in extra.items() if n]
    lines.append(f"Skyldigheter omräknade för {summary.affected_cases} ärenden: {summary.obligations}")
    if summary.marks_lapsed:
        lines.append(f"Markeringar som importen upphävde: {summary.marks_lapsed} (se sidan Datakvalitet)")
    if summary.all_rejected:
        lines.append(f"Avvisade rader finns i {rejects}" if rejects else "Avvisade rader: ange --rejects FIL för en lista")
    if summary.loss_line:
        lines.insert(0, f"VARNING: {summary.loss_line}")
    lines += [f"varning: {w}" for w in summary.warnings if w != summary.loss_line]
    lines.append("Datakontroller (antal ärenden):")
    lines += [f"  {n:>7}  {titles.get(check_id, check_id)} ({check_id})" for check_id, n in summary.checks.items()]
    print("\n".join(lines))


@app.command("checks")
def checks_command(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("text", "--format", help="text eller json."),
    limit: int = typer.Option(20, "--limit", help="Visa högst så många ärende-id per kontroll (0 = alla)."),
) -> None:
    """Kör datakontrollerna och lista ärenden (bara ärende-id) med motsägelsefulla uppgifter.

    Slutstatus 0: inga fynd; 2: fynd; 1: databasen eller katalogen kan inte användas.
    """
    if fmt not in {"text", "json"}:
        raise typer.BadParameter("--format ska vara text eller json")
    alias = open_db(db, fmt)
    from egenkontroll.cases.checks import CheckError, run_checks
    from egenkontroll.cases.store import DatabaseUnavailable, prepare_database

    try:
        prepare_database(alias, create=False)
        findings = run_checks(alias)
    except (DatabaseUnavailable, CheckError) as exc:
        fail(str(exc), fmt)
    if fmt == "json":
        rows = [
            {"id": f.check.id, "title": f.check.title, "severity": f.check.severity, "count": f.count,
             "case_ids": f.case_ids}
            for f in findings
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for f in findings:
            shown = f.case_ids if limit <= 0 else f.case_ids[:limit]
            more = f" … och {f.count - len(shown)} till" if f.count > len(shown) else ""
            print(f"{f.count:>7}  {f.check.title} ({f.check.id}, {f.check.severity})")
            if shown:
                print(f"         {', '.join(shown)}{more}")
    raise typer.Exit(2 if any(f.count for f in findings) else 0)


@app.command("migrate")
def migrate_command(db: str = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Skapa eller uppgradera databasens tabeller (görs automatiskt när databasen är tom)."""
    alias = open_db(db, "text")
    from django.db.utils import DatabaseError

    from egenkontroll.cases.store import migrate

    try:
        applied = migrate(alias)
    except DatabaseError as exc:
        fail(f"databasen kan inte migreras: {str(exc).strip().splitlines()[0]}", "text")
    print(f"{applied} migreringar tillämpade")
