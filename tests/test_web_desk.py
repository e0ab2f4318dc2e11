"""The review desk over HTTP (Starlette's TestClient, in process, a real SQLite store)."""

from __future__ import annotations

import html
import re

import pytest
from desk_site import ADMIN, BARE_URL, KEPT_URL, REVIEWER, csrf_of, make_site
from starlette.testclient import TestClient
from typer.testing import CliRunner

from leaktrack.cli.app import app as cli_app
from leaktrack.errors import StoreError
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.web import settings
from leaktrack.web.auth import LoginThrottle

KEPT_ID, BARE_ID = match_id_for_url(KEPT_URL), match_id_for_url(BARE_URL)


@pytest.fixture
def site(tmp_path, small_leak, leak_fingerprints):
    return make_site(tmp_path, small_leak, leak_fingerprints)


@pytest.fixture
def client(site):
    with TestClient(site.app(), follow_redirects=False) as client:
        yield client


def log_in(client: TestClient, name: str, password: str):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": token, "next": "/queue"})


def reviewer(client):
    assert log_in(client, *REVIEWER).status_code == 303
    return client


def store_of(site):
    return SQLiteStore(site.store_path)


# -- logging in ----------------------------------------------------------------------------


def test_every_page_without_a_session_sends_to_the_login_page(client):
    for path in ("/queue", f"/copy/{KEPT_ID}", "/exposure?record=1", "/sweeps", "/dashboard", "/admin/users"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_a_post_without_a_session_is_refused_and_changes_nothing(client, site):
    token = csrf_of(client.get("/login").text)
    answer = client.post(f"/copy/{KEPT_ID}/status", data={"to": "confirmed", "csrf": token})
    assert answer.status_code == 401
    assert store_of(site).get(KEPT_ID).status == "new"


def test_a_wrong_password_is_refused_and_audited(client, site):
    answer = log_in(client, REVIEWER[0], "not the password")
    assert answer.status_code == 401
    assert "Wrong name or password" in answer.text
    assert client.get("/queue").status_code == 303
    assert [e.action for e in store_of(site).list_audit(user=REVIEWER[0])][0] == "login_failed"


def test_logins_are_refused_after_too_many_failures_even_with_the_right_password(site):
    throttle = LoginThrottle(max_failures=3, window_seconds=3600)
    with TestClient(site.app(throttle=throttle), follow_redirects=False) as client:
        for _ in range(3):
            assert log_in(client, REVIEWER[0], "wrong").status_code == 401
        answer = log_in(client, *REVIEWER)
    assert answer.status_code == 429
    assert "Too many failed logins" in answer.text


def test_the_session_cookie_is_httponly_samesite_strict_and_secure_over_tls(site):
    with TestClient(site.app(), base_url="https://desk.example", follow_redirects=False) as client:
        cookie = log_in(client, *REVIEWER).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_a_plain_http_session_cookie_is_not_marked_secure(client):
    cookie = log_in(client, *REVIEWER).headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" not in cookie


def test_login_never_redirects_off_the_site(client):
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"name": REVIEWER[0], "password": REVIEWER[1], "csrf": token, "next": "//evil.example/"},
    )
    assert answer.headers["location"] == "/queue"


def test_logging_out_ends_the_session(client):
    reviewer(client)
    token = csrf_of(client.get("/queue").text)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert client.get("/queue").status_code == 303


def test_a_disabled_account_is_logged_out_at_its_next_request(client, site):
    reviewer(client)
    from leaktrack.web.auth import set_disabled

    set_disabled(store_of(site), REVIEWER[0], True, by="test")
    assert client.get("/queue").status_code == 303


# -- CSRF and roles ------------------------------------------------------------------------


def test_a_forged_form_without_the_csrf_token_is_refused(client, site):
    reviewer(client)
    for data in ({"to": "confirmed"}, {"to": "confirmed", "csrf": "forged"}):
        answer = client.post(f"/copy/{KEPT_ID}/status", data=data)
        assert answer.status_code == 403
    assert store_of(site).get(KEPT_ID).status == "new"


def test_a_reviewer_may_not_open_or_use_the_admin_pages(client, site):
    reviewer(client)
    assert client.get("/admin/users").status_code == 403
    token = csrf_of(client.get("/queue").text)
    answer = client.post(
        "/admin/users", data={"name": "eve", "role": "admin", "password": "x" * 20, "csrf": token}
    )
    assert answer.status_code == 403
    assert [u.name for u in store_of(site).list_users()] == ["ana", "root"]


def test_an_admin_adds_a_user_who_can_then_log_in(client, site):
    log_in(client, *ADMIN)
    token = csrf_of(client.get("/admin/users").text)
    answer = client.post(
        "/admin/users", data={"name": "bo", "role": "reviewer", "password": "bo-password-123", "csrf": token}
    )
    assert answer.status_code == 303
    assert store_of(site).get_user("bo").role == "reviewer"
    assert store_of(site).get_user("bo").password_hash.startswith("$argon2id$")
    with TestClient(site.app(), follow_redirects=False) as other:
        assert log_in(other, "bo", "bo-password-123").status_code == 303


# -- the queue -----------------------------------------------------------------------------


def test_the_queue_filters_by_status_source_host_records_and_first_seen(client):
    reviewer(client)
    assert client.get("/queue").text.count("/copy/") == 3
    assert client.get("/queue?source=mirrors").text.count("/copy/") == 1
    assert client.get("/queue?host=pastebin.com").text.count("/copy/") == 1
    assert client.get("/queue?min_records=3").text.count("/copy/") == 1
    assert client.get("/queue?status=confirmed").text.count("/copy/") == 0
    assert client.get("/queue?first_seen_from=2026-03-02&first_seen_to=2026-03-02").text.count("/copy/") == 1


def test_the_queue_pages_with_a_next_link_until_the_last_copy(client, monkeypatch):
    monkeypatch.setattr(settings, "QUEUE_PAGE_SIZE", 2)
    reviewer(client)
    first = client.get("/queue?sort=first_seen")
    assert first.text.count("/copy/") == 2
    link = re.search(r'<a href="([^"]+)" id="next-page"', first.text).group(1)
    second = client.get(html.unescape(link))
    assert second.status_code == 200 and second.text.count("/copy/") == 1
    assert 'id="next-page"' not in second.text


# -- one copy ------------------------------------------------------------------------------


def test_a_kept_copy_shows_its_line_with_the_matched_fields_highlighted_and_the_view_is_audited(client, site):
    reviewer(client)
    page = client.get(f"/copy/{KEPT_ID}").text
    assert "<mark" in page
    assert f"{site.kept_field_value} <small>" in page
    assert site.kept_record in page
    assert [e.action for e in store_of(site).list_audit(target=KEPT_ID)] == ["view_evidence"]


def test_a_copy_without_kept_evidence_shows_which_fields_matched_but_no_plaintext(client, site):
    reviewer(client)
    page = client.get(f"/copy/{BARE_ID}").text
    assert "<mark" not in page
    assert site.kept_field_value not in page
    assert "full_name" in page and site.kept_record in page


def test_confirming_a_copy_records_who_and_the_note_in_history_and_audit(client, site):
    reviewer(client)
    page = client.get(f"/copy/{KEPT_ID}").text
    answer = client.post(
        f"/copy/{KEPT_ID}/status",
        data={"to": "confirmed", "note": "real dump", "version": "1", "csrf": csrf_of(page)},
    )
    assert answer.status_code == 303
    store = store_of(site)
    (change,) = store.history(KEPT_ID)
    assert (change.to_status, change.by, change.note) == ("confirmed", "ana", "real dump")
    assert store.list_audit(target=KEPT_ID)[0].action == "confirmed"


def test_a_decision_on_a_copy_that_changed_since_it_was_shown_is_a_conflict(client, site):
    reviewer(client)
    token = csrf_of(client.get(f"/copy/{KEPT_ID}").text)
    store_of(site).change_status(KEPT_ID, "confirmed", by="someone")
    answer = client.post(f"/copy/{KEPT_ID}/status", data={"to": "dismissed", "version": "1", "csrf": token})
    assert answer.status_code == 409
    assert "look at it again" in answer.text


def test_recording_a_takedown_moves_the_copy_to_takedown_sent_with_its_address(client, site):
    reviewer(client)
    token = csrf_of(client.get(f"/copy/{KEPT_ID}").text)
    client.post(f"/copy/{KEPT_ID}/status", data={"to": "confirmed", "csrf": token})
    draft = client.get(f"/copy/{KEPT_ID}/takedown")
    assert draft.status_code == 200 and KEPT_URL in draft.text
    answer = client.post(
        f"/copy/{KEPT_ID}/takedown", data={"to": "abuse@pastebin.com", "ref": "T-1", "csrf": token}
    )
    assert answer.status_code == 303
    match = store_of(site).get(KEPT_ID)
    assert (match.status, match.takedown_to, match.takedown_ref) == (
        "takedown_sent",
        "abuse@pastebin.com",
        "T-1",
    )


def test_a_takedown_of_an_unconfirmed_copy_is_refused_with_the_allowed_steps(client):
    reviewer(client)
    token = csrf_of(client.get(f"/copy/{KEPT_ID}").text)
    answer = client.post(f"/copy/{KEPT_ID}/takedown", data={"to": "abuse@x", "csrf": token})
    assert answer.status_code == 409
    assert "allowed" in answer.text


def test_recheck_now_without_fingerprints_configured_says_so(client):
    reviewer(client)
    token = csrf_of(client.get(f"/copy/{KEPT_ID}").text)
    answer = client.post(f"/copy/{KEPT_ID}/recheck", data={"csrf": token})
    assert answer.status_code == 503


def test_recheck_now_runs_the_configured_recheck_and_audits_it(site):
    asked = []

    def recheck(match_id):
        asked.append(match_id)
        return type("Result", (), {"verdict": "still up"})()

    with TestClient(site.app(recheck=recheck), follow_redirects=False) as client:
        reviewer(client)
        token = csrf_of(client.get(f"/copy/{KEPT_ID}").text)
        answer = client.post(f"/copy/{KEPT_ID}/recheck", data={"csrf": token})
    assert answer.status_code == 303 and asked == [KEPT_ID]
    assert store_of(site).list_audit(target=KEPT_ID)[0].details == {"verdict": "still up"}


# -- exposure, sweeps, dashboard --------------------------------------------------------------


def test_a_persons_exposure_lists_every_copy_of_the_record_and_is_audited(client, site):
    reviewer(client)
    page = client.get(f"/exposure?record={site.kept_record}").text
    assert KEPT_URL in page and BARE_URL in page
    assert "is exposed by 2 copies" in page
    assert store_of(site).list_audit(target=site.kept_record)[0].action == "view_exposure"


def test_a_persons_exposure_pages_by_copy_id_without_repeats_or_gaps(client, site, monkeypatch):
    from fixtures_store import found_copy

    monkeypatch.setattr(settings, "EXPOSURE_PAGE_SIZE", 2)
    urls = [f"https://paste{i}.example/raw/{i}" for i in range(5)]
    with store_of(site) as store:
        store.upsert_copies([found_copy(url, ["exp-9", str(100 + i)]) for i, url in enumerate(urls)])
    reviewer(client)
    pages, link = [], "/exposure?record=exp-9"
    while link:
        answer = client.get(link)
        assert answer.status_code == 200
        assert "is exposed by 5 copies" in answer.text
        pages.append(re.findall(r'<a href="/copy/([0-9a-f]+)"', answer.text))
        found = re.search(r'<a href="([^"]+)" id="next-page"', answer.text)
        link = html.unescape(found.group(1)) if found else None
    assert [len(ids) for ids in pages] == [2, 2, 1]
    seen = [match_id for ids in pages for match_id in ids]
    assert seen == sorted((match_id_for_url(url) for url in urls), reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "record=1&after=!!!not-a-cursor",
        "record=1&after=W1tdXQ",  # [[]]
        "record=1&after=WyJhIiwgImIiXQ",  # ["a", "b"]: a queue cursor, not an exposure one
        "record=1&after=WzVd",  # [5]
        "after=WyJhIl0",  # ["a"] without a record
        "record=1&after=" + "A" * 5000,
    ],
)
def test_a_hostile_exposure_page_token_is_a_400_page(client, query):
    reviewer(client)
    answer = client.get(f"/exposure?{query}")
    assert answer.status_code == 400
    assert "broken" in answer.text or "too long" in answer.text
    assert "Traceback" not in answer.text


def test_the_sweep_log_flags_sources_that_returned_nothing(client, site):
    from datetime import UTC, datetime

    from leaktrack.index import SweepRecord

    store_of(site).record_sweep(
        SweepRecord(
            "s1",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 1, 1, tzinfo=UTC),
            {
                "pastes": {"pages": 3, "documents": 3, "matches": 1, "errors": 0},
                "dead": {"pages": 0, "errors": 2},
            },
            ["dead: connection refused"],
        )
    )
    reviewer(client)
    page = client.get("/sweeps").text
    assert "returned nothing" in page and "dead: connection refused" in page


def test_the_dashboard_draws_svg_charts_and_counts_copies_still_up(client):
    reviewer(client)
    page = client.get("/dashboard").text
    assert page.count("<svg") == 4
    assert '<strong id="still-up">3</strong>' in page


# -- bad input ---------------------------------------------------------------------------------


def test_an_unknown_copy_is_a_404_page(client):
    reviewer(client)
    answer = client.get("/copy/ffffffffffffffff")
    assert answer.status_code == 404
    assert "no match with id" in answer.text and "Traceback" not in answer.text


@pytest.mark.parametrize(
    "query",
    [
        "status=<script>alert(1)</script>",
        "sort=rowid",
        "min_records=-1",
        "min_records=99999999999999999999999",
        "first_seen_from=yesterday",
        "after=!!!not-a-cursor",
        "after=W1tdLCBbXV0",  # [[], []]
        "host=" + "a" * 5000,
        "source=%00",
    ],
)
def test_hostile_query_strings_are_a_400_page_without_echoing_markup(client, query):
    reviewer(client)
    answer = client.get(f"/queue?{query}")
    assert answer.status_code == 400
    assert "<script>alert" not in answer.text and "Traceback" not in answer.text


def test_an_oversized_form_is_refused_with_413(client, site):
    reviewer(client)
    token = csrf_of(client.get(f"/copy/{KEPT_ID}").text)
    answer = client.post(
        f"/copy/{KEPT_ID}/status",
        data={"to": "confirmed", "note": "x" * (settings.MAX_FORM_BYTES + 1), "csrf": token},
    )
    assert answer.status_code == 413
    assert store_of(site).get(KEPT_ID).status == "new"


def test_an_unreachable_store_is_a_503_page(site):
    def unreachable():
        raise StoreError(
            "cannot reach Elasticsearch at http://127.0.0.1:1 while searching: connection refused"
        )

    with TestClient(site.app(open_store=unreachable), follow_redirects=False) as client:
        answer = client.get("/queue")
    assert answer.status_code == 503
    assert "cannot reach Elasticsearch" in answer.text and "Traceback" not in answer.text


def test_an_unknown_page_is_a_404_page(client):
    assert client.get("/no/such/page").status_code == 404


# -- the command line --------------------------------------------------------------------------


def test_users_add_stores_an_argon2_hash_and_refuses_a_short_password(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'm.db'}"
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        ["users", "add", "zoe", "--role", "admin", "--password-stdin", "--store", store_url],
        input="a-long-password\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        cli_app,
        ["users", "add", "yan", "--role", "reviewer", "--password-stdin", "--store", store_url],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least" in short.output
    listed = runner.invoke(cli_app, ["users", "list", "--json", "--store", store_url])
    assert '"zoe"' in listed.output and "argon2" not in listed.output
    assert SQLiteStore(tmp_path / "m.db").get_user("zoe").password_hash.startswith("$argon2id$")


def test_serve_refuses_to_start_without_any_account(tmp_path):
    answer = CliRunner().invoke(cli_app, ["serve", "--store", f"sqlite:///{tmp_path / 'm.db'}"])
    assert answer.exit_code != 0
    assert "leaktrack users add" in answer.output


def test_the_desk_works_over_the_elasticsearch_store_too(tmp_path):
    """The ES stand-in (tests/es_standin.py), as the store contract suite uses it."""
    from es_backends import shared_standin, unique_prefix
    from fixtures_store import found_copy

    from leaktrack.index.elastic import ElasticsearchStore
    from leaktrack.web.app import DeskConfig, create_app
    from leaktrack.web.auth import add_user

    url, prefix = shared_standin().url, unique_prefix()

    def open_es():
        return ElasticsearchStore(url, index_prefix=prefix, refresh=True)

    with open_es() as store:
        (match,) = store.upsert_copies([found_copy(KEPT_URL, ["1", "2"])])
        add_user(store, *REVIEWER[:1], "reviewer", REVIEWER[1], by="test")
    config = DeskConfig(open_store=open_es, secret=b"e" * 64, evidence_dir=tmp_path)
    with TestClient(create_app(config), follow_redirects=False) as client:
        reviewer(client)
        assert client.get("/queue?status=new").text.count("/copy/") == 1
        token = csrf_of(client.get(f"/copy/{match.id}").text)
        client.post(f"/copy/{match.id}/status", data={"to": "confirmed", "csrf": token})
        assert client.get("/exposure?record=2").text.count("/copy/") == 1
        assert client.get("/dashboard").status_code == 200
    with open_es() as store:
        assert store.get(match.id).status == "confirmed"
        assert [e.action for e in store.list_audit(user=REVIEWER[0])][:2] == ["view_exposure", "confirmed"]
