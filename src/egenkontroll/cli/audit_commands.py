"""`egenkontroll granskningsmallar` and `egenkontroll stickprov`: kvalitetsgranskning from the command line.

Why: a municipality that writes its own templates (EGK_AUDIT_TEMPLATES_FILE) checks them before
the server starts, and an inspector or auditor can show, without the web app, which cases a
given seed draws — the web app's sample is the same (core/audits.py).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from egenkontroll.cli.app import app
from egenkontroll.cli.core_commands import err, load_source, parse_date


@app.command("granskningsmallar")
def templates_command(
    file: Path = typer.Option(None, "--file", help="En egen mallfil (standard: EGK_AUDIT_TEMPLATES_FILE eller den medföljande)."),
) -> None:
    """Visa granskningsmallarna: frågorna per kvalitetsområde med lagrum. Slutstatus 1 om filen är felaktig."""
    from egenkontroll.core.audits import QUALITY_AREAS, AuditTemplateError, load_templates

    try:
        templates = load_templates(file)
    except AuditTemplateError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console = Console()
    for template in templates.values():
        table = Table(title=f"{template.title} ({template.id})", caption=template.population_title, show_lines=True)
        for column in ("kvalitetsområde", "fråga", "id", "lagrum"):
            table.add_column(column, overflow="fold")
        for area in template.areas():
            for q in (q for q in template.questions if q.area == area):
                table.add_row(QUALITY_AREAS[area], q.text, q.id, q.basis or "")
        console.print(table)


@app.command("stickprov")
def sample_command(
    template_id: str = typer.Option(..., "--mall", help="Granskningsmallens id (se granskningsmallar)."),
    period_from: str = typer.Option(..., "--from", help="Periodens första dag (ÅÅÅÅ-MM-DD)."),
    period_to: str = typer.Option(..., "--to", help="Periodens sista dag (ÅÅÅÅ-MM-DD)."),
    level: str = typer.Option("forvaltning", "--niva", help="Nivå att dra stickprov per: forvaltning, avdelning eller enhet."),
    per_district: int = typer.Option(10, "--antal", help="Högst så många ärenden per enhet på nivån."),
    seed: int = typer.Option(None, "--seed", help="Slumpfrö; samma frö ger samma stickprov. Standard: ett nytt, som skrivs ut."),
    data: Path = typer.Option(None, "--data", help="Datamängd i utbytesformatet: katalog med CSV, .xlsx eller .zip."),
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…) i stället för --data."),
) -> None:
    """Dra ett stickprov av ärenden för en kvalitetsgranskning: CSV med ärende-id per enhet."""
    from egenkontroll.core.audits import AuditTemplateError, draw_sample, eligible_cases, load_templates

    start, end = parse_date(period_from, "--from"), parse_date(period_to, "--to")
    if start > end:
        raise typer.BadParameter("--from ska vara före --to")
    try:
        template = load_templates()[template_id]
    except AuditTemplateError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyError:
        raise typer.BadParameter(f"okänd mall {template_id!r}", param_hint="--mall") from None
    if seed is None:
        seed = random.SystemRandom().randrange(1, 10**9)
    events, org_units, _caseworkers, _rejects = load_source(data, db)
    try:
        sample = draw_sample(eligible_cases(events, template.population, start, end), org_units, level, per_district, seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    err.print(f"Stickprov för {template.title}: {sample.height} ärenden, frö {seed}.", highlight=False, soft_wrap=True)
    sys.stdout.write(
        sample.select("district_id", "position", "case_id", "unit_id", "qualifying_date").write_csv(
            date_format="%Y-%m-%d", null_value=""
        )
    )
