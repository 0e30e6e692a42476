"""The Typer application every command module registers on."""

import typer

app = typer.Typer(
    help="Egenkontroll: uppföljning av socialtjänstens handläggning (barn och unga).",
    no_args_is_help=True,
    add_completion=False,
)
