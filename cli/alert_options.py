"""The alert options of ``sweep`` and ``watch``, and sending a sweep's alerts (``alerts/``)."""

from __future__ import annotations

import os

import typer

from ..errors import LeaktrackError
from .common import err_console

WEBHOOK_SECRET_ENV = "LEAKTRACK_WEBHOOK_SECRET"

AlertOption = typer.Option(
    None,
    "--alert",
    help="Alert URL (repeatable): an apprise URL (mailto://, slack://, msteams://, mmost://, matrix://, ...) "
    f"or webhook+https://host/path (JSON signed with ${WEBHOOK_SECRET_ENV}).",
)
AlertDigestOption = typer.Option(
    False, "--alert-digest", help="One alert message per sweep, not one per copy."
)
AlertQuietOption = typer.Option(
    False, "--alert-quiet", help="Remember new copies as alerted without sending (first sweeps of a backlog)."
)
ReviewUrlOption = typer.Option(None, "--review-url", help="The review desk's address, for links in alerts.")


def send_sweep_alerts(
    summary,
    store_url: str,
    urls: list[str] | None,
    digest: bool,
    quiet: bool,
    review_url: str | None,
    keep_going: bool = False,
):
    """Alerts for what the sweep found new or back; returns the report (None without --alert).

    ``keep_going`` (watch): a store that cannot be reached is reported; the next sweep tries again.
    """
    if not urls and not quiet:
        return None
    from ..alerts.notify import AlertSettings, alert_since
    from ..index import open_store

    settings = AlertSettings(
        list(urls or []),
        os.environ.get(WEBHOOK_SECRET_ENV),
        digest=digest,
        quiet=quiet,
        review_url=review_url,
    )
    try:
        with open_store(store_url) as store:
            report = alert_since(store, summary.started_at, settings)
    except LeaktrackError as error:
        if not keep_going:
            raise
        err_console.print(f"alerts not sent: {error}", markup=False, highlight=False)
        return None
    for failure in report.failures:
        err_console.print(f"alert failed: {failure}", markup=False, highlight=False)
    err_console.print(report.summary(), markup=False, highlight=False)
    return report
