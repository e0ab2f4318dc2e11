"""Notices sent over STARTTLS and TLS on connect, with a login, to real local servers (aiosmtpd).

Each server's certificate is made for the test by a throw-away CA (trustme); the client trusts
it only through ``smtp.ca_file``, and its certificate is always verified. The failures a team
meets with a real relay: no STARTTLS offered, a certificate that is not trusted, a login
refused. Each is one line, nothing is recorded as sent, and no password is sent where the
connection is not (yet) trusted.
"""

from __future__ import annotations

import email

import pytest
from fixtures_store import T0, found_copy
from smtp_servers import PASSWORD, USER, Logins, certificates
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.takedown.contacts import ContactReport
from leaktrack.takedown.platforms import platform_contact
from leaktrack.takedown.sending import (
    SmtpSettings,
    TakedownSendError,
    prepare_notice,
    send_notice,
    smtp_settings,
)

GITLAB = "https://gitlab.com/someone/dump/-/raw/main/list.csv"
MATCH_ID = match_id_for_url(GITLAB)


@pytest.fixture
def store(tmp_path):
    opened = SQLiteStore(tmp_path / "m.db")
    (match,) = opened.upsert_copies([found_copy(GITLAB, ["r1", "r2"])])
    opened.change_status(match.id, "confirmed", by="alice")
    yield opened
    opened.close()


@pytest.fixture
def certs(tmp_path):
    return certificates(tmp_path)


def starttls_server(smtp_servers, certs, **options):
    return smtp_servers.start(
        tls_context=certs.server_context, require_starttls=True, auth_required=True, **options
    )


def tls_server(smtp_servers, certs, **options):
    # aiosmtpd offers AUTH over STARTTLS only unless told the connection is encrypted already.
    return smtp_servers.start(ssl_context=certs.server_context, auth_require_tls=False, **options)


def settings_for(controller, security: str, ca_file, password: str = PASSWORD) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=controller.port,
        security=security,
        sender="takedown@responder.example",
        username=USER,
        password=password,
        ca_file=ca_file,
        timeout=20,
    )


def prepared(store):
    report = ContactReport(
        url=GITLAB,
        host="gitlab.com",
        registered_domain="gitlab.com",
        contacts=[platform_contact("gitlab.com")],
    )
    return prepare_notice(store, MATCH_ID, report, "takedown@responder.example")


def assert_nothing_recorded(store) -> None:
    assert store.list_notices() == []
    assert store.get(MATCH_ID).status == "confirmed"
    assert store.get_track(MATCH_ID) is None


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_notice_goes_over_tls_to_a_server_whose_certificate_chains_to_the_configured_ca(
    store, smtp_servers, certs, security
):
    logins = Logins()
    start = starttls_server if security == "starttls" else tls_server
    controller, inbox = start(smtp_servers, certs, authenticator=logins)

    notice = send_notice(store, prepared(store), settings_for(controller, security, certs.ca_file), "a", T0)

    ((mail_from, rcpt_tos, content),) = inbox.messages
    assert inbox.encrypted == [True]
    assert logins.attempts == [(USER, PASSWORD)]
    assert rcpt_tos == ["abuse@gitlab.com"]
    assert email.message_from_bytes(content)["Message-ID"] == notice.message_id
    assert store.get(MATCH_ID).status == "takedown_sent"


def test_a_server_that_does_not_offer_starttls_gets_nothing_when_starttls_is_required(
    store, smtp_servers, certs
):
    logins = Logins()
    controller, inbox = smtp_servers.start(authenticator=logins, auth_require_tls=False)
    with pytest.raises(TakedownSendError) as refused:
        send_notice(store, prepared(store), settings_for(controller, "starttls", certs.ca_file), "a", T0)
    assert str(refused.value) == (
        f"SMTP server 127.0.0.1:{controller.port} does not offer STARTTLS; the notice was not sent "
        "unencrypted (use --smtp-security tls if the server takes TLS on connect)"
    )
    assert (inbox.messages, logins.attempts) == ([], [])
    assert_nothing_recorded(store)


@pytest.mark.parametrize(
    "security, bad",
    [
        ("starttls", "signed by a CA the client was not given"),
        ("tls", "signed by a CA the client was not given"),
        ("starttls", "made for another host name"),
        ("tls", "made for another host name"),
    ],
)
def test_a_certificate_that_is_not_trusted_stops_the_notice_before_any_password_is_sent(
    store, smtp_servers, tmp_path, security, bad
):
    if bad.startswith("signed"):
        server_certs, trusted = certificates(tmp_path), certificates(tmp_path)
    else:  # the CA the client trusts, but a certificate for another name than the one it dialled
        server_certs = trusted = certificates(tmp_path, for_name="mail.responder.example")
    logins = Logins()
    start = starttls_server if security == "starttls" else tls_server
    controller, inbox = start(smtp_servers, server_certs, authenticator=logins)

    with pytest.raises(TakedownSendError, match="its certificate is not trusted") as refused:
        send_notice(store, prepared(store), settings_for(controller, security, trusted.ca_file), "a", T0)

    assert "\n" not in str(refused.value)
    assert (inbox.messages, logins.attempts) == ([], [])
    assert_nothing_recorded(store)


def test_the_systems_cas_do_not_trust_a_private_relay_without_the_ca_file(store, smtp_servers, certs):
    controller, inbox = starttls_server(smtp_servers, certs, authenticator=Logins())
    with pytest.raises(TakedownSendError, match="set smtp.ca_file to the CA that signed it"):
        send_notice(store, prepared(store), settings_for(controller, "starttls", None), "a", T0)
    assert inbox.messages == []
    assert_nothing_recorded(store)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_refused_login_is_one_line_and_nothing_is_recorded(store, smtp_servers, certs, security):
    logins = Logins()
    start = starttls_server if security == "starttls" else tls_server
    controller, inbox = start(smtp_servers, certs, authenticator=logins)
    smtp = settings_for(controller, security, certs.ca_file, password="wrong")
    with pytest.raises(TakedownSendError) as refused:
        send_notice(store, prepared(store), smtp, "a", T0)
    assert str(refused.value).startswith(
        f"SMTP server 127.0.0.1:{controller.port} refused the login of {USER}: 535"
    )
    assert set(logins.attempts) == {(USER, "wrong")}  # smtplib tries each offered mechanism
    assert inbox.messages == []
    assert_nothing_recorded(store)


def test_a_missing_ca_file_is_one_line(store, smtp_servers, certs, tmp_path):
    controller, _ = starttls_server(smtp_servers, certs, authenticator=Logins())
    smtp = settings_for(controller, "starttls", tmp_path / "no-such-ca.pem")
    with pytest.raises(TakedownSendError, match="cannot use the SMTP CA file .*no-such-ca.pem"):
        send_notice(store, prepared(store), smtp, "a", T0)
    assert_nothing_recorded(store)


def test_credentials_are_never_sent_over_an_unencrypted_connection():
    with pytest.raises(TakedownSendError, match="the password would be sent unencrypted"):
        smtp_settings({"security": "none", "sender": "t@responder.example", "user": USER, "password": "x"})


# -- through the CLI: server, CA file and credentials from the environment (cli/workspace.py) ---


def send_by_cli(store):
    return CliRunner().invoke(app, ["takedown", "send", MATCH_ID, "--store", f"sqlite:///{store.path}"])


def relay_environment(monkeypatch, controller, security: str, ca_file) -> None:
    for name, value in {
        "LEAKTRACK_SMTP_HOST": "127.0.0.1",
        "LEAKTRACK_SMTP_PORT": str(controller.port),
        "LEAKTRACK_SMTP_SECURITY": security,
        "LEAKTRACK_SMTP_CA_FILE": str(ca_file),
        "LEAKTRACK_SMTP_SENDER": "desk@responder.example",
        "LEAKTRACK_SMTP_USER": USER,
        "LEAKTRACK_SMTP_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_cli_send_logs_in_with_credentials_from_the_environment_over_a_verified_connection(
    store, smtp_servers, certs, monkeypatch, security
):
    logins = Logins()
    start = starttls_server if security == "starttls" else tls_server
    controller, inbox = start(smtp_servers, certs, authenticator=logins)
    relay_environment(monkeypatch, controller, security, certs.ca_file)

    result = send_by_cli(store)

    assert result.exit_code == 0, result.output
    assert logins.attempts == [(USER, PASSWORD)]
    assert inbox.encrypted == [True]
    (notice,) = store.list_notices()
    assert f"Message-ID: {notice.message_id}" in result.stdout
    assert PASSWORD not in result.output


def test_cli_send_to_a_server_without_starttls_is_one_line_exit_1_and_nothing_sent(
    store, smtp_servers, certs, monkeypatch
):
    controller, inbox = smtp_servers.start(authenticator=Logins(), auth_require_tls=False)
    relay_environment(monkeypatch, controller, "starttls", certs.ca_file)
    result = send_by_cli(store)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: SMTP server 127.0.0.1:{controller.port} does not offer STARTTLS; the notice was not "
        "sent unencrypted (use --smtp-security tls if the server takes TLS on connect)"
    ]
    assert inbox.messages == []
    assert_nothing_recorded(store)
