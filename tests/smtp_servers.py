"""Real local SMTP servers (aiosmtpd on 127.0.0.1) for the takedown sending tests.

``SmtpServers.start(...)`` starts one and returns it once it answers (aiosmtpd's ``start``
waits for that); every server started is stopped when the test ends. The TLS ones use a
certificate made for the test by a throw-away CA (trustme); the client is given that CA's
file, as a team with its own mail relay would set ``smtp.ca_file``.
"""

from __future__ import annotations

import socket
import ssl
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "desk", "relay password 42"


class Inbox:
    """aiosmtpd handler: keeps what it accepts; refuses recipients or data when told to."""

    def __init__(self, refuse_rcpt: str | None = None, refuse_data: str | None = None):
        self.messages: list = []
        self.encrypted: list[bool] = []  # per message: did it arrive over TLS?
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_data:
            return self.refuse_data
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"


@dataclass
class Logins:
    """aiosmtpd authenticator: accepts USER/PASSWORD only, and notes every attempt."""

    attempts: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.attempts.append((login, password))
        # handled=False: aiosmtpd answers the refusal itself (535)
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Certificates:
    """A test CA, its PEM file for the client, and a server context with a certificate it signed."""

    ca_file: Path
    server_context: ssl.SSLContext


def certificates(folder: Path, for_name: str = "127.0.0.1") -> Certificates:
    ca = trustme.CA()
    ca_file = folder / f"ca-{uuid.uuid4().hex}.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(for_name).configure_cert(context)
    return Certificates(ca_file, context)


class SmtpServers:
    def __init__(self) -> None:
        self.running: list[Controller] = []

    def start(self, inbox: Inbox | None = None, **smtp_options) -> tuple[Controller, Inbox]:
        """A server on a free port; ``smtp_options`` go to aiosmtpd (``ssl_context`` for TLS on
        connect, ``tls_context``/``require_starttls`` for STARTTLS, ``authenticator``...)."""
        inbox = inbox or Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **smtp_options)
        controller.start()  # returns once the server answers
        self.running.append(controller)
        return controller, inbox

    def stop_all(self) -> None:
        for controller in self.running:
            controller.stop()


@pytest.fixture
def smtp_servers():
    servers = SmtpServers()
    yield servers
    servers.stop_all()


@pytest.fixture
def smtp_server(smtp_servers, request):
    """One plain server; ``indirect`` parametrization passes the Inbox (to make it refuse)."""
    return smtp_servers.start(getattr(request, "param", None))
