"""`egenkontroll demo` and `egenkontroll serve`: the web app on a production WSGI server.

Why it exists: the README's main job is one command on a fresh machine that shows what the
system does — a synthetic municipality generated, imported into SQLite, one login per role,
served on http://127.0.0.1:8000 by gunicorn, its static files
served by the app itself through WhiteNoise, no CDN. `serve` does the same for an existing
database (SQLite or PostgreSQL). Both compute the pages' default views before the server
starts (overview/warmup.py), then replace themselves with gunicorn.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from egenkontroll.cli.app import app

out = Console()
err = Console(stderr=True)

SCALES = ("demo", "small", "city")
ROLE_TITLES = {
    "handlaggare": "handläggare (egna ärenden, arbetslista)",
    "arbetsledare": "arbetsledare (grupp)",
    "enhetschef": "enhetschef (enhet)",
    "verksamhetscontroller": "verksamhetscontroller (avdelning/förvaltning)",
    "avdelningschef": "avdelningschef (avdelning/förvaltning)",
    "inspektor": "socialtjänstinspektör (hela staden: läser ärenden, gör kvalitetsgranskningar)",
    "namnd": "nämnd (sammanställda, maskerade tal)",
    "admin": "administratör (användare och roller)",
}


def _secret_file(path: Path, nbytes: int) -> Path:
    """A random secret kept in a file readable by the owner only, created on first use."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(nbytes))
    return path


def _cache_dir() -> None:
    """The pages' computed tables on disk, shared by the server's processes (pages/snapshot.py)."""
    from egenkontroll.web.env import data_dir

    os.environ.setdefault("EGK_WEB_CACHE_DIR", str(data_dir() / "cache"))


def _background_periods() -> None:
    """A server computes a period nobody asked for before in the background (pages/pending.py);
    a wait that is no number of seconds stops it here rather than on every figure page."""
    os.environ.setdefault("EGK_PAGE_WAIT_SECONDS", "0.25")
    raw = os.environ["EGK_PAGE_WAIT_SECONDS"].strip()
    try:
        valid = not raw or float(raw) >= 0
    except ValueError:
        valid = False
    if not valid:
        err.print(f"[red]egenkontroll: EGK_PAGE_WAIT_SECONDS ska vara ett antal sekunder (0 eller mer), inte {escape(raw)!r}[/red]")
        raise typer.Exit(1)
    # ... and on a child process at the lowest CPU priority, so that the other users' pages go first
    os.environ.setdefault("EGK_PAGE_NICE", "19")
    from egenkontroll.pages.apart import jobs
    from egenkontroll.pages.pending import nice_level

    try:
        nice_level()
        jobs()
    except ValueError as exc:
        err.print(f"[red]egenkontroll: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None


def _check_targets() -> None:
    """Refuse to start with a broken targets file (EGK_KPI_TARGETS_FILE), audit templates file
    (EGK_AUDIT_TEMPLATES_FILE) or price list (EGK_PLACEMENT_PRICES_FILE, which prices the key
    figure placeringskostnad) rather than fail on the first page."""
    from egenkontroll.core.audits import AuditTemplateError, load_templates
    from egenkontroll.core.costs import PriceListError, load_prices
    from egenkontroll.core.kpi_catalogue import KpiCatalogueError, configured_catalogue

    try:
        configured_catalogue()
        load_templates()
        load_prices()
    except (KpiCatalogueError, AuditTemplateError, PriceListError) as exc:
        err.print(f"[red]egenkontroll: {escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _django(database_url: str) -> str:
    from egenkontroll.cases.store import connect

    os.environ["DATABASE_URL"] = database_url
    return connect()


def _has_import(alias: str) -> bool:
    from egenkontroll.cases.models import ImportRun

    return ImportRun.objects.using(alias).exclude(status="failed").exists()


def _collectstatic() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _warm_up(alias: str) -> None:
    from egenkontroll.overview.warmup import warm_up

    with err.status("Förbereder sidornas nyckeltal …") as status:
        warm_up(alias, report=lambda text: status.update(f"Förbereder sidornas nyckeltal: {text}"))


def warm_cache_after_import(alias: str) -> bool:
    """Fill the pages' disk cache for the import that just finished (`egenkontroll import`).

    Why: a new import run starts a fresh cache, so without this the first visitor after the
    nightly import would wait for the whole city's figures. The server must use the same
    database URL and EGK_DATA_DIR (or EGK_WEB_CACHE_DIR) for the cache to be found. A failure
    here never undoes the import: it is reported and the pages compute on first use instead.
    """
    _cache_dir()
    try:
        _warm_up(alias)
    except Exception as exc:  # the import is committed; a cold cache is slower, not wrong
        err.print(f"[yellow]varning: sidornas nyckeltal kunde inte förberedas ({type(exc).__name__}); "
                  "de räknas fram vid första besöket.[/yellow]", highlight=False)
        return False
    err.print(f"Sidornas nyckeltal förberedda i {os.environ['EGK_WEB_CACHE_DIR']}.", highlight=False)
    return True


def _gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """Replace this process with gunicorn serving the Django project (environment kept)."""
    args = [
        sys.executable, "-m", "gunicorn", "egenkontroll.web.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--timeout", "180",
        "--graceful-timeout", "10",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)  # noqa: S606 - our own interpreter and module, fixed arguments


def _print_users(users, host: str, port: int) -> None:
    """Plain lines, never wrapped or cut, so a username and password can be copied as printed."""
    width = max(len(u) for u, *_ in users) + 2 if users else 12
    lines = ["", "Demoanvändare (lösenorden byts varje gång demo startas):", ""]
    lines.append(f"  {'användarnamn':<{width}}{'lösenord':<20}roll och enhet")
    for username, password, role, unit_id in users:
        lines.append(f"  {username:<{width}}{password:<20}{ROLE_TITLES.get(role, role)}, {unit_id or 'hela staden'}")
    lines += ["", f"Öppna http://{host}:{port}/ och logga in med en av användarna ovan.", ""]
    print("\n".join(lines), flush=True)


@app.command()
def demo(
    scale: str = typer.Option(
        "demo", "--scale",
        help="Storlek på den syntetiska kommunen: demo (tre stadsdelsförvaltningar), small (en förvaltning) eller city.",
    ),
    port: int = typer.Option(8000, "--port", help="Port att lyssna på."),
    host: str = typer.Option("127.0.0.1", "--host", help="Adress att lyssna på (standard: bara den här datorn)."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Katalog för data, databas och nycklar (standard: EGK_DATA_DIR eller ./var)."),
    seed: int = typer.Option(1, "--seed", help="Slumpfrö för den syntetiska kommunen."),
    size_factor: float = typer.Option(1.0, "--size-factor", help="Skala antalet anmälningar (t.ex. 0.1 för ett snabbt prov)."),
    workers: int = typer.Option(2, "--workers", help="Antal gunicorn-processer."),
    threads: int = typer.Option(2, "--threads", help="Trådar per process."),
    prepare_only: bool = typer.Option(False, "--prepare-only", help="Förbered allt och skriv ut användarna, men starta inte servern."),
) -> None:
    """Generera en syntetisk kommun, importera den, skapa en användare per roll och starta webbappen."""
    if scale not in SCALES:
        raise typer.BadParameter(f"--scale ska vara en av {', '.join(SCALES)}")
    _check_targets()
    from egenkontroll.web.env import data_dir as default_data_dir

    base = (data_dir or default_data_dir()).resolve()
    base.mkdir(parents=True, exist_ok=True)
    os.environ["EGK_DATA_DIR"] = str(base)
    # The demo's data is imported once and never again: no "last night's import did not run" banner.
    os.environ.setdefault("EGK_IMPORT_STALE_HOURS", "0")
    os.environ.setdefault("EGK_SECRET_KEY", _secret_file(base / "secret.key", 32).read_text())
    # Synthetic data on this machine: the demo users sign in with a password only (docs/security.md#mfa).
    os.environ.setdefault("EGK_MFA_REQUIRED", "0")
    if not os.environ.get("EGK_PSEUDONYM_KEY"):
        os.environ.setdefault("EGK_PSEUDONYM_KEY_FILE", str(_secret_file(base / "pseudonym.key", 32)))
    suffix = f"{scale}-seed{seed}" + (f"-x{size_factor:g}" if size_factor != 1.0 else "")
    dataset = base / f"demo-{suffix}"
    _cache_dir()
    _background_periods()
    alias = _django(f"sqlite:///{base / f'demo-{suffix}.sqlite3'}")
    from egenkontroll.cases.store import migrate

    migrate(alias)
    if _has_import(alias):
        err.print(f"Återanvänder den importerade demokommunen i {base}.")
    else:
        _generate(scale, seed, size_factor, dataset)
        _import(dataset, alias)
    from egenkontroll.access.demo import create_demo_users

    users = create_demo_users()
    _demo_content(alias)
    _collectstatic()
    _warm_up(alias)
    _print_users(users, host, port)
    if not prepare_only:
        _gunicorn(host, port, workers, threads)


def _demo_content(alias: str) -> None:
    """Audits, reports and deviations, so every role's pages show their purpose at first sight."""
    from egenkontroll.audits.demo import create_demo_audit, create_finished_demo_audit
    from egenkontroll.deviations.demo import create_demo_deviations
    from egenkontroll.pages import periods, snapshot
    from egenkontroll.reports.demo import create_demo_reports

    with err.status("Skapar granskningar, nämndrapporter och avvikelser för demon …"):
        create_demo_audit(alias)
        create_finished_demo_audit(alias)
        events = snapshot.current(alias).events
        if not events.is_empty():
            create_demo_reports(events["date"].max())
        create_demo_deviations(periods.today())


def _generate(scale: str, seed: int, size_factor: float, dataset: Path) -> None:
    from egenkontroll.core.synth import generate

    if (dataset / "events.csv").is_file():
        return
    with err.status(f"Genererar en syntetisk kommun ({scale}) …"):
        summary = generate(scale, seed, dataset, size_factor=size_factor)
    err.print(f"Genererade {summary.events} händelser, {summary.caseworkers} handläggare, {summary.org_units} enheter.")


def _import(dataset: Path, alias: str) -> None:
    from egenkontroll.cases.importer import ImportFailed, run_import

    with err.status("Importerar till databasen …"):
        try:
            summary = run_import(dataset, using=alias, user="demo")
        except ImportFailed as exc:
            err.print(f"[red]Importen misslyckades: {exc}[/red]")
            raise typer.Exit(1) from None
    err.print(f"Importerade {summary.imported} händelser och {summary.obligations} skyldigheter.")


@app.command()
def serve(
    db: str = typer.Option(None, "--db", help="Databas-URL (sqlite:///… eller postgresql://…); standard: DATABASE_URL."),
    port: int = typer.Option(8000, "--port", help="Port att lyssna på."),
    host: str = typer.Option("127.0.0.1", "--host", help="Adress att lyssna på."),
    workers: int = typer.Option(2, "--workers", help="Antal gunicorn-processer."),
    threads: int = typer.Option(2, "--threads", help="Trådar per process."),
    warm: bool = typer.Option(True, "--warm-up/--no-warm-up", help="Räkna fram standardvyerna innan servern startar."),
) -> None:
    """Starta webbappen mot en befintlig, importerad databas."""
    from egenkontroll.cases.store import DatabaseUnavailable, connect, prepare_database

    _check_targets()
    url = db or os.environ.get("DATABASE_URL")
    _cache_dir()
    _background_periods()
    try:
        alias = connect(url) if url is None else _django(url)
        prepare_database(alias, create=False)
    except DatabaseUnavailable as exc:
        err.print(f"[red]egenkontroll: {exc}[/red]")
        raise typer.Exit(1) from None
    from egenkontroll.access.hashchain import uses_development_key

    if uses_development_key():
        err.print("[red]egenkontroll: EGK_SECRET_KEY (eller EGK_ACCESS_LOG_KEY) är inte satt: åtkomstloggen skulle "
                  "signeras med den offentliga utvecklingsnyckeln. Sätt en hemlig nyckel (docs/security.md).[/red]")
        raise typer.Exit(1)
    _collectstatic()
    if warm and _has_import(alias):
        _warm_up(alias)
    out.print(f"Webbappen startar på http://{host}:{port}/")
    _gunicorn(host, port, workers, threads)
