"""A cheap local site for the crawl benchmark: the pages of a ``LocalSite``, pre-rendered to
files and served by nginx (Debian's ``nginx-light``) on 127.0.0.1.

The Python ``LocalSite`` spends CPU on every page it serves, on the same cores as the workers
it is meant to measure; nginx serves a static file for a small fraction of that. Same shapes as
the stand-in: the same paths (an archive page's query ``?page=N`` included), content types,
ETag / Last-Modified (nginx's own, so conditional requests get a 304) and rate-limit headers
like a real paste site's. ``cpu_seconds()`` is what nginx has used so far (master and worker),
for the benchmark to print beside the workers' CPU.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from proc_cpu import cpu_seconds_of_tree

# Paste sites answer with their rate limits (Pastebin's scraping API, GitHub's REST API do).
RATE_LIMIT_HEADERS = {"X-RateLimit-Limit": "1000000", "X-RateLimit-Remaining": "999999"}
CONFIG = """
worker_processes 1;
user root;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type "text/html; charset=utf-8";
    access_log off;
    client_body_temp_path {folder}/tmp;
    proxy_temp_path {folder}/tmp;
    fastcgi_temp_path {folder}/tmp;
    uwsgi_temp_path {folder}/tmp;
    scgi_temp_path {folder}/tmp;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        {headers}
        # A path with a query (/archive?page=2) is the file named path@query.
        location / {{ try_files "$uri@$args" $uri $uri/ =404; }}
        location /raw/ {{ default_type "text/plain; charset=utf-8"; try_files $uri =404; }}
    }}
}}
"""


def nginx_available() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


class NginxSite:
    """``site``'s pages (a ``LocalSite``, not started) served from files by nginx."""

    def __init__(self, site, folder: Path):
        self.folder = folder
        self.root = folder / "root"
        for path, page in site.pages.items():
            target = self.root / file_name(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(page.body)
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        headers = " ".join(
            f'add_header {name} "{value}" always;' for name, value in RATE_LIMIT_HEADERS.items()
        )
        config = folder / "nginx.conf"
        config.write_text(CONFIG.format(folder=folder, port=self.port, root=self.root, headers=headers))
        self.process = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-p", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.wait_until_listening()

    def wait_until_listening(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"nginx exited at start: {self.process.stderr.read().decode()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("nginx did not start listening within 30 s")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def cpu_seconds(self) -> float:
        return cpu_seconds_of_tree(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)

    def __enter__(self) -> NginxSite:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def file_name(path: str) -> str:
    """The file serving ``path`` (see CONFIG): ``/archive?page=2`` -> ``archive@page=2``; a
    directory's page (``/mirror/``) is its ``index.html``."""
    path, _, query = path.partition("?")
    name = path.lstrip("/")
    if name.endswith("/") or not name:
        name += "index.html"
    return name + (f"@{query}" if query else "")
