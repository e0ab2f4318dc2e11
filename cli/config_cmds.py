"""``leaktrack config``: show, set and locate the config file (``<home>/config.toml``)."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import tomlkit
import typer
from rich.table import Table

from . import options
from .common import console, new_app, note, print_json, run
from .output import replace_atomically
from .workspace import (
    SETTINGS,
    SETTINGS_BY_KEY,
    ConfigError,
    Setting,
    config_path,
    home_folder,
    resolve_settings,
    typed_setting,
)

config_app = new_app("The config file: where it is, what is in force and why, change a setting.")
HIDDEN = "*** (secret, not shown)"


@config_app.command("path")
def config_show_path() -> None:
    """Print the config file's path (it may not exist yet)."""
    console.print(str(config_path(home_folder(run.home))), markup=False, highlight=False, soft_wrap=True)


@config_app.command("show")
def config_show(as_json: bool = options.JSON) -> None:
    """Every setting in force, and where it comes from: option, env, config or default."""
    home = home_folder(run.home)
    rows = [
        {
            "key": item.setting.key,
            "value": _shown(item.setting.secret, item.value),
            "origin": item.origin,
            "env": item.setting.env,
            "default": item.setting.default,
        }
        for item in resolve_settings(home).values()
    ]
    if as_json:
        print_json({"home": str(home), "config_file": str(config_path(home)), "settings": rows})
        return
    table = Table("setting", "value", "from", "environment variable", title=f"Config: {config_path(home)}")
    for row in rows:
        value = row["value"] if row["value"] is not None else f"(default: {row['default']})"
        table.add_row(str(row["key"]), str(value), str(row["origin"]), str(row["env"]))
    console.print(table, markup=False, highlight=False)


def _shown(secret: bool, value: object) -> object:
    return HIDDEN if secret and value is not None else value


@config_app.command("set")
def config_set(
    key: str = typer.Argument(..., help="Setting, e.g. store, sources, contact, smtp.host."),
    value: str | None = typer.Argument(
        None, help="New value; omit it to be asked (secrets are always asked, never given here)."
    ),
    unset: bool = typer.Option(False, "--unset", help="Remove the setting from the config file."),
) -> None:
    """Change one setting in the config file (created owner-only; comments are kept)."""
    setting = SETTINGS_BY_KEY.get(key)
    if setting is None:
        raise typer.BadParameter(
            f"unknown setting {key!r}; one of: {', '.join(SETTINGS_BY_KEY)}", param_hint="KEY"
        )
    if setting.secret and value is not None:
        raise typer.BadParameter(
            f"{key} is a secret: give no value and type it when asked (a command line lands in shell history)",
            param_hint="VALUE",
        )
    home = home_folder(run.home)
    path = config_path(home)
    document = _read_document(path)
    table, name = _table_of(document, key)
    if unset:
        with suppress(KeyError):
            del table[name]
    else:
        if value is None:
            value = typer.prompt(key, hide_input=setting.secret)
        table[name] = _typed_value(setting, value)
    _write_document(home, path, document)
    note(f"{key} {'removed from' if unset else 'set in'} {path}")


def _read_document(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror or error}") from None
    except tomlkit.exceptions.ParseError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def _table_of(document: tomlkit.TOMLDocument, key: str) -> tuple:
    if "." not in key:
        return document, key
    table_name, name = key.split(".", 1)
    if table_name not in document:
        document[table_name] = tomlkit.table()
    return document[table_name], name


def _typed_value(setting: Setting, value: str) -> str | int | bool | list[str]:
    if setting.kind is Path:  # as the person typing it meant it: relative to where they are
        return str(Path(value).expanduser().absolute())
    if setting.kind in (int, bool, list):
        try:
            return typed_setting(setting, value, "VALUE")
        except ConfigError as error:
            raise typer.BadParameter(str(error), param_hint="VALUE") from None
    return value


def _write_document(home: Path, path: Path, document: tomlkit.TOMLDocument) -> None:
    """Owner-only (it may hold secrets), replaced atomically."""
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create the home folder {home}: {error.strerror or error}") from None
    with replace_atomically(path) as stream:
        stream.write(tomlkit.dumps(document))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.add_typer(config_app, name="config")


__all__ = ["SETTINGS", "register"]
