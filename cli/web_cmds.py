"""``leaktrack serve``: the review desk, a web app over the match store."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import LeaktrackError
from ..home import Workspace
from ..index import open_workspace_store
from ..web import settings
from . import options
from .common import err_console
from .workspace import current_workspace


def serve(
    host: str = typer.Option(
        settings.DEFAULT_HOST, "--host", help="Address to listen on (loopback unless told)."
    ),
    port: int = typer.Option(settings.DEFAULT_PORT, "--port", min=1, max=65535, help="Port to listen on."),
    evidence_dir: Path | None = typer.Option(
        None, "--evidence-dir", help="Evidence folder (default: the home folder's evidence/)."
    ),
    fingerprints: Path | None = options.FINGERPRINTS,
    key_file: Path | None = options.KEY_FILE,
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        help="Reverse proxies trusted for X-Forwarded-Proto/-For (comma-separated).",
    ),
    store_url: str | None = options.STORE,
) -> None:
    """Serve the review desk (log in with an account from `leaktrack users add`).

    Its "Send notice" action sends by SMTP with the same settings as `takedown send`
    ($LEAKTRACK_SMTP_*, the config file's [smtp]).
    """
    import uvicorn

    from ..web.app import DeskConfig, create_app
    from ..web.notice_sending import NoticeSending
    from ..web.sessions import load_or_create_secret

    workspace = current_workspace(store=store_url, fingerprints=fingerprints, key_file=key_file)
    workspace = workspace.with_files(evidence_dir=evidence_dir)
    home = workspace.ensure_home()
    with open_workspace_store(workspace) as store:  # fail now, with one line, if the store cannot be opened
        if not store.list_users():
            raise LeaktrackError("no desk accounts yet: add one with `leaktrack users add NAME --role admin`")
    try:
        secret = load_or_create_secret(home / settings.SECRET_FILE)
    except (OSError, ValueError) as error:
        raise LeaktrackError(f"desk secret: {error}") from None
    config = DeskConfig(
        open_store=lambda: open_workspace_store(workspace),
        secret=secret,
        evidence_dir=workspace.evidence_dir,
        recheck=_rechecker(workspace),
        # "Send notice" uses the [smtp] settings resolved here, as `takedown send` does; the
        # page says what is missing when they do not allow sending.
        sending=NoticeSending(smtp=workspace.smtp),
    )
    err_console.print(
        f"Review desk on http://{host}:{port}/ (Ctrl-C stops it)", markup=False, highlight=False
    )
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="warning",
        server_header=False,
    )


def _rechecker(workspace: Workspace):
    from ..web.recheck import recheck_one

    return lambda match_id: recheck_one(match_id, workspace)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
