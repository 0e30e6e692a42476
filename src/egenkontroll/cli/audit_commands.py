"""`egenkontroll audit …`: kvalitetsgranskning from the command line.

Why: a municipality that writes its own templates (EGK_AUDIT_TEMPLATES_FILE) checks them before
the server starts (`templates`); an inspector or auditor can show, without the web app, which
cases a given seed draws (`sample`: the web app's sample is the same, core/audits.py); and
answers of an audit done on paper or in Excel are checked (`import`) and turned into the
tables the inspectors publish (`table`). The older Swedish names (`granskning mallar|stickprov|
importera|tabell`, and `granskningsmallar`, `stickprov` at the top level) are hidden aliases for
one release (docs/cli.md).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from egenkontroll.cli.app import app, old_group, old_name
from egenkontroll.cli.core_commands import err, load_source, parse_date

audit_app = typer.Typer(
    help="Kvalitetsgranskning: mallar, stickprov, import av svar och resultattabeller.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")


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
                table.add_row(QUALITY_AREAS[area], q.text, q.id, _references(q))
        background = [q for q in template.questions if q.kind == "bakgrund"]
        for q in background:
            table.add_row("Bakgrundsvariabel", q.text, q.id, "")
        console.print(table)


def _references(q) -> str:
    """The question's provisions: SoL by validity window (2001:453, then 2025:400), then any other basis."""
    parts = []
    for ref in q.lagrum:
        law = "SoL (2001:453)" if ref.sfs == "2001:453" else f"SoL ({ref.sfs})"
        window = f"till {ref.valid_to}" if ref.valid_to else f"från {ref.valid_from}"
        if not ref.verified:
            parts.append(f"{law} {window}: {ref.paragraph}")
        else:
            parts.append(f"{ref.paragraph} {law} {window}" + ("" if ref.checked else " (ej verifierad i lagtexten)"))
    if q.basis:
        parts.append(q.basis)
    if q.when:
        parts.append(f"ställs när {q.when.question} = {'/'.join(q.when.answers)}")
    return "; ".join(parts)


def sample_command(
    template_id: str = typer.Option(..., "--template", help="Granskningsmallens id (se `egenkontroll audit templates`)."),
    period_from: str = typer.Option(..., "--from", help="Periodens första dag (ÅÅÅÅ-MM-DD)."),
    period_to: str = typer.Option(..., "--to", help="Periodens sista dag (ÅÅÅÅ-MM-DD)."),
    level: str = typer.Option("forvaltning", "--level", help="Nivå att dra stickprov per: forvaltning, avdelning eller enhet."),
    per_district: int = typer.Option(10, "--per-unit", help="Högst så många ärenden per enhet på nivån."),
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
        raise typer.BadParameter(f"okänd mall {template_id!r}", param_hint="--template") from None
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


audit_app.command("templates")(templates_command)
audit_app.command("sample")(sample_command)


def _read_answers(path: Path):
    from egenkontroll.core.audit_answers import AnswerFileError, read_answer_file

    try:
        return read_answer_file(path)
    except AnswerFileError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _report_rejects(rows_read: int, accepted: int, rejects, rejects_out: Path | None) -> None:
    err.print(f"{rows_read} rader lästa, {accepted} godtagna, {rejects.height} avvisade.", highlight=False, soft_wrap=True)
    for row in rejects.head(20).iter_rows(named=True):
        err.print(f"  rad {row['row']}, {row['column']}: {escape(row['reason'])}", highlight=False, soft_wrap=True)
    if rejects.height > 20:
        err.print(f"  … och {rejects.height - 20} till", highlight=False)
    if rejects_out is not None:
        rejects.write_csv(rejects_out)
        err.print(f"Avvisade rader skrivna till {rejects_out}.", highlight=False, soft_wrap=True)


@audit_app.command("import")
def import_command(
    answers: Path = typer.Option(..., "--answers", help="Svarsfil (.csv eller .xlsx) med kolumnerna audit, case_id, district, gender, criterion, answer."),
    rejects_out: Path = typer.Option(None, "--rejects", help="Skriv de avvisade raderna med skäl till denna CSV-fil."),
    audit_id: int = typer.Option(None, "--audit", help="Granskningens nummer: svaren fylls i dess protokoll (kräver --user)."),
    username: str = typer.Option(None, "--user", help="Användaren som importerar (granskare med behörighet till distrikten)."),
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…); standard: den konfigurerade."),
) -> None:
    """Kontrollera en svarsfil från en granskning gjord utanför Egenkontroll, och fyll i en granskning med den.

    Utan --audit: godtagna och avvisade rader per granskning i filen. Med --audit och
    --user: svaren fylls i granskningens protokoll med samma kontroller som på webben (frågan
    finns i mallen, ärendet i urvalet och distriktet, användaren får granska ärendet), och
    importen skrivs i åtkomstloggen. Svaren ja, nej och ej aktuellt godtas med svenska stavningar
    (Ja, NEJ, "Ej aktuell" …); varje felaktig rad avvisas med ett skäl. Slutstatus 1 om filen eller
    granskningen inte kan användas.
    """
    answer_file = _read_answers(answers)
    if audit_id is None:
        _report_rejects(answer_file.rows_read, answer_file.answers.height, answer_file.rejects, rejects_out)
        import polars as pl

        per_audit = answer_file.answers.group_by("audit", maintain_order=True).agg(
            pl.col("case_id").n_unique(), pl.col("criterion").n_unique(), pl.len())
        for audit, cases, criteria, rows in per_audit.iter_rows():
            sys.stdout.write(f"{audit}: {cases} ärenden, {criteria} frågor, {rows} svar\n")
        return
    if not username:
        raise typer.BadParameter("ange användaren som importerar", param_hint="--user")
    _import_into_audit(answer_file, audit_id, username, db, rejects_out)


def _import_into_audit(answer_file, audit_id: int, username: str, db: str | None, rejects_out: Path | None) -> None:
    import getpass

    import polars as pl

    from egenkontroll.cli.access_commands import _connect, _fail

    _connect(db, create=False)
    from django.contrib.auth import get_user_model

    from egenkontroll.access import hashchain
    from egenkontroll.access.scoping import scope_for
    from egenkontroll.audits.answer_import import import_answers
    from egenkontroll.audits.models import Audit
    from egenkontroll.audits.rights import rights_for
    from egenkontroll.audits.views.common import template_of, unit_names
    from egenkontroll.core.audit_answers import REJECTS

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        _fail(f"ingen aktiv användare heter {username!r}")
    audit = Audit.objects.filter(pk=audit_id).first()
    if audit is None:
        _fail(f"ingen granskning har nummer {audit_id}")
    scope = scope_for(user)
    rights = rights_for(scope)
    if not scope.person_level or not any(rights.audits_unit(d) for d in audit.district_ids):
        _fail(f"{username} får inte fylla i granskningen {audit_id} (granskare med behörighet till något av dess distrikt)")
    if audit.closed_at is not None:
        _fail(f"granskningen {audit_id} är avslutad: svar kan inte importeras")
    result = import_answers(user, scope, audit, template_of(audit), answer_file, rights, unit_names(audit.district_ids))
    if result.closed:
        _fail(f"granskningen {audit_id} avslutades innan svaren sparades; ingenting ändrades")
    if result.cases:
        hashchain.append(user_id=user.pk, username=user.get_username(), roles=",".join(sorted(scope.roles)),
                         action="list", page="granskning-import", case_ids=result.cases,
                         detail=f"import av svarsfil från kommandoraden ({getpass.getuser()})", client="cli")
    rejects = pl.DataFrame(result.rejects, schema=REJECTS, orient="row")
    _report_rejects(answer_file.rows_read, result.answers, rejects, rejects_out)
    sys.stdout.write(f"{result.answers} svar i {len(result.cases)} ärenden importerades till granskning {audit_id}.\n")


@audit_app.command("table")
def table_command(
    answers: Path = typer.Option(..., "--answers", help="Svarsfil (.csv eller .xlsx), en eller flera granskningar."),
    fmt: str = typer.Option("text", "--format", help="text, json eller xlsx."),
    out: Path = typer.Option(None, "--out", help="Skriv till fil (krävs för xlsx)."),
    template_id: str = typer.Option(None, "--template", help="Gruppera och namnge raderna efter en mall (för text och xlsx)."),
) -> None:
    """Resultattabeller som socialtjänstinspektörerna redovisar dem: frågor × distrikt med n, antal ja, Total, kön.

    json: {granskning: {"n": {distrikt: ärenden, …, "Total": …}, "rows": {fråga: {distrikt: ja, …}},
    "answered": {fråga: {distrikt: ja+nej, …}}, "gender": {"F": ärenden, "M": ärenden}}} med frågorna
    som de står i filen. text och xlsx visar dessutom andel ja med 95 % konfidensintervall (Wilson) och
    om skillnaderna mellan distrikten ryms inom slumpen.
    """
    import json

    from egenkontroll.core.audit_answers import seed_counts

    if fmt not in ("text", "json", "xlsx"):
        raise typer.BadParameter("ska vara text, json eller xlsx", param_hint="--format")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("xlsx kräver --out FIL", param_hint="--out")
    answer_file = _read_answers(answers)
    if answer_file.rejects.height:
        _report_rejects(answer_file.rows_read, answer_file.answers.height, answer_file.rejects, None)
    if fmt == "json":
        text = json.dumps(seed_counts(answer_file.answers), ensure_ascii=False, indent=2) + "\n"
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    template = _template_or_exit(template_id)
    layouts = _layouts(answer_file.answers, template)
    if fmt == "xlsx":
        from egenkontroll.core.audit_render import workbook

        out.write_bytes(workbook(layouts))
        err.print(f"Skrev {out}.", highlight=False, soft_wrap=True)
        return
    from egenkontroll.core.audit_render import render_text

    sys.stdout.write(render_text(layouts))


def _template_or_exit(template_id: str | None):
    if template_id is None:
        return None
    from egenkontroll.core.audits import AuditTemplateError, load_templates

    try:
        return load_templates()[template_id]
    except AuditTemplateError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyError:
        raise typer.BadParameter(f"okänd mall {template_id!r}", param_hint="--template") from None


def _layouts(answers, template):
    """audit → Layout; an audit named like a template is grouped by it, the others by --template if given."""
    from egenkontroll.core.audit_tables import layout, to_rows
    from egenkontroll.core.audits import load_templates

    templates = load_templates()
    return {
        audit: layout(rows, templates.get(audit) or template)
        for audit, rows in to_rows(answers).items()
    }


# The options of the old names, spelt in Swedish: new name → old name.
SAMPLE_OPTIONS = {"--template": "--mall", "--level": "--niva", "--per-unit": "--antal"}
IMPORT_OPTIONS = {"--answers": "--svar", "--rejects": "--avvisade", "--audit": "--granskning", "--user": "--anvandare"}
TABLE_OPTIONS = {"--answers": "--svar", "--out": "--ut", "--template": "--mall"}
OLD_GROUP = old_group("granskning", "audit")
for _old, _new, _command, _options in (
    ("mallar", "templates", templates_command, {}), ("stickprov", "sample", sample_command, SAMPLE_OPTIONS),
    ("importera", "import", import_command, IMPORT_OPTIONS), ("tabell", "table", table_command, TABLE_OPTIONS),
):
    old_name(OLD_GROUP, f"granskning {_old}", f"audit {_new}", _command, _options)
old_name(app, "granskningsmallar", "audit templates", templates_command)
old_name(app, "stickprov", "audit sample", sample_command, SAMPLE_OPTIONS)
