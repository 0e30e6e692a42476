"""`egenkontroll backup` and `egenkontroll restore`: what the municipality's IT runs (docs/backup.md).

Exit status: 0 done, 1 refused or failed with one Swedish line saying why. Neither prints
anything about the data itself, only file names, sizes and checksums.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from egenkontroll.cli.app import app

DB_HELP = "Databas-URL: sqlite:///sökväg eller postgresql://användare@värd/databas. Standard: DATABASE_URL."


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
    """Återställ en säkerhetskopia till en ny, tom databas. Kontrollera sedan loggen: `egenkontroll verify-log`."""
    from egenkontroll.cases.backup import BackupError, restore

    try:
        kind = restore(source, _url(db))
    except BackupError as exc:
        print(f"egenkontroll: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(f"Återställd ({kind}) från {source}. Kör `egenkontroll verify-log` mot den nya databasen.")
