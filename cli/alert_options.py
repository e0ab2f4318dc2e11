"""The alert options of ``sweep`` and ``watch``, and sending a sweep's alerts (``alerts/``)."""

from __future__ import annotations

from typing import Any

import typer

from ..errors import LeaktrackError
from ..home import Workspace
from .common import err_console
from .workspace import SETTINGS_BY_KEY


def _from_config(key: str) -> str:
    setting = SETTINGS_BY_KEY[key]
    return f"[default: ${setting.env}, else the config file's '{key}', else {setting.default}]"


AlertOption = typer.Option(
    None,
    "--alert",
    help="Alert URL (repeatable): an apprise URL (mailto://, slack://, msteams://, mmost://, matrix://, ...) "
    f"or webhook+https://host/path (JSON signed with ${SETTINGS_BY_KEY['alerts.webhook_secret'].env}). "
    + _from_config("alerts.channels"),
)
AlertDigestOption = typer.Option(
    None,
    "--alert-digest/--no-alert-digest",
    help="One alert message per sweep, not one per copy. " + _from_config("alerts.digest"),
    show_default=False,
)
AlertQuietOption = typer.Option(
    None,
    "--alert-quiet/--no-alert-quiet",
    help="Remember new copies as alerted without sending (first sweeps of a backlog). "
    + _from_config("alerts.quiet"),
    show_default=False,
)
ReviewUrlOption = typer.Option(
    None,
    "--review-url",
    help="The review desk's address, for links in alerts. " + _from_config("alerts.review_url"),
)


def alert_settings(
    workspace: Workspace,
    urls: list[str] | None,
    digest: bool | None,
    quiet: bool | None,
    review_url: str | None,
) -> Any:
    """The alerts of this run: an option wins over the Workspace's (environment, then config file)."""
    from ..alerts.notify import AlertSettings

    configured = workspace.alerts
    return AlertSettings(
        list(urls or configured.get("channels") or []),
        configured.get("webhook_secret"),
        digest=configured.get("digest", False) if digest is None else digest,
        quiet=configured.get("quiet", False) if quiet is None else quiet,
        review_url=review_url or configured.get("review_url"),
    )


def send_sweep_alerts(
    summary,
    workspace: Workspace,
    urls: list[str] | None,
    digest: bool | None,
    quiet: bool | None,
    review_url: str | None,
    keep_going: bool = False,
):
    """Alerts for what the sweep found new or back, and for its sources that went dark; returns
    the report (None without alert URLs).

    ``keep_going`` (watch): a store that cannot be reached is reported; the next sweep tries again.
    """
    settings = alert_settings(workspace, urls, digest, quiet, review_url)
    if not settings.urls and not settings.quiet:
        return None
    from ..alerts.notify import alert_since
    from ..index import open_workspace_store

    # The parts of a copy's URL that quote the leak (a file named after a person) are withheld
    # from the alert (``fingerprints.stored_text``).
    settings.withhold_url = _url_withholder(workspace.fingerprints, workspace.key_file)
    try:
        with open_workspace_store(workspace) as store:
            report = alert_since(
                store,
                summary.started_at,
                settings,
                source_health={health.source: health.reasons for health in summary.health},
                sweep_id=summary.id,
            )
    except LeaktrackError as error:
        if not keep_going:
            raise
        err_console.print(f"alerts not sent: {error}", markup=False, highlight=False)
        return None
    for failure in report.failures:
        err_console.print(f"alert failed: {failure}", markup=False, highlight=False)
    err_console.print(report.summary(), markup=False, highlight=False)
    return report


def _url_withholder(fingerprints_path, key_file):
    """``withhold_url_parts`` bound to the fingerprints, loaded on the first alert only."""
    from ..fingerprints.stored_text import withhold_url_parts
    from ..spiders.scanning import load_fingerprints

    return lambda url: withhold_url_parts(url, load_fingerprints(str(fingerprints_path), str(key_file)))
