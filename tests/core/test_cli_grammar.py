"""The command line's one grammar (docs/cli.md): every command answers `--help`, the names in use
are the documented English ones, and every old name is a hidden alias of its new command that
runs the same function with the same options (in the old spelling) and says which name to use."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from egenkontroll.cli import app
from egenkontroll.cli.app import OLD_NAMES, OLD_OPTIONS

ROOT = typer.main.get_command(app)
runner = CliRunner()
CLI_DOC = Path(__file__).parents[2] / "docs" / "cli.md"

# The command tree as docs/cli.md describes it: a test fails when a command is added, renamed or
# removed without the grammar (and its documentation) being looked at.
COMMANDS = {
    "obligations", "rules", "import", "checks", "migrate", "kpi", "backup", "restore", "plan", "generate", "demo",
    "serve",
    "audit templates", "audit sample", "audit import", "audit table",
    "log verify", "log anchor",
    "retention run",
    "users add", "users grant", "users revoke", "users deactivate", "users list", "users demo",
    "users token-add", "users token-list", "users token-revoke",
}


def walk(command, path: tuple[str, ...] = ()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


TREE = dict(walk(ROOT))


def resolve(path: str):
    command = ROOT
    for word in path.split():
        command = command.commands[word]
    return command


def is_old(path: tuple[str, ...]) -> bool:
    return any(" ".join(path[:n]) in OLD_NAMES for n in range(1, len(path) + 1))


def option_names(command) -> dict[str, set[str]]:
    return {p.name: set(p.opts) | set(p.secondary_opts) for p in command.params if p.param_type_name == "option"}


@pytest.mark.parametrize("path", sorted(TREE), ids=lambda path: " ".join(path) or "egenkontroll")
def test_every_command_group_and_alias_answers_help(path):
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "--help" in result.output


def test_the_commands_in_use_are_the_documented_english_ones():
    leaves = {" ".join(path) for path, command in TREE.items()
              if path and not hasattr(command, "commands") and not is_old(path)}
    assert leaves == COMMANDS
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", word) for path in leaves for word in path.split())
    assert not [path for path, command in TREE.items() if not is_old(path) and command.hidden]


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_each_old_name_is_a_hidden_alias_of_its_new_command(old):
    new = OLD_NAMES[old]
    old_command, new_command = resolve(old), resolve(new)
    if len(old.split()) == 1:
        assert old_command.hidden  # listed nowhere at the top; an old group's commands show inside it
    assert not new_command.hidden
    if hasattr(new_command, "commands"):
        assert {OLD_NAMES[f"{old} {name}"] for name in old_command.commands} == {
            f"{new} {name}" for name in new_command.commands}
        return
    assert inspect.unwrap(old_command.callback) is inspect.unwrap(new_command.callback)
    renamed = OLD_OPTIONS.get(old, {})
    expected = {name: {renamed.get(o, o) for o in opts} for name, opts in option_names(new_command).items()}
    assert option_names(old_command) == expected
    assert f"Äldre namn på `egenkontroll {new}`" in runner.invoke(app, [*old.split(), "--help"],
                                                                  env={"COLUMNS": "300"}).output


def test_an_old_name_runs_the_command_and_tells_on_stderr_which_name_to_use():
    new = runner.invoke(app, ["audit", "templates"], env={"COLUMNS": "200"})
    old = runner.invoke(app, ["granskningsmallar"], env={"COLUMNS": "200"})
    assert new.exit_code == old.exit_code == 0, old.output
    assert old.stdout == new.stdout and "Familjevård" in new.stdout
    assert new.stderr == ""
    assert old.stderr.strip() == ("egenkontroll: obs! `egenkontroll granskningsmallar` är ett äldre namn som tas bort "
                                  "i nästa version; använd `egenkontroll audit templates`.")


def test_an_old_option_of_a_kept_command_works_and_tells_which_name_to_use():
    new = runner.invoke(app, ["rules", "--references", "--date", "2025-07-01"], env={"COLUMNS": "400"})
    old = runner.invoke(app, ["rules", "--lagrum", "--datum", "2025-07-01"], env={"COLUMNS": "400"})
    assert new.exit_code == old.exit_code == 0, old.output
    assert old.stdout == new.stdout and "20 kap. 3 §" in new.stdout
    assert "`--lagrum` är ett äldre namn" in old.stderr and "använd `--date`" in old.stderr
    assert "--lagrum" not in runner.invoke(app, ["rules", "--help"], env={"COLUMNS": "200"}).output


def test_docs_cli_md_names_every_command_and_every_old_name():
    text = CLI_DOC.read_text(encoding="utf-8")
    for path in COMMANDS:
        assert f"`egenkontroll {path}" in text or f"`{path}`" in text, path
    for old, new in OLD_NAMES.items():
        assert f"| `{old}` | `{new}` |" in text, old
    for command, options in OLD_OPTIONS.items():
        for new, old in options.items():
            assert f"`{old}` → `{new}`" in text, (command, old)
