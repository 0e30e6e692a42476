"""The command line: a thin shell over the core and the Django apps.

One module per command family; importing it registers its commands on `app`.
"""

from egenkontroll.cli import (  # noqa: F401  (each import registers its commands)
    access_commands,
    audit_commands,
    core_commands,
    db_commands,
    kpi_commands,
    ops_commands,
    planning_commands,
    synth_commands,
    web_commands,
)
from egenkontroll.cli.app import app


def main() -> None:
    app()
