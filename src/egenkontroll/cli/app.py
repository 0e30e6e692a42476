"""The Typer application every command module registers on, and the old command names.

The grammar (docs/cli.md): command words are English, help and output Swedish. A top-level
command is a verb that acts (`import`, `plan`, `serve`) or a noun that prints that thing
(`obligations`, `kpi`); a family of commands is a group named by a noun (`audit`, `log`,
`retention`, `users`) whose commands are verbs or the thing they print (`retention run`,
`audit templates`). A name that no longer fits stays for one release as a hidden alias
(`old_name`): it runs the same function and says on stderr which name to use instead.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Mapping

import typer
from typer.models import OptionInfo

app = typer.Typer(
    help="Egenkontroll: uppföljning av socialtjänstens handläggning (barn och unga).",
    no_args_is_help=True,
    add_completion=False,
)

# Old command path → new command path, both without the leading `egenkontroll`.
OLD_NAMES: dict[str, str] = {}
# Command path → {new option name: old option name}: the old command's Swedish options, or hidden
# old options of a command that kept its name (`rules --lagrum`).
OLD_OPTIONS: dict[str, dict[str, str]] = {}


def deprecation_note(old: str, new: str) -> str:
    return (f"egenkontroll: obs! `egenkontroll {old}` är ett äldre namn som tas bort i nästa version; "
            f"använd `egenkontroll {new}`.")


def old_option_used(old: str, new: str) -> None:
    """Say on stderr that option `old` is the older spelling of `new` (for commands that kept their name)."""
    typer.echo(f"egenkontroll: obs! `{old}` är ett äldre namn som tas bort i nästa version; använd `{new}`.", err=True)


def old_group(name: str, new: str) -> typer.Typer:
    """A hidden group under an old name (`granskning`), for the old names of a new group's commands."""
    group = typer.Typer(help=f"Äldre namn på `egenkontroll {new}` (tas bort i nästa version).", no_args_is_help=True)
    app.add_typer(group, name=name, hidden=True)
    OLD_NAMES[name] = new
    return group


def old_name(parent: typer.Typer, old: str, new: str, command: Callable, options: Mapping[str, str] = {}) -> None:
    """Register `command` under its old path `old` on `parent` (hidden at the top level; inside an
    old group, which is hidden itself, listed): it works as before and prints the Swedish
    deprecation note on stderr first. `new` is the path to use instead; `options` maps the new
    command's option names to the old ones (`--template` → `--mall`), which the alias keeps."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        typer.echo(deprecation_note(old, new), err=True)
        return command(*args, **kwargs)

    if options:
        run.__signature__ = _renamed_options(command, options)
        OLD_OPTIONS[old] = dict(options)
    summary = f"Äldre namn på `egenkontroll {new}` (tas bort i nästa version)."
    parent.command(old.split()[-1], hidden=parent is app, help=f"{summary}\n\n{command.__doc__ or ''}")(run)
    OLD_NAMES[old] = new


def _renamed_options(command: Callable, options: Mapping[str, str]) -> inspect.Signature:
    """`command`'s signature with its options spelt the old way; every name in `options` must exist."""
    signature = inspect.signature(command)
    unused = set(options)
    parameters = []
    for parameter in signature.parameters.values():
        info = parameter.default
        if isinstance(info, OptionInfo) and unused & set(info.param_decls):
            unused -= set(info.param_decls)
            info = copy.copy(info)
            info.param_decls = tuple(options.get(decl, decl) for decl in info.param_decls)
            parameter = parameter.replace(default=info)
        parameters.append(parameter)
    if unused:
        raise ValueError(f"{command.__name__} has no options {sorted(unused)}")
    return signature.replace(parameters=parameters)
