"""A real Scrapyd daemon on a free loopback port, with its own config, eggs, logs and job
database in a test folder (the scrapyd package, installed with leaktrack[scrapyd])."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from redis_server import free_port


class ScrapydServer:
    """``env``: the daemon's environment (its jobs get it: a host's API tokens), else ours.
    ``log_lines``: what the daemon logged (its own log, jobs' stderr), read as it comes."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
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
            env=env,
        )
        self.log_lines: list[str] = []
        for line in self.process.stdout:  # its log, until it listens
            self.log_lines.append(line)
            if f"Site starting on {self.port}" in line:
                break
        else:
            pytest.fail("scrapyd exited at start")
        # Read on, so that its log never fills the pipe and stalls it.
        self.reader = threading.Thread(target=lambda: self.log_lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.reader.join(timeout=60)
        self.process.stdout.close()
