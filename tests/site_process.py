"""A LocalSite in a process of its own, so a test can kill it (SIGKILL) as a dying server.

Run as ``python tests/site_process.py`` with a JSON spec on stdin: ``{"pastes": {id: text},
"per_page": N, "held": [path, ...]}`` (held pages never answer). It prints ``ready <base URL>``,
then ``request <path>`` for each request, one line each, flushed: the test's readiness events.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from leaktrack.spiders.sites import LocalSite, add_pastes


def serve(spec: dict) -> None:
    never = threading.Event()
    site = LocalSite()
    add_pastes(site, spec.get("pastes", {}), per_page=spec.get("per_page", 20))
    for path in spec.get("held", []):
        site.pages[path].hold = never
    lookup = site.lookup

    def announced_lookup(path: str):
        print(f"request {path}", flush=True)
        return lookup(path)

    site.lookup = announced_lookup  # type: ignore[method-assign]
    site.start()
    print(f"ready {site.base_url}", flush=True)
    never.wait()


class SiteProcess:
    """The test's handle on a site process: its URL, its request events, and kill()."""

    def __init__(self, spec: dict):
        self.process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.process.stdin.write(json.dumps(spec))
        self.process.stdin.close()
        first = self.process.stdout.readline().split()
        if first[:1] != ["ready"]:
            raise RuntimeError("the site process did not start")
        self.base_url = first[1]

    def url(self, path: str) -> str:
        return self.base_url + path

    def wait_for_request(self, path: str) -> bool:
        """Block until the site has been asked for ``path`` (False if it exited first)."""
        for line in self.process.stdout:
            if line.strip() == f"request {path}":
                return True
        return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=60)
        self.process.stdout.close()


if __name__ == "__main__":
    serve(json.loads(sys.stdin.read()))
