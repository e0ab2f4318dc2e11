"""``leaktrack users``: accounts of the review desk (``leaktrack serve``)."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from ..index import open_workspace_store
from ..index.desk import ROLES
from ..web.auth import add_user, set_disabled
from .common import console, new_app, print_json
from .queue_cmds import STORE, default_actor, review_store
from .workspace import current_workspace

# mypy cannot see members of an Enum built from the one list of roles.
Role = Enum("Role", {role: role for role in ROLES}, type=str)  # type: ignore[misc]

users_app = new_app("Accounts of the review desk: add, list, disable.")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="The user's login name."),
    role: Role = typer.Option(
        ..., "--role", help="reviewer: review and record takedowns; admin: also manage users."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin (for scripts)."
    ),
    store_url: str | None = STORE,
) -> None:
    """Add a user, or give an existing one a new role and password (asked twice, hidden)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_workspace_store(current_workspace(store=store_url)) as store:
        account = add_user(store, name, role.value, password, by=f"cli:{default_actor()}")
    console.print(f"Saved {account.name} ({account.role}).", markup=False, highlight=False)


@users_app.command("list")
def users_list(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    store_url: str | None = STORE,
) -> None:
    """Every account (never the password hashes)."""
    with review_store(store_url) as store:
        users = store.list_users()
    rows = [
        {"name": u.name, "role": u.role, "disabled": u.disabled, "created_at": u.created_at.isoformat()}
        for u in users
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(
            "\t".join([str(row["name"]), str(row["role"]), *(["disabled"] if row["disabled"] else [])]),
            markup=False,
            highlight=False,
        )


@users_app.command("disable")
def users_disable(name: str = typer.Argument(...), store_url: str | None = STORE) -> None:
    """Disable an account: its sessions end at their next request."""
    with review_store(store_url) as store:
        set_disabled(store, name, True, by=f"cli:{default_actor()}")
    console.print(f"Disabled {name}.", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
