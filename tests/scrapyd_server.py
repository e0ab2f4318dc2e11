"""A real Scrapyd daemon on a free loopback port, with its own config, eggs, logs and job
database in a test folder (the scrapyd package, installed with leaktrack[scrapyd])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from redis_server import free_port


class ScrapydServer:
    def __init__(self, folder: Path):
        pytest.importorskip("scrapyd")
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        (folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {folder / 'eggs'}\n"
            f"logs_dir = {folder / 'logs'}\n"
            # No item feeds: items hold no bodies (spiders/outputs.py), and need not be kept twice.
            "items_dir =\n"
            f"dbs_dir = {folder / 'dbs'}\n"
            "max_proc = 4\n"
            "poll_interval = 0.2\n"
        )
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "scrapyd")],
            cwd=folder,  # Scrapyd reads ./scrapyd.conf
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in self.process.stdout:  # its log, until it listens
            if f"Site starting on {self.port}" in line:
                break
        else:
            pytest.fail("scrapyd exited at start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()
