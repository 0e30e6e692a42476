"""The command line: a thin shell over the core and the Django apps.

One module per command family; importing it registers its commands on `app`.
"""

from egenkontroll.cli import core_commands, db_commands, synth_commands, web_commands  # noqa: F401
from egenkontroll.cli.app import app


def main() -> None:
    app()
