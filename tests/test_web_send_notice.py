"""'Send notice' on the review desk: preview the notice and its recipient, confirm, send by SMTP
(a real aiosmtpd on 127.0.0.1), recorded and audited; failures are messages on the page."""

from __future__ import annotations

import email
import html
import re

import pytest
from desk_site import KEPT_URL, OTHER_URL, REVIEWER, csrf_of, make_site
from smtp_servers import Inbox
from starlette.testclient import TestClient

from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.web.notice_sending import NoticeSending

KEPT_ID, OTHER_ID = match_id_for_url(KEPT_URL), match_id_for_url(OTHER_URL)
PASTEBIN_ADDRESS = "security@pastebin.com"  # the platform table's channel for pastebin.com


@pytest.fixture
def site(tmp_path, small_leak, leak_fingerprints):
    made = make_site(tmp_path, small_leak, leak_fingerprints)
    with SQLiteStore(made.store_path) as store:
        for match_id in (KEPT_ID, OTHER_ID):
            store.change_status(match_id, "confirmed", by="test")
    return made


def relay(controller) -> dict:
    """The resolved [smtp] table for a plain local relay (as Workspace.smtp holds it)."""
    return {
        "host": "127.0.0.1",
        "port": controller.port,
        "security": "none",
        "sender": "desk@responder.example",
    }


def desk(site, smtp: dict | None):
    sending = NoticeSending(smtp=smtp) if smtp is not None else None
    return TestClient(site.app(sending=sending), follow_redirects=False)


def logged_in(client: TestClient) -> TestClient:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": REVIEWER[0], "password": REVIEWER[1], "csrf": token})
    assert answer.status_code == 303
    return client


def confirm_form(page_html: str) -> dict:
    """The hidden fields of the preview's confirmation form, as the browser would post them."""
    assert 'id="confirm-send"' in page_html, "the preview has no confirmation form"
    form = page_html.split('id="confirm-send"', 1)[1].split("</form>", 1)[0]
    return {name: html.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}


def audit_actions(site, match_id: str) -> list[str]:
    with SQLiteStore(site.store_path) as store:
        return [entry.action for entry in store.list_audit(target=match_id)]


def test_the_preview_shows_the_notice_the_recipient_and_where_the_contact_came_from(site, smtp_server):
    controller, inbox = smtp_server
    with desk(site, relay(controller)) as client:
        page = logged_in(client).get(f"/copy/{KEPT_ID}/send")
    assert page.status_code == 200
    assert f'<code id="recipient-address">{PASTEBIN_ADDRESS}</code>' in page.text
    assert "leaktrack platform table (pastebin.com; checked" in page.text
    assert 'id="notice"' in page.text and KEPT_URL in page.text
    assert inbox.messages == []  # a preview sends nothing
    assert "notice_previewed" in audit_actions(site, KEPT_ID)


def test_confirming_sends_by_smtp_and_records_message_id_recipient_and_contact_source(site, smtp_server):
    controller, inbox = smtp_server
    with desk(site, relay(controller)) as client:
        fields = confirm_form(logged_in(client).get(f"/copy/{KEPT_ID}/send").text)
        answer = client.post(f"/copy/{KEPT_ID}/send", data=fields)
        copy_page = client.get(answer.headers["location"])

    assert answer.status_code == 303
    ((mail_from, rcpt_tos, content),) = inbox.messages
    assert (mail_from, rcpt_tos) == ("desk@responder.example", [PASTEBIN_ADDRESS])
    with SQLiteStore(site.store_path) as store:
        (notice,) = store.list_notices(KEPT_ID)
        match = store.get(KEPT_ID)
        (sent,) = [e for e in store.list_audit(target=KEPT_ID) if e.action == "notice_sent"]
    assert notice.message_id == email.message_from_bytes(content)["Message-ID"]
    assert (notice.recipient, notice.role, notice.by) == (PASTEBIN_ADDRESS, "platform", REVIEWER[0])
    assert notice.contact_source.startswith("leaktrack platform table (pastebin.com")
    assert (match.status, match.takedown_to) == ("takedown_sent", PASTEBIN_ADDRESS)
    assert sent.user == REVIEWER[0]
    assert sent.details["message_id"] == notice.message_id
    assert sent.details["contact_source"] == notice.contact_source
    assert html.escape(notice.message_id) in copy_page.text


@pytest.mark.parametrize("smtp_server", [Inbox(refuse_rcpt="550 5.7.1 Relaying denied")], indirect=True)
def test_a_refusing_smtp_server_is_a_message_on_the_page_and_nothing_is_recorded(site, smtp_server):
    controller, _ = smtp_server
    with desk(site, relay(controller)) as client:
        fields = confirm_form(logged_in(client).get(f"/copy/{KEPT_ID}/send").text)
        answer = client.post(f"/copy/{KEPT_ID}/send", data=fields)
    assert answer.status_code == 502
    assert "Not sent: SMTP server 127.0.0.1" in answer.text and "550 5.7.1 Relaying denied" in answer.text
    assert "Traceback" not in answer.text
    with SQLiteStore(site.store_path) as store:
        assert store.list_notices(KEPT_ID) == []
        assert store.get(KEPT_ID).status == "confirmed"
    assert "notice_not_sent" in audit_actions(site, KEPT_ID)


def test_a_recipient_that_changed_since_the_preview_is_not_written_to(site, smtp_server):
    controller, inbox = smtp_server
    with desk(site, relay(controller)) as client:
        fields = confirm_form(logged_in(client).get(f"/copy/{KEPT_ID}/send").text)
        answer = client.post(f"/copy/{KEPT_ID}/send", data=fields | {"to": "someone@else.example"})
    assert answer.status_code == 409
    assert f"the recipient is now {PASTEBIN_ADDRESS} (was someone@else.example" in answer.text
    assert inbox.messages == []


def test_a_second_confirmation_of_the_same_preview_sends_nothing_more(site, smtp_server):
    controller, inbox = smtp_server
    with desk(site, relay(controller)) as client:
        fields = confirm_form(logged_in(client).get(f"/copy/{KEPT_ID}/send").text)
        assert client.post(f"/copy/{KEPT_ID}/send", data=fields).status_code == 303
        again = client.post(f"/copy/{KEPT_ID}/send", data=fields)  # a double click, a second tab
    assert again.status_code == 409
    assert "another notice was recorded for this copy since your preview" in again.text
    assert len(inbox.messages) == 1


def test_a_copy_not_yet_confirmed_gets_no_notice(site, smtp_server):
    controller, _ = smtp_server
    with SQLiteStore(site.store_path) as store:
        store.change_status(KEPT_ID, "dismissed", by="test")
    with desk(site, relay(controller)) as client:
        page = logged_in(client).get(f"/copy/{KEPT_ID}/send")
    assert page.status_code == 409
    assert "is &#39;dismissed&#39;: confirm it before sending a notice" in page.text
    assert 'id="confirm-send"' not in page.text


def test_a_platform_that_takes_requests_by_web_form_gets_the_text_to_paste(site, smtp_server):
    controller, _ = smtp_server
    with desk(site, relay(controller)) as client:
        page = logged_in(client).get(f"/copy/{OTHER_ID}/send")
    assert page.status_code == 200
    assert 'id="form-only"' in page.text and "takes requests by web form" in page.text
    assert 'id="confirm-send"' not in page.text


def test_without_a_from_address_the_page_says_sending_is_not_set_up(site):
    with desk(site, {"host": "127.0.0.1"}) as client:
        page = logged_in(client).get(f"/copy/{KEPT_ID}/send")
        refused = client.post(
            f"/copy/{KEPT_ID}/send",
            data={"csrf": csrf_of(page.text), "role": "platform", "to": PASTEBIN_ADDRESS, "notices": "0"},
        )
    assert 'id="smtp-problem"' in page.text and "no From address" in page.text
    assert 'id="confirm-send"' not in page.text
    assert refused.status_code == 409 and "no From address" in refused.text


def test_a_desk_without_sending_has_no_send_action(site):
    with desk(site, None) as client:
        copy_page = logged_in(client).get(f"/copy/{KEPT_ID}")
        answer = client.get(f"/copy/{KEPT_ID}/send")
    assert 'id="send-notice-link"' not in copy_page.text
    assert answer.status_code == 503


def test_sending_needs_a_login_and_the_sessions_csrf_token(site, smtp_server):
    controller, inbox = smtp_server
    data = {"role": "platform", "to": PASTEBIN_ADDRESS, "notices": "0"}
    with desk(site, relay(controller)) as client:
        assert client.get(f"/copy/{KEPT_ID}/send").status_code == 303  # to the login page
        token = csrf_of(client.get("/login").text)
        assert client.post(f"/copy/{KEPT_ID}/send", data=data | {"csrf": token}).status_code == 401
        logged_in(client)
        assert client.post(f"/copy/{KEPT_ID}/send", data=data | {"csrf": "forged"}).status_code == 403
    assert inbox.messages == []
