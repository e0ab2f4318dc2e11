"""``takedown`` commands beyond draft/sent: who to write to, send, what is due, monitoring.

Thin: each command opens the store, calls one function of ``leaktrack.takedown`` and renders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..index import open_workspace_store
from ..index.base import utcnow
from ..index.files import open_owner_only
from ..takedown import exports, retention
from ..takedown import settings as takedown_settings
from ..takedown.mirrors import mirrors_of
from ..takedown.schedule import SchedulePolicy, due_actions, record_check
from . import options
from .common import console, err_console, print_json
from .queue_cmds import BY, JSON, STORE, default_actor, review_store, takedown_app
from .workspace import SETTINGS_BY_KEY, current_workspace

if TYPE_CHECKING:
    from ..takedown.finder import ContactFinder

# SMTP credentials come from the environment or the owner-only config file (cli/workspace.py:
# LEAKTRACK_SMTP_USER, LEAKTRACK_SMTP_PASSWORD, [smtp] user/password), never from options.
# Server, port, security, CA file and From: option > LEAKTRACK_SMTP_* > [smtp] > the defaults
# of takedown/settings.py.


def smtp_help(key: str, text: str) -> str:
    setting = SETTINGS_BY_KEY[key]
    return f"{text} [default: ${setting.env}, else the config file's '{key}', else {setting.default}]"


RDAP_BOOTSTRAP = typer.Option(
    takedown_settings.RDAP_BOOTSTRAP_BASE,
    "--rdap-bootstrap",
    help="Where the RFC 7484 RDAP bootstrap files (dns.json, ipv4.json, ipv6.json) are fetched from.",
)
LOOKUP_TIMEOUT = typer.Option(
    takedown_settings.LOOKUP_TIMEOUT_SECONDS, "--lookup-timeout", min=0.1, help="Seconds per lookup request."
)


def contact_finder(store, rdap_bootstrap: str, lookup_timeout: float) -> ContactFinder:
    # The finder (tldextract, requests) and the notices (jinja2), smtplib are imported by the
    # commands that use them: every other command starts without them (lazy.py).
    from ..takedown.fetch import Fetcher
    from ..takedown.finder import ContactFinder

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
    with review_store(store_url) as store:
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


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@takedown_app.command("send")
def takedown_send(
    match_id: str = typer.Argument(..., help="Match id."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the mail that would be sent; send and record nothing."
    ),
    role: str | None = typer.Option(
        None,
        "--role",
        help="Write to this contact (platform, host, hosting, registrar) instead of the next in line.",
    ),
    sender: str | None = typer.Option(
        None, "--sender", help="Your name, organisation and contact details (signature)."
    ),
    affected: str = typer.Option(
        takedown_settings.DEFAULT_AFFECTED_PEOPLE,
        "--affected",
        help="Who the people in the leak are (the case's words).",
    ),
    data: str = typer.Option(
        takedown_settings.DEFAULT_DATA_DESCRIPTION, "--data", help="What the leak exposes about them."
    ),
    harm: str = typer.Option(
        takedown_settings.DEFAULT_HARM, "--harm", help="Why the copy must go, in one sentence."
    ),
    template: Path | None = typer.Option(
        None, "--template", help="A Jinja2 template instead of the role's own."
    ),
    smtp_host: str | None = typer.Option(None, "--smtp-host", help=smtp_help("smtp.host", "SMTP server.")),
    smtp_port: int | None = typer.Option(None, "--smtp-port", help=smtp_help("smtp.port", "SMTP port.")),
    smtp_security: str | None = typer.Option(
        None, "--smtp-security", help=smtp_help("smtp.security", "starttls, tls or none (a local relay).")
    ),
    mail_from: str | None = typer.Option(
        None, "--from", help=smtp_help("smtp.sender", "The From address (required unless --dry-run).")
    ),
    rdap_bootstrap: str = RDAP_BOOTSTRAP,
    lookup_timeout: float = LOOKUP_TIMEOUT,
    by: str | None = BY,
    store_url: str | None = STORE,
) -> None:
    """Send the next notice for a copy by SMTP (first notice, reminder or escalation) and record it.

    SMTP server, port, security and From address: the options, else $LEAKTRACK_SMTP_*, else the
    config file's [smtp]. Credentials: $LEAKTRACK_SMTP_USER and $LEAKTRACK_SMTP_PASSWORD, or
    [smtp] user and password in an owner-only config file. The server's certificate is always
    verified, against $LEAKTRACK_SMTP_CA_FILE (smtp.ca_file) when set.
    """
    given = {"smtp.host": smtp_host, "smtp.port": smtp_port, "smtp.security": smtp_security}
    smtp_config = current_workspace(**given, **{"smtp.sender": mail_from}).smtp
    security = smtp_config.get("security", takedown_settings.DEFAULT_SMTP_SECURITY)
    if security not in takedown_settings.SMTP_SECURITY_MODES:
        raise typer.BadParameter(f"use starttls, tls or none, not {security!r}", param_hint="--smtp-security")
    sender_address = smtp_config.get("sender")
    from_address = sender_address or "leaktrack@localhost"  # a real one is required to send (below)
    if not dry_run and not sender_address:
        raise typer.BadParameter(
            "say which address the notice is sent from (or `leaktrack config set smtp.sender ADDRESS`)",
            param_hint="--from",
        )
    from ..takedown.notices import NoticeWording
    from ..takedown.sending import prepare_notice, send_notice, smtp_settings

    smtp = None if dry_run else smtp_settings(smtp_config)
    wording = NoticeWording(affected_people=affected, data_description=data, harm=harm)
    with review_store(store_url) as store:
        match = store.get(match_id)
        report = contact_finder(store, rdap_bootstrap, lookup_timeout).find([match.url])[match.url]
        prepared = prepare_notice(store, match_id, report, from_address, sender, wording, role, template)
        if smtp is None:
            sys.stdout.write(prepared.preview())
            return
        notice = send_notice(store, prepared, smtp, by or default_actor(), utcnow())
    _say(
        f"{match_id}: {notice.kind} sent to {notice.recipient} ({notice.role}, from {notice.contact_source})"
    )
    _say(f"Message-ID: {notice.message_id}")


@takedown_app.command("due")
def takedown_due(
    remind_after: float = typer.Option(
        takedown_settings.REMIND_AFTER_DAYS,
        "--remind-after",
        min=0,
        help="Days after a notice before a reminder.",
    ),
    escalate_after: float = typer.Option(
        takedown_settings.ESCALATE_AFTER_DAYS,
        "--escalate-after",
        min=0,
        help="Days after a reminder before escalating.",
    ),
    recheck_every: float = typer.Option(
        takedown_settings.RECHECK_EVERY_DAYS,
        "--recheck-every",
        min=0,
        help="Days between rechecks of a removed copy.",
    ),
    limit: int = typer.Option(
        takedown_settings.DEFAULT_DUE_LIMIT, "--limit", min=1, help="At most N of each action."
    ),
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """What needs action today: reminders, escalations, rechecks, copies back online."""
    policy = SchedulePolicy(remind_after, escalate_after, recheck_every)
    now = utcnow()
    with review_store(store_url) as store:
        actions = due_actions(store, now, policy, limit)
    if as_json:
        print_json([action.as_dict(now) for action in actions])
        return
    if not actions:
        _say("Nothing is due.")
        return
    for action in actions:
        _say(
            f"{action.match_id}  {action.action:<12} {action.host}  (last: {action.role}, "
            f"{action.days_waiting(now)} days since {action.waiting_since:%Y-%m-%d})"
        )


@takedown_app.command("mirrors")
def takedown_mirrors(
    match_id: str = typer.Argument(..., help="Match id."),
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Other URLs with the same content or the same exposed records: take them down together."""
    with review_store(store_url) as store:
        mirrors = mirrors_of(store, store.get(match_id))
    if as_json:
        print_json([mirror.as_dict() for mirror in mirrors])
    elif not mirrors:
        _say(f"{match_id}: no mirrors found.")
    for mirror in [] if as_json else mirrors:
        _say(f"{mirror.match_id}  {mirror.status:<13} {mirror.reason:<13} {mirror.url}")


@takedown_app.command("export")
def takedown_export(
    kind: str = typer.Argument(
        ..., help="lumen (notice records, JSON), misp (an event, JSON) or tickets (CSV)."
    ),
    sender: str = typer.Option("", "--sender", help="lumen: who sent the notices (your organisation)."),
    info: str = typer.Option(
        "Copies of a leaked personal dataset (leaktrack)", "--info", help="misp: the event's title."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write to FILE (owner-only) instead of stdout."),
    store_url: str | None = STORE,
) -> None:
    """Export notices and copies for Lumen, MISP or a ticketing system (URLs, dates, hashes; no leaked data)."""
    if kind not in exports.EXPORT_KINDS:
        raise typer.BadParameter(f"use one of {', '.join(exports.EXPORT_KINDS)}", param_hint="KIND")
    stream = open_owner_only(out, newline="") if out else sys.stdout
    try:
        with review_store(store_url) as store:
            if kind == "tickets":
                exports.write_tickets(store, stream)
            elif kind == "lumen":
                stream.write(json.dumps(exports.lumen_records(store, sender), indent=2) + "\n")
            else:
                still = (m for m in store.iter_matches() if m.status != "dismissed")
                stream.write(json.dumps(exports.misp_event(still, info), indent=2) + "\n")
    finally:
        if out:
            stream.close()


# A recheck's verdicts (spiders/recheck.py) as the monitoring rules see them; "unreachable" is
# neither: the absence of an answer proves nothing.
GONE_VERDICTS = {"gone": True, "no longer matching": True, "still up": False}


@takedown_app.command("monitor")
def takedown_monitor(
    fingerprints: Path | None = options.FINGERPRINTS,
    key_file: Path | None = options.KEY_FILE,
    setting: list[str] | None = typer.Option(
        None, "--set", "-s", help="Override a crawl setting, NAME=VALUE."
    ),
    allow_private_networks: bool = typer.Option(
        False, "--allow-private-networks", help="Allow private/loopback addresses (local testing only)."
    ),
    resolved_after: float = typer.Option(
        takedown_settings.RESOLVED_AFTER_DAYS,
        "--resolved-after",
        min=0,
        help="Days gone before a copy counts as resolved.",
    ),
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Re-check notified and removed copies: gone ones are monitored until resolved, returning ones reopen."""
    from ..spiders.recheck import RecheckResult
    from ..spiders.recheck import recheck as recheck_matches
    from .sweep_cmds import parse_settings

    policy = SchedulePolicy(resolved_after_days=resolved_after)
    results: dict[str, RecheckResult] = {}
    workspace = current_workspace(store=store_url, fingerprints=fingerprints, key_file=key_file)
    for status in ("takedown_sent", "removed"):  # a copy just found gone is not fetched twice
        for result in recheck_matches(
            workspace, status, allow_private_networks, settings=parse_settings(setting)
        ):
            results.setdefault(result.match_id, result)
    now = utcnow()
    outcome = []
    with review_store(store_url) as store:
        for result in results.values():
            if result.verdict not in GONE_VERDICTS:
                outcome.append({"match_id": result.match_id, "verdict": result.verdict, "step": None})
                continue
            track = record_check(
                store, store.get(result.match_id), GONE_VERDICTS[result.verdict], now, policy
            )
            outcome.append(
                {
                    "match_id": result.match_id,
                    "verdict": result.verdict,
                    "step": track.step if track else None,
                }
            )
    if as_json:
        print_json(outcome)
        return
    for line in outcome:
        _say(f"{line['match_id']}  {line['verdict']:<20} {line['step'] or '-'}")


def purge(
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        help="Age past which to purge: 90d, 12w, 6m, 1y [default: the config file's retention_days].",
    ),
    what: str = typer.Option(
        "evidence,crawl-state,dismissed", "--what", help="Comma-separated: evidence, crawl-state, dismissed."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; delete nothing."),
    by: str | None = BY,
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Purge old evidence, crawl state and dismissed matches (audited; --dry-run counts only)."""
    from ..spiders.state import CrawlState

    workspace = current_workspace(store=store_url)
    if older_than is None:
        if workspace.retention_days is None:
            raise typer.BadParameter(
                "say how old: --older-than 90d, or `leaktrack config set retention_days 90`",
                param_hint="--older-than",
            )
        older_than = f"{workspace.retention_days}d"

    def forget_crawl_state(cut, dry) -> int:
        state = CrawlState(workspace.crawl_state)
        try:
            return state.forget_last_seen_before(cut, dry)
        finally:
            state.close()

    age, kinds = retention.parse_age(older_than), retention.parse_kinds(what)
    with open_workspace_store(workspace, must_exist=True) as store:
        report = retention.purge(
            store, age, kinds, utcnow(), by or default_actor(), dry_run, forget_crawl_state
        )
    if as_json:
        print_json(report.as_dict())
        return
    verb = "would purge" if dry_run else "purged"
    for kind, count in report.counts.items():
        _say(f"{kind}: {verb} {count} (older than {report.cut:%Y-%m-%d})")
    for problem in report.problems:
        err_console.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """The takedown commands join the ``takedown`` group that queue_cmds registers; purge is top-level."""
    app.command("purge")(purge)
