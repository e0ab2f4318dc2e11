"""Options every command shares, defined once so their help reads the same everywhere.

Use them as defaults of a command's parameters (``as_json: bool = options.JSON``), then
``current_workspace(store=store, fingerprints=fingerprints, key_file=key_file)``.
Each file or store option has an environment variable (shown in --help) and a config file key.
"""

from __future__ import annotations

import typer

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
QUIET = typer.Option(False, "--quiet", "-q", help="No progress display and no notes on stderr; errors only.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Log debug output to stderr.")
FORCE = typer.Option(
    False, "--force", help="Replace the --out file if it exists (never a file leaktrack keeps)."
)
