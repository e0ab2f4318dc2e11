"""``leaktrack serve``: the review desk, a web app over the match store."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import LeaktrackError
from ..home import EVIDENCE_DIR, ensure_home
from ..index import open_store
from ..web import settings
from .common import err_console
from .queue_cmds import STORE


def serve(
    host: str = typer.Option(
        settings.DEFAULT_HOST, "--host", help="Address to listen on (loopback unless told)."
    ),
    port: int = typer.Option(settings.DEFAULT_PORT, "--port", min=1, max=65535, help="Port to listen on."),
    evidence_dir: Path | None = typer.Option(
        None, "--evidence-dir", help="Evidence folder (default: the home folder's evidence/)."
    ),
    fingerprints: Path | None = typer.Option(
        None, "--fingerprints", help="Fingerprint file for 'recheck now' (default: the home folder's)."
    ),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="Key file of the fingerprints (default: the home folder's)."
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        help="Reverse proxies trusted for X-Forwarded-Proto/-For (comma-separated).",
    ),
    store_url: str | None = STORE,
) -> None:
    """Serve the review desk (log in with an account from `leaktrack users add`)."""
    import uvicorn

    from ..web.app import DeskConfig, create_app
    from ..web.sessions import load_or_create_secret

    home = ensure_home()
    with open_store(store_url) as store:  # fail now, with one line, if the store cannot be opened
        if not store.list_users():
            raise LeaktrackError("no desk accounts yet: add one with `leaktrack users add NAME --role admin`")
    try:
        secret = load_or_create_secret(home / settings.SECRET_FILE)
    except (OSError, ValueError) as error:
        raise LeaktrackError(f"desk secret: {error}") from None
    config = DeskConfig(
        open_store=lambda: open_store(store_url),
        secret=secret,
        evidence_dir=evidence_dir or home / EVIDENCE_DIR,
        recheck=_rechecker(store_url, fingerprints, key_file),
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


def _rechecker(store_url, fingerprints, key_file):
    from ..web.recheck import recheck_one

    return lambda match_id: recheck_one(match_id, store_url, fingerprints, key_file)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
