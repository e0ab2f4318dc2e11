"""Sending notices through a real local SMTP server (aiosmtpd on 127.0.0.1), and what is recorded."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from fixtures_store import T0, found_copy
from smtp_servers import Inbox, free_port
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import TakedownTemplateError
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.takedown.contacts import Contact, ContactReport
from leaktrack.takedown.notices import NoticeWording
from leaktrack.takedown.sending import SmtpSettings, TakedownSendError, prepare_notice, send_notice

GITLAB = "https://gitlab.com/someone/dump/-/raw/main/list.csv"
MIRROR = "https://files.example.co.uk/leak.csv"


@pytest.fixture
def store(tmp_path):
    opened = SQLiteStore(tmp_path / "m.db")
    for url in (GITLAB, MIRROR):
        (match,) = opened.upsert_copies([found_copy(url, ["r1", "r2", "r3"])])
        opened.change_status(match.id, "confirmed", by="alice")
    yield opened
    opened.close()


def ladder_report(url: str = MIRROR) -> ContactReport:
    def contact(role, email):
        return Contact(role=role, name=f"{role} desk", email=email, source=f"rdap test {role}", found_at=T0)  # noqa: E731

    return ContactReport(
        url=url,
        host="files.example.co.uk",
        registered_domain="example.co.uk",
        contacts=[
            contact("registrar", "abuse@registrar.example"),
            contact("hosting", "abuse@hosting.example"),
        ],
    )


def smtp_for(controller) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=controller.port, security="none", sender="takedown@responder.example"
    )


def test_a_notice_is_sent_to_the_first_contact_and_recorded_with_its_message_id(store, smtp_server):
    controller, inbox = smtp_server
    match_id = match_id_for_url(MIRROR)
    prepared = prepare_notice(
        store, match_id, ladder_report(), "takedown@responder.example", sender="Data Office"
    )

    notice = send_notice(store, prepared, smtp_for(controller), by="alice", now=T0)

    ((mail_from, rcpt_tos, content),) = inbox.messages
    sent = email.message_from_bytes(content)
    assert (mail_from, rcpt_tos) == ("takedown@responder.example", ["abuse@hosting.example"])
    assert sent["Message-ID"] == notice.message_id
    assert "leaked personal data hosted on your network" in sent["Subject"]
    assert (notice.role, notice.recipient, notice.contact_source) == (
        "hosting",
        "abuse@hosting.example",
        "rdap test hosting",
    )
    assert store.list_notices(match_id) == [notice]
    match = store.get(match_id)
    assert (match.status, match.takedown_to, match.takedown_ref) == (
        "takedown_sent",
        "abuse@hosting.example",
        notice.message_id,
    )
    track = store.get_track(match_id)
    assert (track.step, track.role, track.first_notice_at) == ("notified", "hosting", T0)


def test_the_notice_carries_the_cases_wording_and_no_record_ids(store, smtp_server):
    controller, inbox = smtp_server
    wording = NoticeWording(
        affected_people="tenants of one housing association", data_description="their addresses"
    )
    prepared = prepare_notice(
        store, match_id_for_url(MIRROR), ladder_report(), "takedown@responder.example", wording=wording
    )
    send_notice(store, prepared, smtp_for(controller), by="alice", now=T0)
    body = inbox.messages[0][2].decode()
    assert "tenants of one housing association" in body and "their addresses" in body
    assert "asylum" not in body
    assert "r1" not in body.replace("\r\n", "\n").split("\n\n", 1)[1]


def test_a_reminder_goes_to_the_same_contact_and_an_escalation_to_the_next_in_line(store, smtp_server):
    controller, inbox = smtp_server
    match_id = match_id_for_url(MIRROR)
    for day in range(3):
        prepared = prepare_notice(store, match_id, ladder_report(), "takedown@responder.example")
        send_notice(store, prepared, smtp_for(controller), by="alice", now=T0 + timedelta(days=3 * day))
    kinds = [(n.kind, n.role) for n in store.list_notices(match_id)]
    assert kinds == [("notice", "hosting"), ("reminder", "hosting"), ("escalation", "registrar")]
    assert [rcpt for _, (rcpt,), _ in inbox.messages] == [
        "abuse@hosting.example",
        "abuse@hosting.example",
        "abuse@registrar.example",
    ]
    assert "Reminder:" in email.message_from_bytes(inbox.messages[1][2])["Subject"]
    assert store.get_track(match_id).notices == 3


@pytest.mark.parametrize(
    "smtp_server", [Inbox(refuse_rcpt="550 5.7.1 Relaying denied")], indirect=True, ids=["refuses"]
)
def test_an_smtp_server_that_refuses_is_a_one_line_error_and_nothing_is_recorded(store, smtp_server):
    controller, _ = smtp_server
    match_id = match_id_for_url(MIRROR)
    prepared = prepare_notice(store, match_id, ladder_report(), "takedown@responder.example")
    with pytest.raises(TakedownSendError, match="refused abuse@hosting.example: 550 5.7.1 Relaying denied"):
        send_notice(store, prepared, smtp_for(controller), by="alice", now=T0)
    assert store.list_notices(match_id) == []
    assert store.get(match_id).status == "confirmed"
    assert store.get_track(match_id) is None


def test_an_smtp_server_that_cannot_be_reached_is_a_one_line_error(store):
    prepared = prepare_notice(store, match_id_for_url(MIRROR), ladder_report(), "takedown@responder.example")
    unreachable = SmtpSettings(
        host="127.0.0.1", port=free_port(), security="none", sender="t@responder.example", timeout=5
    )
    with pytest.raises(TakedownSendError, match="cannot send through SMTP server 127.0.0.1"):
        send_notice(store, prepared, unreachable, by="alice", now=T0)
    assert store.list_notices() == []


def test_a_template_with_an_unknown_variable_is_a_one_line_error(store, tmp_path):
    template = tmp_path / "mine.j2"
    template.write_text("Subject: x\n\nDear {{ recipiant }}\n")
    with pytest.raises(TakedownTemplateError, match="'recipiant' is undefined"):
        prepare_notice(
            store, match_id_for_url(MIRROR), ladder_report(), "t@responder.example", template_path=template
        )


def test_escalation_past_the_last_contact_says_there_is_none(store, smtp_server):
    controller, _ = smtp_server
    match_id = match_id_for_url(MIRROR)
    report = ladder_report()
    report.contacts = report.contacts[1:]  # hosting only
    report.problems["registrar"] = "RDAP for example.co.uk publishes no registrar abuse contact"
    for _day in range(2):
        send_notice(
            store, prepare_notice(store, match_id, report, "t@r.example"), smtp_for(controller), "a", T0
        )
    with pytest.raises(
        TakedownSendError, match="no contact after hosting .*publishes no registrar abuse contact"
    ):
        prepare_notice(store, match_id, report, "t@r.example")


# -- through the CLI -------------------------------------------------------------------------


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def send_cli(store, *options: str, controller=None):
    """``takedown send`` of the GitLab copy, to ``controller``'s plain (local relay) server if given."""
    server = []
    if controller is not None:
        server = ["--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port), "--smtp-security", "none"]
        server += ["--from", "t@responder.example"]
    return cli(
        "takedown", "send", match_id_for_url(GITLAB), *server, *options, "--store", f"sqlite:///{store.path}"
    )


def test_cli_send_dry_run_prints_the_mail_and_records_nothing(store, tmp_path):
    result = send_cli(store, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "To: abuse@gitlab.com" in result.stdout
    assert "Private information removal request" in result.stdout
    assert store.list_notices() == []


def test_cli_send_sends_through_smtp_and_prints_the_message_id(store, smtp_server):
    controller, inbox = smtp_server
    result = send_cli(store, controller=controller)
    assert result.exit_code == 0, result.output
    (notice,) = store.list_notices()
    assert f"Message-ID: {notice.message_id}" in result.stdout
    assert inbox.messages[0][1] == ["abuse@gitlab.com"]


@pytest.mark.parametrize("smtp_server", [Inbox(refuse_data="554 5.6.0 Message rejected")], indirect=True)
def test_cli_send_to_a_refusing_server_is_one_line_and_exit_1(store, smtp_server):
    controller, _ = smtp_server
    result = send_cli(store, controller=controller)
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"Error: SMTP server 127.0.0.1:{controller.port} refused the notice: 554 5.6.0 Message rejected"
    )
    assert store.list_notices() == []


def write_smtp_config(home, text: str) -> None:
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(text)
    (home / "config.toml").chmod(0o600)


def test_cli_send_takes_server_port_security_and_from_address_from_the_config_file(
    store, smtp_server, leaktrack_home
):
    controller, inbox = smtp_server
    write_smtp_config(
        leaktrack_home,
        f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\nsender = "desk@responder.example"\n',
    )
    result = send_cli(store)
    assert result.exit_code == 0, result.output
    assert inbox.messages[0][1] == ["abuse@gitlab.com"]
    assert "desk@responder.example" in email.message_from_bytes(inbox.messages[0][2])["From"]


def test_cli_send_options_win_over_the_config_file(store, smtp_server, leaktrack_home):
    controller, inbox = smtp_server
    write_smtp_config(
        leaktrack_home, '[smtp]\nhost = "192.0.2.1"\nport = 1\nsecurity = "tls"\nsender = "x@x.example"\n'
    )
    result = send_cli(store, controller=controller)
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1


def test_cli_send_refuses_an_unknown_security_mode_from_the_config_file(store, leaktrack_home):
    write_smtp_config(leaktrack_home, '[smtp]\nsecurity = "ssl3"\nsender = "desk@responder.example"\n')
    result = send_cli(store)
    assert result.exit_code == 2
    assert "use starttls, tls or none, not 'ssl3'" in result.output
    assert store.list_notices() == []
