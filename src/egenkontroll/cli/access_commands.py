"""`egenkontroll log …` and `egenkontroll users …`: the access log and accounts from the command line.

`log verify` is what an auditor runs (or cron, nightly): exit 0 when the hash chain is whole,
1 with the first broken rows named when a row was altered, removed or inserted, or when the log
has fewer rows or another head than the latest anchor, 2 when the database cannot be read.
`log anchor` writes that anchor (daily, after the import) where the database user cannot rewrite
it. Commands that write the log refuse the public development key. The user commands let an operator create the first administrator and
manage roles without the web app; every change is written to the access log as the operating
system user who ran it. `verify-log` and `log-anchor` are the older names (hidden aliases, docs/cli.md).
"""

from __future__ import annotations

import getpass
import json
import sys

import typer

from egenkontroll.cli.app import app, old_name

DB_HELP = "Databas-URL: sqlite:///sökväg eller postgresql://användare@värd/databas. Standard: DATABASE_URL."

users_app = typer.Typer(help="Användare och roller (behörigheter).", no_args_is_help=True)
app.add_typer(users_app, name="users")
log_app = typer.Typer(help="Åtkomstloggen: kontrollera att den är hel och ankra den utanför databasen.",
                      no_args_is_help=True)
app.add_typer(log_app, name="log")


def _connect(db: str | None, *, create: bool = True, writes_log: bool = False) -> str:
    """Django ready on the database; a new, empty one is migrated unless `create` is False.

    A command that writes the access log (`writes_log`) refuses to run on the public development
    key: rows signed with it could be re-forged by anyone (the demo sets its own key).
    """
    from egenkontroll.cases.store import DatabaseUnavailable, connect, prepare_database

    try:
        alias = connect(db)
    except DatabaseUnavailable as exc:
        print(f"egenkontroll: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    if writes_log:
        _require_real_key()
    try:
        prepare_database(alias, create=create)
        return alias
    except DatabaseUnavailable as exc:
        print(f"egenkontroll: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc


def _require_real_key() -> None:
    from egenkontroll.access.hashchain import uses_development_key

    if uses_development_key():
        _fail("EGK_SECRET_KEY (eller EGK_ACCESS_LOG_KEY) är inte satt: åtkomstloggen skulle signeras med den "
              "inbyggda utvecklingsnyckeln, som är offentlig. Sätt en hemlig nyckel (se docs/security.md); "
              "`egenkontroll demo` sätter en egen.")


def _fail(message: str, code: int = 1) -> None:
    print(f"egenkontroll: {message}", file=sys.stderr)
    raise typer.Exit(code)


ANCHOR_HELP = ("Ankarfil (från `log anchor` eller en nedladdad kontrollpunkt): loggen jämförs med det senaste "
               "ankaret. Standard: EGK_ACCESS_LOG_ANCHOR_FILE.")


@log_app.command("verify")
def verify_log_command(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("text", "--format", help="text eller json"),
    anchor_file: str = typer.Option(None, "--anchor", help=ANCHOR_HELP),
) -> None:
    """Kontrollera att åtkomstloggen är hel: ingen rad ändrad, borttagen eller infogad, inget tömt eller avkortat."""
    import os

    alias = _connect(db, create=False)
    from django.db.utils import DatabaseError

    from egenkontroll.access import anchor
    from egenkontroll.access.hashchain import Problem, verify

    anchor_file = anchor_file or os.environ.get(anchor.FILE_ENV) or None
    try:
        result = verify(using=alias)
        latest = anchor.latest(anchor_file) if anchor_file else None
        against = anchor.check(latest, result, using=alias) if latest else []
    except DatabaseError as exc:
        _fail(f"åtkomstloggen kan inte läsas: {str(exc).splitlines()[0]}", 2)
    except anchor.AnchorError as exc:
        latest, against = None, [f"ankaret kan inte användas: {exc}"]
    problems = [*result.problems, *(Problem(None, None, message) for message in against)]
    ok = not problems
    if fmt == "json":
        print(json.dumps({
            "ok": ok, "rows": result.rows, "head_seq": result.head_seq, "head_hash": result.head_hash,
            "anchor": latest.payload() if latest else None,
            "problems": [{"seq": p.seq, "id": p.row_id, "message": p.message} for p in problems],
        }, ensure_ascii=False))
    elif ok:
        print(f"Åtkomstloggen är hel: {result.rows} rader, sista seq={result.head_seq}, hash={result.head_hash}")
        if latest:
            print(f"Stämmer med ankaret {latest.at} (seq={latest.seq}, {latest.rows} rader).")
    else:
        print(f"Åtkomstloggen är INTE hel ({result.rows} rader lästa):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    if not anchor_file:
        print("varning: inget ankare angivet (--anchor eller EGK_ACCESS_LOG_ANCHOR_FILE): en tömd eller avkortad "
              "logg kan inte upptäckas.", file=sys.stderr)
    if not ok:
        raise typer.Exit(1)


@log_app.command("anchor")
def log_anchor_command(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    anchor_file: str = typer.Option(None, "--file", help="Ankarfil att lägga till en rad i (öppnas med O_APPEND; "
                                                         "gör den append-only med chattr +a). Standard: "
                                                         "EGK_ACCESS_LOG_ANCHOR_FILE."),
    to_syslog: bool = typer.Option(None, "--syslog/--no-syslog", help="Skicka ankaret till syslog/journald. "
                                                                      "Standard: EGK_ACCESS_LOG_ANCHOR_SYSLOG."),
) -> None:
    """Skriv åtkomstloggens slut (seq, hash, antal rader, tid) signerat utanför databasen: minst dagligen."""
    import os

    from egenkontroll.web.env import envbool

    alias = _connect(db, create=False, writes_log=True)
    from django.db.utils import DatabaseError

    from egenkontroll.access import anchor
    from egenkontroll.access.hashchain import verify

    anchor_file = anchor_file or os.environ.get(anchor.FILE_ENV) or None
    to_syslog = envbool(anchor.SYSLOG_ENV, False) if to_syslog is None else to_syslog
    if not anchor_file and not to_syslog:
        _fail("ange var ankaret ska skrivas: --file (eller EGK_ACCESS_LOG_ANCHOR_FILE) och/eller --syslog")
    try:
        current = anchor.current(alias)  # before the walk, so the walk covers every row it names
        result = verify(using=alias)
        previous = anchor.latest(anchor_file) if anchor_file and os.path.exists(anchor_file) else None
        against = anchor.check(previous, result, using=alias) if previous else []
    except DatabaseError as exc:
        _fail(f"åtkomstloggen kan inte läsas: {str(exc).splitlines()[0]}", 2)
    except anchor.AnchorError as exc:
        _fail(f"ankaret kan inte användas: {exc}")
    problems = [str(p) for p in result.problems] + against
    if problems:
        _fail("åtkomstloggen är inte hel, inget nytt ankare skrivs (kör egenkontroll log verify):\n  " + "\n  ".join(problems))
    line = anchor.signed_line(current)
    try:
        if anchor_file:
            anchor.append_to_file(line, anchor_file)
        if to_syslog:
            anchor.send_to_syslog(line)
    except OSError as exc:
        _fail(f"ankaret kan inte skrivas till {anchor_file}: {exc.strerror or exc}", 2)
    print(line)


def _operator() -> str:
    return f"kommandorad ({getpass.getuser()})"


def _log(detail: str) -> None:
    from egenkontroll.access import hashchain

    hashchain.append(user_id=None, username=_operator(), roles="", action="admin", page="kommandorad",
                     case_ids=(), detail=detail, client="cli")


def _user(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        _fail(f"ingen användare heter {username!r}")
    return user


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(f"Lösenord för {username}", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Användarnamn."),
    email: str = typer.Option("", "--email", help="E-postadress."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Läs lösenordet från standard in."),
    no_password: bool = typer.Option(False, "--no-password", help="Inget lösenord (bara kommunens inloggning)."),
    superuser: bool = typer.Option(False, "--superuser", help="Superanvändare (administratör utan personuppgifter)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Skapa en användare (utan roll: ge roller med `users grant`)."""
    _connect(db, writes_log=True)
    from django.contrib.auth import get_user_model, password_validation
    from django.core.exceptions import ValidationError
    from django.db import transaction

    users = get_user_model()
    if users.objects.filter(username__iexact=username).exists():
        _fail(f"användaren {username!r} finns redan")
    password = None if no_password else _read_password(password_stdin, username)
    if password is not None:
        try:
            password_validation.validate_password(password, users(username=username, email=email))
        except ValidationError as exc:
            _fail("lösenordet duger inte: " + " ".join(exc.messages))
    with transaction.atomic():
        user = users.objects.create_user(username, email=email, password=password)
        if superuser:
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
        _log(f"skapade användaren {username}" + (" (superanvändare)" if superuser else ""))
    print(f"Användaren {username} är skapad.")


@users_app.command("grant")
def users_grant(
    username: str = typer.Argument(..., help="Användarnamn."),
    role: str = typer.Argument(..., help="handlaggare, arbetsledare, enhetschef, verksamhetscontroller, "
                                         "avdelningschef, inspektor, namnd eller admin."),
    unit: str = typer.Option(None, "--unit", help="Enhetens id (med allt under). Utan: hela staden."),
    caseworker: str = typer.Option(None, "--caseworker", help="Handläggarens id (krävs för handlaggare)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Ge en användare en roll över en del av organisationen."""
    _connect(db, writes_log=True)
    from django.db import transaction

    from egenkontroll.access.models import ROLES, RoleAssignment
    from egenkontroll.cases.models import Caseworker, OrgUnit

    if role not in ROLES:
        _fail(f"okänd roll {role!r}; välj bland {', '.join(ROLES)}")
    user = _user(username)
    if role == "handlaggare":
        if not caseworker:
            _fail("rollen handlaggare kräver --caseworker")
        unit = unit or Caseworker.objects.filter(caseworker_id=caseworker).values_list("unit_id", flat=True).first()
    elif caseworker:
        _fail("--caseworker gäller bara rollen handlaggare")
    if role in ("inspektor", "admin"):
        unit = None
    if unit and not OrgUnit.objects.filter(unit_id=unit).exists():
        _fail(f"ingen enhet har id {unit!r}")
    if RoleAssignment.objects.filter(user=user, role=role, unit_id=unit, caseworker_id=caseworker).exists():
        _fail(f"{username} har redan rollen {role} för {unit or 'hela staden'}")
    with transaction.atomic():
        RoleAssignment.objects.create(user=user, role=role, unit_id=unit, caseworker_id=caseworker,
                                      created_by=_operator())
        _log(f"gav {username} rollen {role} för {unit or 'hela staden'}"
             + (f" (handläggare {caseworker})" if caseworker else ""))
    print(f"{username}: {role} för {unit or 'hela staden'}.")


@users_app.command("revoke")
def users_revoke(
    username: str = typer.Argument(..., help="Användarnamn."),
    role: str = typer.Argument(..., help="Rollen som ska tas bort."),
    unit: str = typer.Option(None, "--unit", help="Bara tilldelningen för denna enhet."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Ta bort en roll (alla enheter, eller bara --unit)."""
    _connect(db, writes_log=True)
    from django.db import transaction

    from egenkontroll.access.models import RoleAssignment

    grants = RoleAssignment.objects.filter(user=_user(username), role=role)
    if unit:
        grants = grants.filter(unit_id=unit)
    with transaction.atomic():
        removed, _ = grants.delete()
        if removed:
            _log(f"tog bort rollen {role} för {unit or 'alla enheter'} från {username}")
    if not removed:
        _fail(f"{username} har inte rollen {role}" + (f" för {unit}" if unit else ""))
    print(f"{username}: {removed} tilldelning(ar) av {role} borttagna.")


@users_app.command("deactivate")
def users_deactivate(
    username: str = typer.Argument(..., help="Användarnamn."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Inaktivera en användare (kontot och loggen finns kvar)."""
    _connect(db, writes_log=True)
    from django.db import transaction

    user = _user(username)
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        _log(f"inaktiverade {username}")
    print(f"{username} är inaktiverad.")


@users_app.command("list")
def users_list(db: str = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Lista användare och deras roller."""
    _connect(db)
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.order_by("username").prefetch_related("role_assignments"):
        grants = [
            f"{a.role}:{a.unit_id or 'hela staden'}" + (f" ({a.caseworker_id})" if a.caseworker_id else "")
            for a in sorted(user.role_assignments.all(), key=lambda a: (a.role, a.unit_id or ""))
        ]
        state = "" if user.is_active else " [inaktiverad]"
        superuser = " [superanvändare]" if user.is_superuser else ""
        print(f"{user.username}{state}{superuser}: {', '.join(grants) or 'ingen roll'}")


@users_app.command("demo")
def users_demo(
    password: str = typer.Option(None, "--password", help="Samma lösenord för alla (annars slumpas de)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Skapa en demoanvändare per roll, placerade på enheter i importerade data."""
    _connect(db, writes_log=True)
    from egenkontroll.access.demo import create_demo_users

    for username, secret, role, unit_id in create_demo_users(password, operator=_operator()):
        print(f"{username}\t{secret}\t{role}\t{unit_id or 'hela staden'}")


old_name(app, "verify-log", "log verify", verify_log_command)
old_name(app, "log-anchor", "log anchor", log_anchor_command)
