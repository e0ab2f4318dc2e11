"""Local RDAP and web servers on 127.0.0.1 for the contact lookup tests.

``LookupServer`` answers from a table of path -> (status, headers, body); a body may be a
callable (run per request) or ``HANG`` (the request waits until the server stops, so a client
timeout is what ends it). The RDAP answers below are shaped as RFC 9083 says and as registries
answer (ARIN/RIPE-style networks with a nested abuse entity; a thin registry that links to the
registrar's server; a registrar entity with a nested abuse entity, as the ICANN RDAP profile has).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = object()
RDAP_JSON = {"Content-Type": "application/rdap+json"}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server: LookupServer = self.server.owner  # type: ignore[attr-defined]
        server.requests.append(self.path)
        route = server.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Type", "application/rdap+json")
            self.end_headers()
            self.wfile.write(b'{"errorCode": 404, "title": "Not Found"}')
            return
        status, headers, body = route
        if body is HANG:
            server.stopping.wait()
            return
        if callable(body):
            body = body()
        if not isinstance(body, bytes):
            body = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LookupServer:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict, Any]] = {}
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def route(self, path: str, body: Any, status: int = 200, headers: dict | None = None) -> None:
        self.routes[path] = (status, RDAP_JSON if headers is None else headers, body)

    def start(self) -> LookupServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def bootstrap(services: list[tuple[list[str], str]]) -> dict:
    """An RFC 7484 bootstrap file."""
    return {
        "version": "1.0",
        "publication": "2026-11-01T00:00:00Z",
        "description": "test bootstrap",
        "services": [[keys, [url]] for keys, url in services],
    }


def vcard(*props: tuple[str, str]) -> list:
    return ["vcard", [["version", {}, "text", "4.0"], *[[name, {}, "text", value] for name, value in props]]]


def network_answer(address: str) -> dict:
    """An IP network as ARIN answers: the organisation entity, its abuse contact nested inside."""
    return {
        "rdapConformance": ["rdap_level_0", "nro_rdap_profile_0"],
        "objectClassName": "ip network",
        "handle": "NET-8-0-0-0-1",
        "startAddress": "8.0.0.0",
        "endAddress": "8.255.255.255",
        "ipVersion": "v4",
        "name": "EXAMPLE-HOSTING-NET",
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "EXH-1",
                "roles": ["registrant"],
                "vcardArray": vcard(("fn", "Example Hosting Ltd"), ("kind", "org")),
                "entities": [
                    {
                        "objectClassName": "entity",
                        "handle": "ABUSE-EXH",
                        "roles": ["abuse"],
                        "vcardArray": vcard(
                            ("fn", "Abuse desk"), ("email", "abuse@hosting.example"), ("tel", "+1-555-0100")
                        ),
                    },
                    {
                        "objectClassName": "entity",
                        "handle": "NOC-EXH",
                        "roles": ["technical"],
                        "vcardArray": vcard(("fn", "NOC"), ("email", "noc@hosting.example")),
                    },
                ],
            }
        ],
        "links": [
            {
                "value": f"/ip/{address}",
                "rel": "self",
                "href": f"/ip/{address}",
                "type": "application/rdap+json",
            }
        ],
    }


def registrar_entity(abuse_email: str | None) -> dict:
    entity = {
        "objectClassName": "entity",
        "handle": "1234",
        "roles": ["registrar"],
        "publicIds": [{"type": "IANA Registrar ID", "identifier": "1234"}],
        "vcardArray": vcard(("fn", "Example Registrar, Inc.")),
    }
    if abuse_email:
        entity["entities"] = [
            {
                "objectClassName": "entity",
                "roles": ["abuse"],
                "vcardArray": vcard(("fn", ""), ("tel", "+1.5550100"), ("email", abuse_email)),
            }
        ]
    return entity


def domain_answer(domain: str, abuse_email: str | None, related: str | None = None) -> dict:
    answer = {
        "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_0"],
        "objectClassName": "domain",
        "ldhName": domain.upper(),
        "entities": [
            registrar_entity(abuse_email),
            {
                "objectClassName": "entity",
                "roles": ["registrant"],
                "vcardArray": vcard(("fn", "REDACTED"), ("email", "uploader@uploader.example")),
            },
        ],
        "links": [],
    }
    if related:
        answer["links"].append(
            {"value": related, "rel": "related", "href": related, "type": "application/rdap+json"}
        )
    return answer
