"""Commands registered on the CLI app (filled in by the module's owner)."""

from egenkontroll.cli.app import app  # noqa: F401
