"""Send the alerts of a sweep: claim each event in the store, then send, retry, report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..index import MatchStore
from .channels import AlertChannelError, channel_for
from .events import AlertEvent, DarkSourceEvent, dark_source_events, events_since, source_subject

Event = AlertEvent | DarkSourceEvent

log = logging.getLogger(__name__)

ATTEMPTS = 3  # per message and channel
RETRY_BASE_SECONDS = 1.0  # waits 1 s, then 2 s, between attempts


@dataclass
class AlertSettings:
    urls: list[str]
    webhook_secret: str | None = None
    digest: bool = False  # one message per sweep instead of one per copy
    quiet: bool = False  # remember the events, send nothing (first sweeps of a backlog)
    review_url: str | None = None  # the desk's address, for links in the alerts
    # Applied to each copy's URL before it leaves for a channel (the sweep passes
    # ``fingerprints.stored_text.withhold_url_parts``: parts quoting the leak are withheld).
    withhold_url: Callable[[str], str] | None = None
    attempts: int = ATTEMPTS
    retry_base_seconds: float = RETRY_BASE_SECONDS


@dataclass
class AlertReport:
    events: int = 0
    sent: int = 0  # events whose alert reached at least one channel
    repeats: int = 0  # events alerted before (not sent again)
    quiet: int = 0  # events remembered without sending
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.sent} sent", f"{self.repeats} repeats skipped"]
        parts += [f"{self.quiet} remembered quietly"] if self.quiet else []
        parts += [f"{len(self.failures)} channel failures"] if self.failures else []
        return "alerts: " + ", ".join(parts)


def _text(events: list[Event], review_url: str | None) -> tuple[str, str, dict]:
    if len(events) == 1:
        title = events[0].title
    elif all(isinstance(event, AlertEvent) for event in events):
        title = f"leaktrack: {len(events)} copies new or back"
    else:
        title = f"leaktrack: {len(events)} alerts (copies new or back, sources dark)"
    payloads = [event.payload(review_url) for event in events]
    lines = [event.line(payload) for event, payload in zip(events, payloads)]
    return title, "\n".join(lines), {"alerts": payloads}


def _deliver(channel, title: str, text: str, message: dict, settings: AlertSettings) -> str | None:
    """None when sent, else why not (after ``attempts`` tries)."""
    for attempt in range(1, settings.attempts + 1):
        try:
            channel.send(title, text, message)
            return None
        except AlertChannelError as error:
            reason = str(error)
            log.warning("alert via %s failed (attempt %d): %s", channel.name, attempt, reason)
            if attempt < settings.attempts:
                time.sleep(settings.retry_base_seconds * 2 ** (attempt - 1))
    return reason


def send_alerts(store: MatchStore, events: list[Event], settings: AlertSettings) -> AlertReport:
    """Claim each event (no repeats across runs), send, retry; an event no channel took is
    released so the next run tries again. A failing channel never raises: it is reported."""
    report = AlertReport(events=len(events))
    claimed = [event for event in events if store.claim_alert(event.subject, event.key)]
    report.repeats = len(events) - len(claimed)
    if settings.quiet or not claimed:
        report.quiet = len(claimed) if settings.quiet else 0
        return report
    channels = []
    for url in settings.urls:
        try:
            channels.append(channel_for(url, settings.webhook_secret))
        except AlertChannelError as error:
            report.failures.append(str(error))
    groups = [claimed] if settings.digest else [[event] for event in claimed]
    for group in groups:
        shown = [event.shown(settings.withhold_url) for event in group]
        title, text, message = _text(shown, settings.review_url)
        failures = [_deliver(channel, title, text, message, settings) for channel in channels]
        report.failures += [failure for failure in failures if failure]
        if channels and any(failure is None for failure in failures):
            report.sent += len(group)
        else:
            for event in group:
                store.release_alert(event.subject, event.key)
    return report


def alert_since(
    store: MatchStore,
    since: datetime,
    settings: AlertSettings,
    source_health: dict[str, list[str]] | None = None,
    sweep_id: str = "",
) -> AlertReport:
    """The alerts of everything new or back since ``since`` (a sweep's or a recheck's start),
    and, given the sweep's ``source_health`` (source -> why it looked dark, [] when alive), of
    each source that went dark (once per dark spell: see ``DarkSourceEvent``)."""
    dark, alive = dark_source_events(source_health or {}, sweep_id, since)
    for name in alive:  # its dark spell is over: the next one is alerted again
        store.release_alert(source_subject(name), DarkSourceEvent.key)
    return send_alerts(store, [*events_since(store, since), *dark], settings)
