"""Who to write to: platform table, security.txt, RDAP for the network and the registrar.

Against local RDAP and web servers on 127.0.0.1 (lookup_servers.py); DNS answers for the test
host names come from a table given to the finder, so nothing leaves the machine.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures_store import T0
from lookup_servers import HANG, LookupServer, bootstrap, domain_answer, network_answer

from leaktrack.index.sqlite import SQLiteStore
from leaktrack.takedown.fetch import Fetcher, LookupFailed
from leaktrack.takedown.finder import ContactFinder, registered_domain
from leaktrack.takedown.platforms import platform_contact
from leaktrack.takedown.rdap import abuse_contacts, server_for_address, server_for_domain
from leaktrack.takedown.security_txt import parse_security_txt

DNS = {"files.example.co.uk": ["8.8.8.8"], "dump.example.com": ["8.8.4.4"]}


@pytest.fixture
def rdap():
    server = LookupServer().start()
    server.route(
        "/dns.json",
        bootstrap([(["uk"], f"{server.url}/uk/"), (["com", "org"], f"{server.url}/gtld/")]),
        headers={"Content-Type": "application/json"},
    )
    server.route(
        "/ipv4.json",
        bootstrap([(["8.0.0.0/8"], f"{server.url}/arin/"), (["127.0.0.0/8"], f"{server.url}/arin/")]),
        headers={"Content-Type": "application/json"},
    )
    server.route("/ipv6.json", bootstrap([]), headers={"Content-Type": "application/json"})
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path):
    opened = SQLiteStore(tmp_path / "m.db")
    yield opened
    opened.close()


def finder_for(store, rdap, dns=DNS, timeout=5.0, now=lambda: T0, allowed=None):
    def resolve(host):
        if host in dns:
            return dns[host]
        if host == "127.0.0.1":
            return ["127.0.0.1"]
        raise LookupFailed(f"cannot resolve {host}: not in the test's DNS table")

    fetcher = Fetcher(allowed_origins=allowed or [rdap.url], timeout=timeout, resolve=resolve)
    return ContactFinder(
        store,
        fetcher,
        rdap_bootstrap=rdap.url,
        security_txt_over_http=True,
        lookup_private_addresses=True,
        now=now,
    )


# -- pure parts ------------------------------------------------------------------------------


def test_registered_domain_follows_the_public_suffix_list_not_the_last_two_labels():
    assert registered_domain("files.example.co.uk") == "example.co.uk"
    assert registered_domain("a.b.example.com") == "example.com"
    assert registered_domain("203.0.113.10") is None


def test_bootstrap_picks_the_longest_matching_prefix_and_prefers_https():
    file = bootstrap([(["8.0.0.0/8"], "https://wide/"), (["8.8.0.0/16"], "https://narrow/")])
    file["services"][1][1].insert(0, "http://narrow-plain/")
    assert server_for_address(file, "8.8.8.8") == "https://narrow/"
    assert server_for_address(file, "8.1.1.1") == "https://wide/"
    assert server_for_address(file, "9.9.9.9") is None
    assert server_for_domain(bootstrap([(["uk"], "https://uk/")]), "example.co.uk") == "https://uk/"


def test_only_the_registrars_abuse_entity_counts_never_the_registrants_mailbox():
    answer = domain_answer("example.com", "abuse@registrar.example")
    contacts = abuse_contacts(answer, "registrar", "rdap test", T0)
    assert [(c.email, c.name) for c in contacts] == [("abuse@registrar.example", "Example Registrar, Inc.")]
    assert abuse_contacts(domain_answer("example.com", None), "registrar", "rdap test", T0) == []


def test_security_txt_fields_are_read_and_comments_skipped():
    text = "# hi\nContact: mailto:security@site.example\nContact: https://site.example/report\nExpires: 2030-01-01T00:00:00Z\n"
    contacts, expires = parse_security_txt(text)
    assert contacts == ["mailto:security@site.example", "https://site.example/report"]
    assert expires.year == 2030


def test_a_listed_platform_has_its_form_and_says_it_came_from_the_table():
    contact = platform_contact("gist.github.com", T0)
    assert contact.role == "platform"
    assert contact.url == "https://support.github.com/contact?tags=docs-private-information"
    assert "platform table" in contact.source and contact.found_at == T0
    assert platform_contact("example.net") is None


# -- lookups against local servers -----------------------------------------------------------


def test_network_and_registrar_abuse_contacts_come_from_rdap_with_their_source(store, rdap):
    rdap.route("/arin/ip/8.8.8.8", network_answer("8.8.8.8"))
    rdap.route("/uk/domain/example.co.uk", domain_answer("example.co.uk", "abuse@registrar.example"))

    report = finder_for(store, rdap).find(["https://files.example.co.uk/leak.csv"])[
        "https://files.example.co.uk/leak.csv"
    ]

    assert report.registered_domain == "example.co.uk"
    assert report.addresses == ["8.8.8.8"]
    by_role = {c.role: c for c in report.contacts}
    assert by_role["hosting"].email == "abuse@hosting.example"
    assert by_role["hosting"].name == "Example Hosting Ltd"
    assert by_role["hosting"].source == f"rdap {rdap.url}/arin/ip/8.8.8.8"
    assert by_role["registrar"].email == "abuse@registrar.example"
    assert by_role["registrar"].found_at == T0
    assert [c.role for c in report.ladder()] == ["hosting", "registrar"]
    assert "host" in report.problems  # no security.txt reachable for this name: said, not guessed
    assert not any(c.email and c.email.startswith("abuse@example") for c in report.contacts)


def test_a_thin_registry_links_to_the_registrars_server_where_the_abuse_contact_is(store, rdap):
    registrar_url = f"{rdap.url}/registrar/domain/example.com"
    rdap.route("/gtld/domain/example.com", domain_answer("example.com", None, related=registrar_url))
    rdap.route("/registrar/domain/example.com", domain_answer("example.com", "abuse@reg.example"))
    rdap.route("/arin/ip/8.8.4.4", network_answer("8.8.4.4"))

    (report,) = finder_for(store, rdap).find(["https://dump.example.com/x"]).values()

    registrar = next(c for c in report.contacts if c.role == "registrar")
    assert registrar.email == "abuse@reg.example"
    assert registrar.source == f"rdap {registrar_url}"


def test_security_txt_of_the_host_gives_the_sites_own_contact(store, rdap):
    rdap.route(
        "/.well-known/security.txt",
        "Contact: mailto:security@site.example\nExpires: 2099-01-01T00:00:00Z\n",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    rdap.route("/arin/ip/127.0.0.1", network_answer("127.0.0.1"))
    url = f"{rdap.url}/paste/1"

    report = finder_for(store, rdap).find([url])[url]

    host = next(c for c in report.contacts if c.role == "host")
    assert host.email == "security@site.example"
    assert host.source == f"security.txt {rdap.url}/.well-known/security.txt"
    assert report.problems["registrar"].endswith("has no registered domain (an address, or no public suffix)")


def test_an_expired_security_txt_gives_no_contact_and_says_why(store, rdap):
    rdap.route(
        "/.well-known/security.txt",
        "Contact: mailto:security@site.example\nExpires: 2020-01-01T00:00:00Z\n",
        headers={"Content-Type": "text/plain"},
    )
    url = f"{rdap.url}/paste/1"
    report = finder_for(store, rdap).find([url])[url]
    assert "expired" in report.problems["host"]
    assert not [c for c in report.contacts if c.role == "host"]


def test_a_listed_platform_overrides_the_lookups(store, rdap):
    report = finder_for(store, rdap).find(["https://pastebin.com/abcd"])["https://pastebin.com/abcd"]
    assert [c.role for c in report.contacts] == ["platform"]
    assert rdap.requests == []


def test_garbage_from_an_rdap_server_is_no_contact_with_the_reason(store, rdap):
    rdap.route("/arin/ip/8.8.8.8", "<html>maintenance</html>", headers={"Content-Type": "text/html"})
    rdap.route("/uk/domain/example.co.uk", ["not", "an", "object"])
    (report,) = finder_for(store, rdap).find(["https://files.example.co.uk/x"]).values()
    assert report.contacts == []
    assert "not JSON" in report.problems["hosting"]
    assert "not a JSON object" in report.problems["registrar"]


def test_an_rdap_server_that_hangs_is_a_timeout_not_a_crash(store, rdap):
    rdap.route("/arin/ip/8.8.8.8", HANG)
    rdap.route("/uk/domain/example.co.uk", domain_answer("example.co.uk", "abuse@registrar.example"))
    (report,) = finder_for(store, rdap, timeout=0.5).find(["https://files.example.co.uk/x"]).values()
    assert "timed out" in report.problems["hosting"]
    assert [c.role for c in report.contacts] == ["registrar"]


def test_a_redirect_to_a_private_address_is_refused(store, rdap):
    rdap.route("/arin/ip/8.8.8.8", b"", status=302, headers={"Location": "http://10.1.2.3/ip/8.8.8.8"})
    rdap.route("/uk/domain/example.co.uk", b"", status=307, headers={"Location": "http://127.0.0.1:9/x"})
    (report,) = finder_for(store, rdap).find(["https://files.example.co.uk/x"]).values()
    assert "refused http://10.1.2.3:80: 10.1.2.3 is not a public address" in report.problems["hosting"]
    assert "127.0.0.1 is not a public address" in report.problems["registrar"]
    assert "/x" not in rdap.requests


def test_an_rdap_server_on_a_private_address_is_refused_unless_allowed(store, rdap):
    (report,) = (
        finder_for(store, rdap, allowed=["http://127.0.0.1:1"])
        .find(["https://files.example.co.uk/x"])
        .values()
    )
    assert "is not a public address" in report.problems["hosting"]
    assert rdap.requests == []


def test_lookups_are_cached_until_they_expire(store, rdap):
    rdap.route("/arin/ip/8.8.8.8", network_answer("8.8.8.8"))
    rdap.route("/uk/domain/example.co.uk", domain_answer("example.co.uk", "abuse@registrar.example"))
    url = "https://files.example.co.uk/x"
    finder_for(store, rdap).find([url])
    asked = len(rdap.requests)

    again = finder_for(store, rdap, now=lambda: T0 + timedelta(days=3)).find([url])[url]
    assert len(rdap.requests) == asked
    assert {c.role for c in again.contacts} == {"hosting", "registrar"}

    finder_for(store, rdap, now=lambda: T0 + timedelta(days=8)).find([url])
    assert rdap.requests.count("/arin/ip/8.8.8.8") == 2


def test_many_copies_share_one_lookup_per_address_and_domain(store, rdap):
    rdap.route("/arin/ip/8.8.8.8", network_answer("8.8.8.8"))
    rdap.route("/uk/domain/example.co.uk", domain_answer("example.co.uk", "abuse@registrar.example"))
    urls = [f"https://files.example.co.uk/{n}" for n in range(20)]
    reports = finder_for(store, rdap).find(urls)
    assert all({c.role for c in r.contacts} == {"hosting", "registrar"} for r in reports.values())
    assert rdap.requests.count("/arin/ip/8.8.8.8") == 1
    assert rdap.requests.count("/uk/domain/example.co.uk") == 1
