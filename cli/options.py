"""Options every command shares, defined once so their help reads the same everywhere.

Use them as defaults of a command's parameters (``as_json: bool = options.JSON``), then
``current_workspace(store=store, fingerprints=fingerprints, key_file=key_file)``.
Each file or store option has an environment variable (shown in --help) and a config file key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
import typer.main

from .common import be_quiet, be_verbose
from .workspace import HOME_ENV, SETTINGS_BY_KEY


def _setting_help(key: str, text: str) -> str:
    setting = SETTINGS_BY_KEY[key]
    return f"{text} [default: config file's '{key}', else {setting.default}]"


HOME = typer.Option(
    None,
    "--home",
    envvar=HOME_ENV,
    help="Home folder: where leaktrack keeps its files and config.toml [default: ./.leaktrack]",
)
JSON = typer.Option(False, "--json", help="Print JSON for machines instead of a table.")
STORE = typer.Option(
    None,
    "--store",
    envvar=SETTINGS_BY_KEY["store"].env,
    help=_setting_help("store", "Match store URL: sqlite:///path.db or http(s)://elasticsearch-host:9200."),
)
FINGERPRINTS = typer.Option(
    None,
    "--fingerprints",
    envvar=SETTINGS_BY_KEY["fingerprints"].env,
    help=_setting_help("fingerprints", "Fingerprint file."),
)
KEY_FILE = typer.Option(
    None,
    "--key-file",
    envvar=SETTINGS_BY_KEY["key_file"].env,
    help=_setting_help(
        "key_file", "Secret key file the fingerprints are built with (fingerprint creates it)."
    ),
)
SOURCES = typer.Option(
    None,
    "--sources",
    envvar=SETTINGS_BY_KEY["sources"].env,
    help=_setting_help("sources", "TOML sources file (see examples/sources.example.toml)."),
)
CASE = typer.Option(
    None,
    "--case",
    envvar="LEAKTRACK_CASE",
    help="The case (one leak) to work on: its own fingerprints, key and store in <home>/cases/NAME.",
)
QUIET_HELP = "No progress display and no notes on stderr; errors only."
VERBOSE_HELP = "Log debug output to stderr."


def quiet_option(callback: Callable[[bool], None] | None = None) -> Any:
    """--quiet/-q: one declaration for the top level and every command."""
    return typer.Option(False, "--quiet", "-q", help=QUIET_HELP, callback=callback)


def verbose_option(callback: Callable[[bool], None] | None = None) -> Any:
    """--verbose/-v: one declaration for the top level and every command."""
    return typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP, callback=callback)


QUIET = quiet_option()
VERBOSE = verbose_option()
FORCE = typer.Option(
    False, "--force", help="Replace the --out file if it exists (never a file leaktrack keeps)."
)


def per_command_options() -> list[Any]:
    """--quiet and --verbose for one command (``leaktrack scan -q ...``), as at the top level.

    LeaktrackGroup adds them to each command; given either way, they mean the same. They only
    set the run's options (``run.quiet``, the log level), so no command takes them as a parameter.
    Typer builds them, from the same help as the top-level ones, on a probe command.
    """
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def _probe(
        quiet: bool = quiet_option(lambda value: be_quiet() if value else None),
        verbose: bool = verbose_option(lambda value: be_verbose() if value else None),
    ) -> None:
        pass

    params = list(typer.main.get_command(probe).params)
    for param in params:
        param.expose_value = False  # the command's own function does not take them
    return params
