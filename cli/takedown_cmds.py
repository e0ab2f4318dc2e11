"""``takedown`` commands beyond draft/sent: who to write to, send, what is due, monitoring.

Thin: each command opens the store, calls one function of ``leaktrack.takedown`` and renders.
"""

from __future__ import annotations

import typer

from ..index import open_store
from ..takedown import settings as takedown_settings
from ..takedown.fetch import Fetcher
from ..takedown.finder import ContactFinder
from .common import console, print_json
from .queue_cmds import JSON, STORE, takedown_app

RDAP_BOOTSTRAP = typer.Option(
    takedown_settings.RDAP_BOOTSTRAP_BASE,
    "--rdap-bootstrap",
    help="Where the RFC 7484 RDAP bootstrap files (dns.json, ipv4.json, ipv6.json) are fetched from.",
)
LOOKUP_TIMEOUT = typer.Option(
    takedown_settings.LOOKUP_TIMEOUT_SECONDS, "--lookup-timeout", min=0.1, help="Seconds per lookup request."
)


def contact_finder(store, rdap_bootstrap: str, lookup_timeout: float) -> ContactFinder:
    return ContactFinder(store, Fetcher(timeout=lookup_timeout), rdap_bootstrap=rdap_bootstrap)


@takedown_app.command("contacts")
def takedown_contacts(
    match_ids: list[str] = typer.Argument(..., help="Match ids."),
    rdap_bootstrap: str = RDAP_BOOTSTRAP,
    lookup_timeout: float = LOOKUP_TIMEOUT,
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Who to write to, in escalation order, each with where it came from; or why none was found."""
    with open_store(store_url, must_exist=True) as store:
        matches = [store.get(match_id) for match_id in match_ids]
        reports = contact_finder(store, rdap_bootstrap, lookup_timeout).find(m.url for m in matches)
    if as_json:
        print_json([{"match_id": m.id} | reports[m.url].as_dict() for m in matches])
        return
    for match in matches:
        report = reports[match.url]
        console.print(f"{match.id}  {match.url}", markup=False, highlight=False, soft_wrap=True)
        for contact in report.ladder():
            console.print(
                f"  {contact.role:<10} {contact.name}: {contact.address}  (from {contact.source})",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        for role, why in report.problems.items():
            console.print(
                f"  {role:<10} no contact found: {why}", markup=False, highlight=False, soft_wrap=True
            )


def register(app: typer.Typer) -> None:
    """The commands join the ``takedown`` group that queue_cmds registers."""
