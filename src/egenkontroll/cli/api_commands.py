"""`egenkontroll users token-add | token-list | token-revoke`: API keys for service accounts (docs/api.md).

A key acts as the account it belongs to, with that account's roles; make a service account
(`users add`, `users grant … namnd` for the nämnd's BI) and give it a key. The key is printed
once and never stored (only its SHA-256); each change is written to the access log.
"""

from __future__ import annotations

import typer

from egenkontroll.cli.access_commands import DB_HELP, _connect, _fail, _log, _operator, _user, users_app

MAX_DAYS = 3 * 366


@users_app.command("token-add")
def token_add(
    username: str = typer.Argument(..., help="Kontot som nyckeln ska agera som."),
    name: str = typer.Option(..., "--name", help="Vad nyckeln används till, t.ex. 'Power BI nämnd'."),
    days: int = typer.Option(365, "--days", help=f"Giltighet i dagar (1–{MAX_DAYS})."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Skapa en API-nyckel för ett konto. Nyckeln skrivs ut en gång och sparas aldrig."""
    _connect(db)
    from egenkontroll.api.models import ApiToken

    if not 1 <= days <= MAX_DAYS:
        _fail(f"--days ska vara 1–{MAX_DAYS}")
    if not 1 <= len(name.strip()) <= 100:
        _fail("--name ska vara 1–100 tecken")
    user = _user(username)
    if ApiToken.objects.filter(user=user, name=name.strip(), revoked_at__isnull=True).exists():
        _fail(f"{username} har redan en giltig nyckel som heter {name!r}")
    row, token = ApiToken.issue(user, name.strip(), _operator(), days)
    _log(f"skapade API-nyckeln {row.name!r} ({row.hint}…) för {username}, giltig till {row.expires_at:%Y-%m-%d}")
    print(token)


@users_app.command("token-list")
def token_list(db: str = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Lista API-nycklarna: konto, namn, början av nyckeln, giltighet, senast använd."""
    _connect(db)
    from egenkontroll.api.models import ApiToken

    for t in ApiToken.objects.select_related("user"):
        state = "återkallad" if t.revoked_at else ("giltig" if t.active else "ogiltig")
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "aldrig"
        print(f"{t.user.username}: {t.name} ({t.hint}…), {state} till {t.expires_at:%Y-%m-%d}, senast använd {used}")


@users_app.command("token-revoke")
def token_revoke(
    username: str = typer.Argument(...),
    name: str = typer.Option(..., "--name", help="Nyckelns namn."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Återkalla en API-nyckel: den slutar gälla direkt."""
    _connect(db)
    from django.utils import timezone

    from egenkontroll.api.models import ApiToken

    user = _user(username)
    revoked = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not revoked:
        _fail(f"{username} har ingen giltig nyckel som heter {name!r}")
    _log(f"återkallade API-nyckeln {name!r} för {username}")
