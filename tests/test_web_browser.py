"""The review desk in a real browser: Debian's Chromium driven by Playwright, against uvicorn on 127.0.0.1.

Skipped only when Chromium is not installed (``.ci/run`` installs it). Playwright never
downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading

import pytest
from desk_site import ADMIN, BARE_URL, KEPT_URL, REVIEWER, make_site

from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.web.notice_sending import NoticeSending

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEPT_ID = match_id_for_url(KEPT_URL)


@contextlib.contextmanager
def served(app):
    """``app`` served by uvicorn on a socket bound (and listening) before the test starts."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # connections wait in the backlog until uvicorn accepts: no readiness race
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@pytest.fixture
def desk_url(tmp_path, small_leak, leak_fingerprints):
    site = make_site(tmp_path, small_leak, leak_fingerprints)
    with served(site.app()) as url:
        yield url, site


@pytest.fixture
def sending_desk_url(tmp_path, small_leak, leak_fingerprints, smtp_server):
    """The desk with "Send notice" set up, sending to a local relay (aiosmtpd) on 127.0.0.1."""
    controller, inbox = smtp_server
    site = make_site(tmp_path, small_leak, leak_fingerprints)
    relay = {
        "host": "127.0.0.1",
        "port": controller.port,
        "security": "none",
        "sender": "desk@responder.example",
    }
    with served(site.app(sending=NoticeSending(smtp=relay))) as url:
        yield url, site, inbox


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def log_in(page, url: str, name: str, password: str) -> None:
    page.goto(f"{url}/queue")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_a_reviewer_works_a_copy_from_login_to_logout(page, desk_url):
    url, site = desk_url
    log_in(page, url, *REVIEWER)
    page.wait_for_selector("#queue")
    assert page.locator("#queue tbody tr").count() == 3

    page.select_option("select[name=status]", "new")
    page.fill("input[name=host]", "pastebin.com")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url(lambda address: "host=pastebin.com" in address)
    assert page.locator("#queue tbody tr").count() == 1

    page.click("#queue tbody a")
    page.wait_for_selector("#evidence mark")
    assert site.kept_field_value in page.locator("#evidence mark").first.inner_text()

    page.click("#confirm")
    expect(page.locator("#status")).to_have_text("confirmed")  # waits for the page after the POST

    page.fill("#record-takedown input[name=to]", "abuse@pastebin.com")
    page.fill("#record-takedown input[name=ref]", "T-42")
    page.click("#record-takedown button[type=submit]")
    expect(page.locator("#status")).to_have_text("takedown_sent")

    page.goto(f"{url}/exposure")
    page.fill("#record", site.kept_record)
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#exposure-summary")
    assert page.locator("#exposure tbody tr").count() == 2
    assert BARE_URL in page.content()

    page.click("header form button[type=submit]")
    page.wait_for_url(lambda address: address.endswith("/login"))
    page.goto(f"{url}/queue")
    assert "/login?next=" in page.url

    match = SQLiteStore(site.store_path).get(KEPT_ID)
    assert (match.status, match.takedown_to, match.takedown_ref) == (
        "takedown_sent",
        "abuse@pastebin.com",
        "T-42",
    )
    actions = [entry.action for entry in SQLiteStore(site.store_path).list_audit(user=REVIEWER[0])]
    assert {"login", "view_evidence", "confirmed", "takedown_sent", "view_exposure", "logout"} <= set(actions)


def test_without_a_session_the_browser_lands_on_the_login_page(page, desk_url):
    url, _ = desk_url
    page.goto(f"{url}/copy/{KEPT_ID}")
    assert "/login?next=" in page.url
    assert page.locator("input[name=password]").count() == 1


def test_a_wrong_password_shows_an_error_and_no_queue(page, desk_url):
    url, _ = desk_url
    log_in(page, url, REVIEWER[0], "wrong password")
    page.wait_for_selector("#login-error")
    assert page.locator("#queue").count() == 0


def test_a_reviewer_on_an_admin_page_gets_403(page, desk_url):
    url, _ = desk_url
    log_in(page, url, *REVIEWER)
    page.wait_for_selector("#queue")
    answer = page.goto(f"{url}/admin/users")
    assert answer.status == 403
    assert page.locator("#error-message").count() == 1


def test_an_admin_sees_the_users_page(page, desk_url):
    url, _ = desk_url
    log_in(page, url, *ADMIN)
    page.wait_for_selector("#queue")
    assert page.goto(f"{url}/admin/users").status == 200
    assert page.locator("#users tbody tr").count() == 2


def test_a_forged_form_from_another_page_without_the_csrf_token_is_refused(page, desk_url):
    url, site = desk_url
    log_in(page, url, *REVIEWER)
    page.wait_for_selector("#queue")
    # A form a hostile page would post, built in the desk's own origin so the cookie is sent.
    page.set_content(
        f'<form method="post" action="{url}/copy/{KEPT_ID}/status">'
        '<input name="to" value="dismissed"><button id="go">go</button></form>'
    )
    with page.expect_navigation() as navigation:
        page.click("#go")
    assert navigation.value.status in (401, 403)
    assert SQLiteStore(site.store_path).get(KEPT_ID).status == "new"


def test_a_reviewer_previews_and_sends_a_notice_from_the_copys_page(page, sending_desk_url):
    url, site, inbox = sending_desk_url
    log_in(page, url, *REVIEWER)
    page.wait_for_selector("#queue")
    page.goto(f"{url}/copy/{KEPT_ID}")
    page.click("#confirm")
    expect(page.locator("#status")).to_have_text("confirmed")

    page.click("#send-notice-link")
    expect(page.locator("#recipient-address")).to_have_text("security@pastebin.com")
    assert "platform table (pastebin.com" in page.locator("#contact-source").inner_text()
    assert KEPT_URL in page.locator("#notice").inner_text()
    assert inbox.messages == []

    page.click("#send-notice")
    expect(page.locator("#status")).to_have_text("takedown_sent")  # back on the copy's page
    ((_, rcpt_tos, _),) = inbox.messages
    assert rcpt_tos == ["security@pastebin.com"]
    (notice,) = SQLiteStore(site.store_path).list_notices(KEPT_ID)
    assert notice.message_id in page.locator("#done").inner_text()
