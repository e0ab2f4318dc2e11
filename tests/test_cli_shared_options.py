"""--quiet and --verbose mean the same given to the top level or to any command."""

from __future__ import annotations

import logging

from typer.testing import CliRunner

from leaktrack.cli import options
from leaktrack.cli.app import app
from leaktrack.cli.docs import _commands, _context


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def every_command():
    import typer.main

    root = typer.main.get_command(app)
    for path, command, _ in _commands(root, _context(root, "leaktrack", None), ["leaktrack"]):
        if not hasattr(command, "list_commands"):
            yield path, command


def test_config_set_notes_what_it_did_on_stderr():
    result = run("config", "set", "contact", "mailto:desk@example.org")
    assert result.exit_code == 0
    assert "contact set in" in result.stderr


def test_quiet_after_the_command_silences_its_notes_as_before_it():
    before = run("--quiet", "config", "set", "contact", "mailto:desk@example.org")
    after = run("config", "set", "contact", "mailto:desk@example.org", "--quiet")
    short = run("config", "set", "-q", "contact", "mailto:desk@example.org")
    assert [r.exit_code for r in (before, after, short)] == [0, 0, 0]
    assert before.stderr == after.stderr == short.stderr == ""


def test_quiet_of_one_run_does_not_carry_over_to_the_next():
    assert run("config", "set", "-q", "contact", "mailto:desk@example.org").stderr == ""
    assert "contact set in" in run("config", "set", "contact", "mailto:desk@example.org").stderr


def test_verbose_after_the_command_turns_on_debug_logs():
    root = logging.getLogger()
    level = root.level
    try:
        assert run("config", "path", "--verbose").exit_code == 0
        assert root.level == logging.DEBUG
    finally:
        root.setLevel(level)


def test_every_command_takes_quiet_and_verbose_with_the_same_help():
    for path, command in every_command():
        help_by_option = {name: param.help for param in command.params for name in param.opts}
        assert help_by_option.get("--quiet") == options.QUIET_HELP, " ".join(path)
        assert help_by_option.get("-q") == options.QUIET_HELP, " ".join(path)
        assert help_by_option.get("--verbose") == options.VERBOSE_HELP, " ".join(path)
