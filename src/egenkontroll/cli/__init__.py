"""The command line: a thin shell over the core and the Django apps.

One module per command family; importing it registers its commands on `app`.
"""

from importlib import import_module

from egenkontroll.cli.app import app

COMMAND_MODULES = ("core_commands", "synth_commands", "kpi_commands", "db_commands", "web_commands", "access_commands")

for _name in COMMAND_MODULES:
    try:
        import_module(f"egenkontroll.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command family not installed in this checkout
        if exc.name != f"egenkontroll.cli.{_name}":
            raise


def main() -> None:
    app()
