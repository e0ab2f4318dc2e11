"""Alerts received for real: a local SMTP server (aiosmtpd) and a local webhook receiver, both on 127.0.0.1."""

from __future__ import annotations

import email
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fixtures_store import T0, found_copy

from leaktrack.alerts.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from leaktrack.alerts.notify import AlertSettings, alert_since

SECRET = "webhook-secret"
URL_A, URL_B = "https://pastebin.com/aaaa", "https://mirror.example.org/bbbb.csv"


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers ``fail_first`` requests with 500."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[tuple[dict, bytes]] = []
        self.fail_first = fail_first
        self.arrived = threading.Semaphore(0)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.arrived.release()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"webhook+http://127.0.0.1:{self.server.server_address[1]}/hook"

    def messages(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(fail_first: int = 0) -> Receiver:
        made.append(Receiver(fail_first))
        return made[-1]

    yield make
    for each in made:
        each.close()


def settings_for(*urls: str, **options) -> AlertSettings:
    return AlertSettings(
        list(urls), webhook_secret=SECRET, review_url="https://desk.example", retry_base_seconds=0, **options
    )


def two_new_copies(store):
    return store.upsert_copies(
        [
            found_copy(URL_A, ["r1", "r2"], title="Jane Doe dump"),
            found_copy(URL_B, ["r3"], source="mirrors", minutes=1),
        ]
    )


def test_each_new_copy_gets_one_signed_webhook_alert_without_personal_data(store, receiver):
    hook = receiver()
    two_new_copies(store)

    report = alert_since(store, T0, settings_for(hook.url))

    assert (report.events, report.sent, report.failures) == (2, 2, [])
    alerts = [m["alerts"][0] for m in hook.messages()]
    assert [(a["event"], a["url"], a["records_exposed"]) for a in alerts] == [
        ("new", URL_A, 2),
        ("new", URL_B, 1),
    ]
    assert alerts[0]["review_url"].startswith("https://desk.example/copy/")
    for headers, body in hook.requests:
        assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert b"r1" not in body and b"Jane" not in body


def test_a_forged_or_altered_webhook_body_fails_the_signature_check(store, receiver):
    hook = receiver()
    two_new_copies(store)
    alert_since(store, T0, settings_for(hook.url))
    headers, body = hook.requests[0]
    assert not verify_signature(SECRET, headers[TIMESTAMP_HEADER], body + b" ", headers[SIGNATURE_HEADER])
    assert not verify_signature("other", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])


def test_no_copy_is_alerted_twice_for_the_same_event(store, receiver):
    hook = receiver()
    two_new_copies(store)
    alert_since(store, T0, settings_for(hook.url))

    again = alert_since(store, T0, settings_for(hook.url))

    assert (again.sent, again.repeats) == (0, 2)
    assert len(hook.requests) == 2


def test_digest_mode_sends_one_message_for_the_whole_sweep(store, receiver):
    hook = receiver()
    two_new_copies(store)

    report = alert_since(store, T0, settings_for(hook.url, digest=True))

    assert report.sent == 2
    (message,) = hook.messages()
    assert [a["url"] for a in message["alerts"]] == [URL_A, URL_B]


def test_quiet_mode_remembers_the_backlog_and_sends_nothing_then_or_later(store, receiver):
    hook = receiver()
    two_new_copies(store)

    quiet = alert_since(store, T0, settings_for(hook.url, quiet=True))
    later = alert_since(store, T0, settings_for(hook.url))

    assert (quiet.quiet, later.sent, later.repeats) == (2, 0, 2)
    assert hook.requests == []


def test_a_copy_that_reappears_is_alerted_again(store, receiver):
    hook = receiver()
    (match, _) = two_new_copies(store)
    alert_since(store, T0, settings_for(hook.url))
    for step in ("confirmed", "takedown_sent", "removed"):
        store.change_status(match.id, step, by="ana")
    (back,) = store.upsert_copies([found_copy(URL_A, ["r1", "r2"], minutes=24 * 60)])

    report = alert_since(store, back.status_changed_at - timedelta(seconds=1), settings_for(hook.url))

    assert report.sent == 1
    assert hook.messages()[-1]["alerts"][0]["event"] == "reappeared"


def test_a_failing_channel_is_retried_until_it_takes_the_alert(store, receiver):
    hook = receiver(fail_first=2)
    store.upsert_copies([found_copy(URL_A, ["r1"])])

    report = alert_since(store, T0, settings_for(hook.url))

    assert (report.sent, report.failures) == (1, [])
    assert len(hook.requests) == 3


def test_a_channel_that_keeps_failing_is_reported_not_raised_and_the_alert_is_retried_next_run(
    store, receiver
):
    broken = receiver(fail_first=1000)
    store.upsert_copies([found_copy(URL_A, ["r1"])])

    report = alert_since(store, T0, settings_for(broken.url, attempts=2))

    assert report.sent == 0 and report.failures == [f"webhook {broken.url[len('webhook+') :]}: HTTP 500"]
    working = receiver()
    retry = alert_since(store, T0, settings_for(working.url))
    assert retry.sent == 1 and len(working.requests) == 1


def test_one_failing_channel_does_not_stop_another(store, receiver):
    broken, working = receiver(fail_first=1000), receiver()
    store.upsert_copies([found_copy(URL_A, ["r1"])])

    report = alert_since(store, T0, settings_for(broken.url, working.url, attempts=1))

    assert report.sent == 1 and len(report.failures) == 1
    assert len(working.requests) == 1


def test_a_webhook_without_a_secret_is_reported(store, receiver):
    hook = receiver()
    store.upsert_copies([found_copy(URL_A, ["r1"])])
    report = alert_since(store, T0, AlertSettings([hook.url], webhook_secret=None))
    assert report.sent == 0 and "signing secret" in report.failures[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_email_alert_reaches_a_local_smtp_server(tmp_path):
    from aiosmtpd.controller import Controller

    from leaktrack.index.sqlite import SQLiteStore

    received, arrived = [], threading.Event()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            arrived.set()
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        store = SQLiteStore(tmp_path / "m.db")
        store.upsert_copies([found_copy(URL_A, ["r1", "r2"])])
        url = f"mailto://127.0.0.1:{port}?from=leaktrack@example.org&to=team@example.org&mode=insecure"
        report = alert_since(store, T0, settings_for(url))
        assert arrived.wait(timeout=60), report.failures
    finally:
        controller.stop()
    assert report.sent == 1
    (envelope,) = received
    assert envelope.rcpt_tos == ["team@example.org"]
    message = email.message_from_bytes(envelope.content)
    text = "".join(
        part.get_payload(decode=True).decode("utf-8") for part in message.walk() if not part.is_multipart()
    )
    assert URL_A in text and "records" in text
    assert "r1" not in text.replace(URL_A, "")
