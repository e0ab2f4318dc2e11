"""A real redis-server on a free loopback port, started by the tests (installed by .ci/run).

``RedisServer(password=..., tls=True)`` requires AUTH with that password and serves TLS only,
with a certificate for 127.0.0.1 from a CA the test made (trustme), so the client checks it
as it would a real one.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self, folder: Path, password: str | None = None, tls: bool = False):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server is not installed")
        self.password = password
        self.port = free_port()
        self.ca_path: Path | None = None
        command = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        if password:
            command += ["--requirepass", password]
        if tls:
            command += ["--port", "0", "--tls-port", str(self.port), *self._certificates(folder)]
        else:
            command += ["--port", str(self.port)]
        self.scheme = "rediss" if tls else "redis"
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._wait_until_ready()

    def _certificates(self, folder: Path) -> list[str]:
        trustme = pytest.importorskip("trustme")
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1")
        self.ca_path = folder / "redis-ca.pem"
        authority.cert_pem.write_to_path(self.ca_path)
        certificate.cert_chain_pems[0].write_to_path(folder / "redis-cert.pem")
        certificate.private_key_pem.write_to_path(folder / "redis-key.pem")
        return [
            "--tls-cert-file",
            str(folder / "redis-cert.pem"),
            "--tls-key-file",
            str(folder / "redis-key.pem"),
            "--tls-ca-cert-file",
            str(self.ca_path),
            "--tls-auth-clients",
            "no",  # clients prove themselves with the password; the server proves itself with TLS
        ]

    @property
    def url(self) -> str:
        """The URL without credentials (a TLS URL names the test's CA)."""
        query = f"?ssl_ca_certs={self.ca_path}" if self.ca_path else ""
        return f"{self.scheme}://127.0.0.1:{self.port}/0{query}"

    def _wait_until_ready(self) -> None:
        """Read redis-server's log until it says it accepts connections (or it exits)."""
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                return
        pytest.fail("redis-server exited at start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()
