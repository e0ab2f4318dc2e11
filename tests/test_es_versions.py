"""Elasticsearch 8.x and 9.x clusters: the installed client against a stand-in of each major.

The client speaks its own major (``compatible-with=N``); a server serves its own major and the
one before. Run under the 9.x client (``leaktrack[es9]``, the default test install) and under
the 8.x client (``leaktrack[es8]``, CI's second venv), these tests cover every pairing: same
major (the store works), 8.x client on a 9.x cluster (works, with a warning naming the extra),
9.x client on an 8.x cluster (refused at open, naming the cluster's version and what to install).
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request

import pytest
from es_backends import CLIENT_MAJOR, STANDIN_VERSIONS, unique_prefix
from es_standin import StandinServer
from fixtures_store import found_copy

from leaktrack.errors import StoreError
from leaktrack.index import settings as store_settings
from leaktrack.index.elastic import ElasticsearchStore
from leaktrack.index.es_connect import check_fit

COMPAT = "application/vnd.elasticsearch+json; compatible-with={}"


@pytest.fixture(params=sorted(STANDIN_VERSIONS), ids=lambda major: f"es{major}")
def cluster(request):
    with StandinServer(version=STANDIN_VERSIONS[request.param]) as server:
        yield server


def get_root(server: StandinServer, accept: str, content_type: str | None = None) -> tuple[int, dict, str]:
    headers = {"Accept": accept} | ({"Content-Type": content_type} if content_type else {})
    body = b"{}" if content_type else None
    request = urllib.request.Request(server.url + "/_search", data=body, headers=headers, method="POST")
    if content_type is None:
        request = urllib.request.Request(server.url + "/", headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["Content-Type"]


# -- the stand-in refuses what a real server of its major refuses ------------------------------


@pytest.mark.parametrize(
    ("major", "asked", "served"),
    [(8, 7, True), (8, 8, True), (8, 9, False), (9, 7, False), (9, 8, True), (9, 9, True)],
)
def test_a_server_serves_its_own_major_and_the_one_before(major, asked, served):
    with StandinServer(version=STANDIN_VERSIONS[major]) as server:
        status, body, media_type = get_root(server, COMPAT.format(asked))
    if served:
        assert status == 200
        assert media_type.endswith(f"compatible-with={asked}")
        assert body["version"]["number"].startswith(f"{major}.")
    else:
        assert status == 400
        assert body["error"]["type"] == "media_type_header_exception"
        assert body["error"]["caused_by"]["reason"].startswith(
            f"Accept version must be either version {major} or {major - 1}, but found {asked}."
        )


def test_accept_and_content_type_asking_for_different_versions_are_refused(cluster):
    status, body, _ = get_root(
        cluster, COMPAT.format(cluster.cluster.major), COMPAT.format(8 if cluster.cluster.major == 9 else 7)
    )
    assert (status, body["error"]["type"]) == (400, "media_type_header_exception")


def test_plain_json_is_answered_as_plain_json_by_every_major(cluster):
    status, body, media_type = get_root(cluster, "application/json")
    assert (status, media_type) == (200, "application/json")
    assert body["version"]["number"] == STANDIN_VERSIONS[cluster.cluster.major]


# -- the store and the installed client ---------------------------------------------------------


def test_the_store_works_with_a_cluster_of_the_clients_major():
    with StandinServer(version=STANDIN_VERSIONS[CLIENT_MAJOR]) as server:
        with ElasticsearchStore(server.url, index_prefix=unique_prefix(), refresh=True) as store:
            assert store.cluster_version == STANDIN_VERSIONS[CLIENT_MAJOR]
            (match,) = store.upsert_copies([found_copy("https://p.example/1", ["r1"])])
            assert store.get(match.id).matched_records == ["r1"]


def test_a_client_of_another_major_is_refused_at_open_or_warned_about_naming_what_to_install(cluster, caplog):
    cluster_major = cluster.cluster.major
    if cluster_major == CLIENT_MAJOR:
        pytest.skip("same major: test_the_store_works_with_a_cluster_of_the_clients_major")
    version = STANDIN_VERSIONS[cluster_major]
    if cluster_major < CLIENT_MAJOR:  # a 9.x client on an 8.x cluster cannot work
        with pytest.raises(StoreError) as raised:
            ElasticsearchStore(cluster.url, index_prefix=unique_prefix())
        message = str(raised.value)
        assert f"is version {version}" in message
        assert f"leaktrack[es{cluster_major}]" in message
        assert len(message.splitlines()) == 1
        assert not cluster.cluster.requests_to("PUT", "/_index_template/*")  # refused before any write
    else:  # an 8.x client on a 9.x cluster works through REST API compatibility
        with caplog.at_level(logging.WARNING, logger="leaktrack.index.elastic"):
            with ElasticsearchStore(cluster.url, index_prefix=unique_prefix(), refresh=True) as store:
                (match,) = store.upsert_copies([found_copy("https://p.example/1", ["r1"])])
                assert store.get(match.id).status == "new"
        assert f"leaktrack[es{cluster_major}]" in caplog.text


@pytest.mark.parametrize(
    ("cluster", "client", "outcome"),
    [
        ("8.17.0", "8.19.3", None),
        ("9.1.5", "9.5.1", None),
        ("8.17.0", "9.5.1", "refused: leaktrack[es8]"),
        ("9.1.5", "8.19.3", "warned: leaktrack[es9]"),
        ("7.17.28", "8.19.3", "refused: works with Elasticsearch 8 or 9"),
        ("10.0.0", "9.5.1", "refused: works with Elasticsearch 8 or 9"),
    ],
)
def test_check_fit_names_the_cluster_version_and_the_extra_to_install(cluster, client, outcome):
    url = "http://es.example:9200"
    if outcome is None:
        assert check_fit(cluster, client, url) is None
    elif outcome.startswith("warned"):
        warning = check_fit(cluster, client, url)
        assert f"is version {cluster}" in warning and outcome.split(": ")[1] in warning
    else:
        with pytest.raises(StoreError) as raised:
            check_fit(cluster, client, url)
        assert f"is version {cluster}" in str(raised.value)
        assert outcome.split(": ")[1] in str(raised.value)


# -- reaching the cluster -----------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_fails_at_the_first_connection_without_the_clients_retries():
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(StoreError) as raised:
        ElasticsearchStore(url, index_prefix="lt")
    assert str(raised.value) == f"cannot reach Elasticsearch at {url} while connecting: connection refused"


def test_a_host_that_never_accepts_fails_after_the_connect_timeout_not_the_request_timeout(monkeypatch):
    """A listener whose accept queue is full drops new connection attempts, as a firewall does."""
    monkeypatch.setattr(store_settings, "ES_CONNECT_TIMEOUT_SECONDS", 0.5)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        queued = []
        for _ in range(16):  # fill the accept queue until a connection attempt goes unanswered
            attempt = socket.socket()
            attempt.settimeout(0.5)
            try:
                attempt.connect(address)
            except TimeoutError:
                attempt.close()
                break
            queued.append(attempt)
        else:
            pytest.skip("this kernel answers connections beyond the accept queue")
        try:
            with pytest.raises(StoreError) as raised:
                ElasticsearchStore(f"http://127.0.0.1:{address[1]}", index_prefix="lt")
        finally:
            for attempt in queued:
                attempt.close()
    assert str(raised.value).endswith("while connecting: no connection within 0.5 s")


def test_the_installed_clients_own_requests_meet_the_servers_rule(cluster):
    """Without the check at open: what the client itself gets from a cluster of each major."""
    from elasticsearch import BadRequestError, Elasticsearch

    client = Elasticsearch(cluster.url)
    try:
        if cluster.cluster.major in (CLIENT_MAJOR, CLIENT_MAJOR + 1):
            assert not client.indices.exists(index="anything")
            assert client.info()["version"]["number"] == STANDIN_VERSIONS[cluster.cluster.major]
        else:  # the bare 400 that a 9.x client gets from an 8.x cluster
            with pytest.raises(BadRequestError) as raised:
                client.info()
            assert raised.value.error == "media_type_header_exception"
    finally:
        client.close()


def test_an_elasticsearch_store_without_the_client_says_which_extra_to_install(monkeypatch):
    """A plain install has no client: the message names the extras, not a ModuleNotFoundError."""
    import sys

    from leaktrack.index import open_store

    monkeypatch.setitem(sys.modules, "elasticsearch", None)  # what importing it does when it is absent
    monkeypatch.delitem(sys.modules, "leaktrack.index.elastic", raising=False)
    with pytest.raises(StoreError) as raised:
        open_store("http://127.0.0.1:9200")
    assert "pip install 'leaktrack[es8]' or 'leaktrack[es9]'" in str(raised.value)
