"""How the match store looks to a person: rich tables and panels, nothing else."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ..index import Match, StatusChange, StoreStats
from ..takedown.contacts import Contact

STATUS_STYLES = {
    "new": "bold yellow",
    "confirmed": "bold red",
    "dismissed": "dim",
    "takedown_sent": "cyan",
    "removed": "green",
    "reappeared": "bold magenta",
}


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def status_text(status: str) -> str:
    return f"[{STATUS_STYLES.get(status, '')}]{status}[/]"


def queue_table(matches: list[Match], title: str = "Takedown queue") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("records", justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("source")
    table.add_column("last seen", no_wrap=True)
    table.add_column("url", overflow="fold")
    for match in matches:
        table.add_row(
            match.id,
            str(match.matched_count),
            status_text(match.status),
            escape(match.source),  # URLs, titles and sources come from the web: "[x]" is text, not markup
            when(match.last_seen),
            escape(match.url),
        )
    return table


def contact_lines(contact: Contact | None) -> list[str]:
    if contact is None:
        return ["abuse contact: not a listed platform (`leaktrack takedown contacts ID` looks it up)"]
    lines = [f"abuse contact: {contact.name} ({contact.role}, from {contact.source})"]
    lines += [f"  email: {contact.email}"] if contact.email else []
    lines += [f"  form:  {contact.url}"] if contact.url else []
    lines += [f"  note:  {contact.note}"] if contact.note else []
    return lines


def match_panel(match: Match, history: list[StatusChange], contact: Contact | None) -> Panel:
    facts = [
        f"url:        {escape(match.url)}",
        f"title:      {escape(match.title or '-')}",
        f"source:     {escape(match.source)}   host: {escape(match.host or '-')}",
        f"status:     {status_text(match.status)} since {when(match.status_changed_at)}",
        f"records:    {match.matched_count} exposed (containment {match.containment:.2f})"
        + ("; partly read: a limit stopped the reading, more may be exposed" if match.partly_read else ""),
        f"seen:       first {when(match.first_seen)}, last {when(match.last_seen)} (UTC)",
        f"sha256:     {match.content_sha256}",
    ]
    if match.takedown_to:
        days = match.days_outstanding()
        outstanding = f", {days} days outstanding" if days is not None else ""
        facts.append(
            f"takedown:   sent to {escape(match.takedown_to)} ref {escape(match.takedown_ref or '-')}{outstanding}"
        )
    if match.evidence_path:
        facts.append(f"evidence:   {escape(match.evidence_path)}")
    facts += [escape(line) for line in contact_lines(contact)]
    facts.append(f"record ids: {escape(', '.join(match.matched_records) or '-')}")
    changes = history_table(history) if history else "history:    no status changes yet"
    # expand=False: to a pipe or file (no width limit there) the panel is as wide as its longest line.
    return Panel(
        Group("\n".join(facts), changes), title=f"match {match.id}", title_align="left", expand=False
    )


def history_table(history: list[StatusChange]) -> Table:
    table = Table(title="history", title_justify="left")
    for column in ("when (UTC)", "from", "to", "by", "note"):
        table.add_column(column)
    for change in history:
        note = change.note or ""
        if change.details:
            note = " ".join([note] + [f"{key}={value}" for key, value in change.details.items()]).strip()
        table.add_row(
            when(change.at), change.from_status or "-", change.to_status, escape(change.by), escape(note)
        )
    return table


def history_dict(change: StatusChange) -> dict:
    """One history entry for ``--json`` output."""
    return {
        "from": change.from_status,
        "to": change.to_status,
        "at": change.at.isoformat(),
        "by": change.by,
        "note": change.note,
        "details": change.details,
    }


def stats_table(stats: StoreStats) -> Table:
    table = Table(title="Match store", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("copies still up", str(stats.copies_still_up))
    table.add_row("records exposed at least once", str(stats.records_exposed))
    for status, count in sorted(stats.by_status.items()):
        table.add_row(f"status {status_text(status)}", str(count))
    for source, count in sorted(stats.by_source.items()):
        table.add_row(f"source {escape(source)}", str(count))
    return table
