"""`egenkontroll backup`, `restore` and `retention run`: what the municipality's IT runs (docs/backup.md,
docs/retention.md). `gallra` is the older name of `retention run` (a hidden alias, docs/cli.md).

Exit status: 0 done, 1 refused or failed with one Swedish line saying why. Neither prints
anything about the data itself, only file names, sizes and checksums.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from egenkontroll.cli.app import app, old_name

DB_HELP = "Databas-URL: sqlite:///sökväg eller postgresql://användare@värd/databas. Standard: DATABASE_URL."
retention_app = typer.Typer(help="Gallring: personuppgifter äldre än gallringsfristerna tas bort.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


def _url(db: str | None) -> str:
    url = db or os.environ.get("DATABASE_URL")
    if not url:
        print("egenkontroll: ange databasen med --db eller DATABASE_URL", file=sys.stderr)
        raise typer.Exit(1)
    return url


@app.command("backup")
def backup_command(
    out: Path = typer.Option(..., "--out", help="Filen som säkerhetskopian skrivs till (får inte finnas)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Säkerhetskopiera hela databasen till en fil (SQLite: online-backup; PostgreSQL: pg_dump).

    Pseudonymnyckeln och loggnyckeln ingår inte: säkerhetskopiera dem separat (docs/backup.md).
    """
    from egenkontroll.cases.backup import BackupError, backup

    try:
        info = backup(_url(db), out)
    except BackupError as exc:
        print(f"egenkontroll: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(f"Säkerhetskopia ({info.kind}) skriven: {info.path} ({info.size} byte, sha256 {info.sha256})")


@app.command("restore")
def restore_command(
    source: Path = typer.Argument(..., help="Säkerhetskopian (från `egenkontroll backup`)."),
    db: str = typer.Option(None, "--db", help=DB_HELP + " Måste vara ny och tom."),
) -> None:
    """Återställ en säkerhetskopia till en ny, tom databas. Kontrollera sedan loggen: `egenkontroll log verify`."""
    from egenkontroll.cases.backup import BackupError, restore

    try:
        kind = restore(source, _url(db))
    except BackupError as exc:
        print(f"egenkontroll: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(f"Återställd ({kind}) från {source}. Kör `egenkontroll log verify` mot den nya databasen.")


@retention_app.command("run")
def retention_run_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Torrkörning: räkna vad som skulle gallras, ändra ingenting."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    today: str = typer.Option(None, "--today", help="Dagen fristerna räknas från (ÅÅÅÅ-MM-DD; standard: i dag)."),
    inbox: Path = typer.Option(None, "--inbox", help="Inkorgen för nattlig import (standard: EGK_INBOX)."),
    fmt: str = typer.Option("text", "--format", help="text eller json."),
) -> None:
    """Gallra personuppgifter som är äldre än gallringsfristerna (core/retention.yaml, docs/retention.md).

    Nyckeltalen för månader före gallringen arkiveras först; fastställda nämndrapporter rörs aldrig.
    Kör först med --dry-run för att se antalen. Slutstatus 0: klart; 1: fel.
    """
    import datetime as dt
    import getpass
    import json

    from egenkontroll.cli.access_commands import _connect
    from egenkontroll.core.identity import load_key
    from egenkontroll.core.retention import RetentionError
    from egenkontroll.retention.steps import Gallring

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        print(f"egenkontroll: --today ska vara ett datum ÅÅÅÅ-MM-DD, inte {today!r}", file=sys.stderr)
        raise typer.Exit(1) from None
    alias = _connect(db, create=False)
    inbox = inbox or (Path(os.environ["EGK_INBOX"]) if os.environ.get("EGK_INBOX") else None)
    try:
        gallring = Gallring(alias, day, inbox=inbox, key=None if dry_run else load_key(),
                            ran_by=f"kommandorad ({getpass.getuser()})",
                            report=lambda text: print(text, file=sys.stderr) if fmt == "text" else None)
        results = gallring.plan() if dry_run else gallring.carry_out()
    except (RetentionError, ValueError) as exc:
        print(f"egenkontroll: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    if fmt == "json":
        print(json.dumps({"dry_run": dry_run, "today": day.isoformat(), "steps": [
            {"kind": r.kind, "cutoff": r.cutoff.isoformat(), "counts": r.counts, "note": r.note} for r in results
        ]}, ensure_ascii=False, indent=1))
        return
    print(("Torrkörning — inget ändras. " if dry_run else "") + f"Gallring {day}:")
    for r in results:
        counts = ", ".join(f"{n} {what}" for what, n in r.counts.items()) or "inget"
        print(f"  {r.title}: äldre än {r.cutoff}: {counts}" + (f" ({r.note})" if r.note else ""))


old_name(app, "gallra", "retention run", retention_run_command,
         {"--dry-run": "--torrt", "--today": "--idag", "--inbox": "--inkorg"})
