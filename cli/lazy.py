"""The top-level command group, which imports a command's module only when it is needed.

Importing every command module loads Scrapy, numpy, the store clients, the desk's web stack
and the takedown finder (most of a second of CPU before any work). The top-level group
(``LazyCommandGroup``) knows its commands from ``command_index.py``: each command's name,
the module that registers it and the summary ``leaktrack --help`` shows. A command's module
is imported when that command runs, when its own help is asked for, or when the reference
is generated (``docs.py`` walks every command), so ``leaktrack scan`` never loads the desk.

``command_index.py`` is generated from the modules themselves by ``python -m
leaktrack.cli.docs``, beside the CLI reference, and ``tests/test_docs.py`` fails when it is
stale. A stale index still hides nothing: a module of the app's list that the index does
not name, or a name the index does not know, makes the group import the modules it needs.
"""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

import typer.main
from typer.core import TyperCommand

from .common import LeaktrackGroup, new_app

INDEX_MODULE = "command_index"


class LazyCommandGroup(LeaktrackGroup):
    """A LeaktrackGroup whose commands come from their modules on first use.

    ``modules`` (set by ``lazy_command_group``) are the cli/<area>_cmds.py modules, each with
    a ``register(app)`` function, in the order the help lists their commands. Modules that
    add commands to each other's groups are loaded together: they are one entry, their
    names joined by "+" (``queue_cmds+takedown_cmds``)."""

    modules: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()
        self._listing = False
        self._index = _read_index()
        indexed = {module for module, _ in self._index.values()}
        for module in self.modules:  # a module the index does not know yet (it is stale)
            if module not in indexed:
                self._load(module)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(dict.fromkeys([*self._index, *super().list_commands(ctx)]))

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in self.commands:
            if name in self._index:
                if self._listing:  # the summary line of `leaktrack --help`
                    return _summary_command(name, self._index[name][1])
                self._load(self._index[name][0])
            else:  # unknown to the index (a stale one, or a typo: suggestions need them all)
                for module in self.modules:
                    self._load(module)
        return super().get_command(ctx, name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help lists the commands by their summaries, without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _load(self, module: str) -> None:
        if module in self._loaded:
            return
        self._loaded.add(module)
        for name, command in module_commands(module).items():
            self.commands.setdefault(name, command)


def _summary_command(name: str, summary: str) -> TyperCommand:
    """A stand-in that carries a command's name and summary, for the top-level help."""
    return TyperCommand(name=name, help=summary)


def lazy_command_group(modules: tuple[str, ...]) -> type[LazyCommandGroup]:
    """The group class of the top-level app, over these command modules."""
    return type("LeaktrackCommands", (LazyCommandGroup,), {"modules": tuple(modules)})


def module_commands(module: str) -> dict[str, Any]:
    """The Click commands a cli/<area>_cmds.py module (or modules joined by "+") registers,
    by name, in help order (converted through a group of their own, which adds the
    per-command options)."""
    app = new_app("")
    for name in module.split("+"):
        importlib.import_module(f"{__package__}.{name}").register(app)
    group = typer.main.get_group(app)
    return {name: group.commands[name] for name in group.list_commands(None)}  # type: ignore[arg-type]


def _read_index() -> dict[str, tuple[str, str]]:
    try:
        index = importlib.import_module(f"{__package__}.{INDEX_MODULE}")
    except ImportError:  # not generated yet: every module is loaded
        return {}
    return dict(index.COMMANDS)


def command_index_source(modules: tuple[str, ...]) -> str:
    """The text of command_index.py: every top-level command, its module and its summary
    (the first paragraph of its help, which is what the help lists), in help order."""
    by_module = {module: module_commands(module) for module in modules}
    app = new_app("")
    for module in modules:
        for name in module.split("+"):
            importlib.import_module(f"{__package__}.{name}").register(app)
    order = typer.main.get_group(app).list_commands(None)  # type: ignore[arg-type]
    owner = {name: module for module, commands in by_module.items() for name in commands}
    lines = [
        '"""Every top-level command: the module that registers it and its summary line.',
        "",
        "Generated by `python -m leaktrack.cli.docs` from the command modules (lazy.py reads it):",
        'do not edit by hand."""',
        "",
        "COMMANDS = {",
    ]
    for name in order:
        command = by_module[owner[name]][name]
        if getattr(command, "hidden", False):
            continue
        summary = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        # JSON strings are Python strings in the quotes and layout ruff format keeps.
        lines += [f"    {json.dumps(name)}: (", f"        {json.dumps(owner[name])},"]
        lines += [f"        {json.dumps(summary)},", "    ),"]
    lines.append("}")
    return "\n".join(lines) + "\n"


__all__ = ["LazyCommandGroup", "command_index_source", "lazy_command_group", "module_commands"]
