"""What only the Elasticsearch store does (the shared behaviour is in test_store_contract.py).

Runs against a fresh ES-REST stand-in per test (tests/es_standin.py), whose request log shows
what the store sent.
"""

from __future__ import annotations

import base64
import logging
import socket
from datetime import datetime, timedelta

import pytest
from es_standin import StandinServer
from fixtures_store import T0, found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.credentials import Secrets
from leaktrack.errors import ConcurrentUpdateError, StoreError
from leaktrack.index import match_id_for_url, open_store, settings
from leaktrack.index.base import SweepRecord, time_text
from leaktrack.index.elastic import ElasticsearchStore
from leaktrack.index.takedown_records import TakedownTrack

URL_A = "https://pastebin.com/aaaa"
URL_B = "https://gist.github.com/someone/bbbb"
SECRET = "s3cr3t-pa55word"


@pytest.fixture
def standin():
    with StandinServer() as server:
        yield server


@pytest.fixture
def es_store(standin):
    store = ElasticsearchStore(standin.url, index_prefix="lt", refresh=True)
    yield store
    store.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bulk_actions(standin: StandinServer) -> list[dict]:
    """Every action line the store sent to ``_bulk`` (sources left out)."""
    lines = [line for request in standin.cluster.requests_to("PUT", "*_bulk") for line in request.ndjson()]
    return [line for line in lines if set(line) <= {"index", "create", "update", "delete"} and len(line) == 1]


# -- templates and aliases ---------------------------------------------------------------


def test_open_installs_composable_templates_with_strict_explicit_mappings(es_store, standin):
    (put,) = standin.cluster.requests_to("PUT", "/_index_template/lt-matches")
    body = put.json()
    assert body["index_patterns"] == ["lt-matches-*"]
    mappings = body["template"]["mappings"]
    assert mappings["dynamic"] == "strict"
    types = {name: spec["type"] for name, spec in mappings["properties"].items()}
    assert types["url"] == types["status"] == types["matched_records"] == types["source"] == "keyword"
    assert types["first_seen"] == types["last_seen"] == "date"
    assert types["containment"] == "float" and types["title"] == "text"
    assert standin.cluster.requests_to("PUT", "/_index_template/lt-sweeps")


def test_open_creates_the_first_matches_index_behind_a_write_alias(es_store, standin):
    assert standin.cluster.aliases["lt-matches"] == {"lt-matches-000001": {"is_write_index": True}}
    assert "lt-sweeps" in standin.cluster.indices


def test_opening_an_existing_store_keeps_its_indices_and_matches(es_store, standin):
    es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    with ElasticsearchStore(standin.url, index_prefix="lt", refresh=True) as again:
        assert [m.url for m in again.list_matches()] == [URL_A]
    assert sorted(standin.cluster.indices) == [
        "lt-alerts",
        "lt-audit",
        "lt-matches-000001",
        "lt-sweeps",
        "lt-takedown-lookups",
        "lt-takedown-notices",
        "lt-takedown-tracks",
        "lt-users",
    ]


def test_index_prefix_keeps_two_stores_on_one_cluster_apart(es_store, standin):
    es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    with ElasticsearchStore(standin.url, index_prefix="other", refresh=True) as other:
        assert other.list_matches() == []


# -- bulk writes ---------------------------------------------------------------------------


def test_upsert_creates_documents_through_bulk_with_ids_derived_from_urls(es_store, standin):
    es_store.upsert_copies([found_copy(URL_A, ["r1"]), found_copy(URL_B, ["r2"])])
    actions = bulk_actions(standin)
    assert actions == [
        {"create": {"_index": "lt-matches", "_id": match_id_for_url(URL_A)}},
        {"create": {"_index": "lt-matches", "_id": match_id_for_url(URL_B)}},
    ]


def test_resweep_updates_the_document_at_its_sequence_number_instead_of_adding_one(es_store, standin):
    es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    standin.cluster.requests.clear()
    es_store.upsert_copies([found_copy(URL_A, ["r2"], minutes=5)])
    (action,) = bulk_actions(standin)
    assert set(action) == {"index"}
    assert {"if_seq_no", "if_primary_term"} <= set(action["index"])
    assert list(standin.cluster.indices["lt-matches-000001"].docs) == [match_id_for_url(URL_A)]


def test_resweep_after_rollover_updates_the_copy_in_its_old_index(es_store, standin):
    es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    assert es_store.rollover() == "lt-matches-000002"
    es_store.upsert_copies([found_copy(URL_A, ["r2"], minutes=5), found_copy(URL_B, ["r3"])])
    assert list(standin.cluster.indices["lt-matches-000001"].docs) == [match_id_for_url(URL_A)]
    assert list(standin.cluster.indices["lt-matches-000002"].docs) == [match_id_for_url(URL_B)]
    assert es_store.get(match_id_for_url(URL_A)).matched_records == ["r1", "r2"]


def test_upsert_retries_a_create_that_lost_a_race_as_an_update(es_store, standin):
    # Another sweep created the same copy after we looked: our create gets 409, we re-read and merge.
    raced = []

    def other_sweep_creates_first(request):
        if request.path == "/_bulk" and not raced:
            raced.append(request)
            with ElasticsearchStore(standin.url, index_prefix="lt", refresh=True) as other:
                other.upsert_copies([found_copy(URL_A, ["r-other"])])

    standin.cluster.before_request.append(other_sweep_creates_first)
    (match,) = es_store.upsert_copies([found_copy(URL_A, ["r-ours"], minutes=1)])
    assert match.matched_records == ["r-other", "r-ours"]
    assert len(standin.cluster.indices["lt-matches-000001"].docs) == 1


def test_resweep_that_keeps_conflicting_fails_clearly(es_store, standin):
    (match,) = es_store.upsert_copies([found_copy(URL_A, ["r1"])])

    def another_writer_before_every_bulk(request):
        if request.path == "/_bulk":
            standin.cluster.simulate_concurrent_write("lt-matches", match.id)

    standin.cluster.before_request.append(another_writer_before_every_bulk)
    with pytest.raises(ConcurrentUpdateError, match="run the sweep again"):
        es_store.upsert_copies([found_copy(URL_A, ["r2"], minutes=5)])


def test_exposure_and_list_page_with_search_after_beyond_one_page(es_store, standin, monkeypatch):
    monkeypatch.setattr(settings, "ITER_PAGE_SIZE", 2)
    es_store.upsert_copies([found_copy(f"https://paste.example/{n}", ["r1"], minutes=n) for n in range(5)])
    assert len(es_store.exposure("r1")) == 5
    assert len(es_store.list_matches(limit=None)) == 5
    searches = standin.cluster.requests_to("POST", "/lt-matches/_search")
    assert any(request.json().get("search_after") for request in searches)


def test_export_reads_through_a_point_in_time_and_closes_it(es_store, standin, monkeypatch):
    monkeypatch.setattr(settings, "ITER_PAGE_SIZE", 2)
    es_store.upsert_copies([found_copy(f"https://paste.example/{n}", [f"r{n}"]) for n in range(5)])
    exported = [match.url for match in es_store.iter_matches()]
    assert sorted(exported) == sorted(f"https://paste.example/{n}" for n in range(5))
    assert len(standin.cluster.requests_to("POST", "/lt-matches/_pit")) == 1
    assert standin.cluster.requests_to("DELETE", "/_pit") and standin.cluster.pits == {}


def test_stats_counts_exposed_records_exactly_across_composite_pages(es_store, monkeypatch):
    monkeypatch.setattr(settings, "ITER_PAGE_SIZE", 2)
    es_store.upsert_copies([found_copy(URL_A, ["r1", "r2", "r3"]), found_copy(URL_B, ["r3", "r4", "r5"])])
    assert es_store.stats().records_exposed == 5


# -- concurrency ---------------------------------------------------------------------------


def test_status_change_retries_once_after_a_concurrent_write(es_store, standin):
    (match,) = es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    writes = []

    def another_writer_once(request):
        if request.method == "PUT" and "/_doc/" in request.path and not writes:
            writes.append(request.path)
            standin.cluster.simulate_concurrent_write("lt-matches", match.id)

    standin.cluster.before_request.append(another_writer_once)
    changed = es_store.change_status(match.id, "confirmed", by="ana")
    assert changed.status == "confirmed"
    assert [entry.to_status for entry in es_store.history(match.id)] == ["confirmed"]


def test_status_change_that_keeps_conflicting_fails_clearly_and_changes_nothing(es_store, standin):
    (match,) = es_store.upsert_copies([found_copy(URL_A, ["r1"])])

    def another_writer_every_time(request):
        if request.method == "PUT" and "/_doc/" in request.path:
            standin.cluster.simulate_concurrent_write("lt-matches", match.id)

    standin.cluster.before_request.append(another_writer_every_time)
    with pytest.raises(ConcurrentUpdateError, match="changed by someone else"):
        es_store.change_status(match.id, "confirmed", by="ana")
    standin.cluster.before_request.clear()
    assert es_store.get(match.id).status == "new"
    assert es_store.history(match.id) == []


def test_status_changes_are_written_with_the_sequence_number_they_were_read_at(es_store, standin):
    (match,) = es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    es_store.change_status(match.id, "confirmed", by="ana")
    (write,) = standin.cluster.requests_to("PUT", f"/lt-matches-000001/_doc/{match.id}")
    assert {"if_seq_no", "if_primary_term"} <= set(write.query)


def test_a_store_without_refresh_still_finds_a_match_it_just_wrote(standin):
    with ElasticsearchStore(standin.url, index_prefix="lt", refresh=False) as store:
        (match,) = store.upsert_copies([found_copy(URL_A, ["r1"])])
        assert store.change_status(match.id, "confirmed", by="ana").status == "confirmed"


def test_a_recorded_sweep_and_its_matches_are_searchable_at_once(standin):
    # The crawl writes without refreshing; the sweep's record, its last write, refreshes, so
    # the queue read right after a sweep (another process) shows what it found.
    with ElasticsearchStore(standin.url, index_prefix="lt", refresh=False) as crawl:
        crawl.upsert_copies([found_copy(URL_A, ["r1"])])
        crawl.record_sweep(SweepRecord("sweep-1", T0, T0, {"pastes": {"matches": 1}}))
    with ElasticsearchStore(standin.url, index_prefix="lt", refresh=False) as queue:
        assert [m.url for m in queue.list_matches()] == [URL_A]
        assert [s.id for s in queue.list_sweeps()] == ["sweep-1"]


# -- connection, credentials, errors -------------------------------------------------------


def test_unreachable_elasticsearch_is_a_one_line_store_error():
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(StoreError) as raised:
        ElasticsearchStore(url, index_prefix="lt")
    message = str(raised.value)
    assert "\n" not in message
    assert f"cannot reach Elasticsearch at {url}" in message and "connection refused" in message


def test_url_credentials_go_to_basic_auth_and_never_into_errors_or_logs(standin, caplog):
    caplog.set_level(logging.DEBUG)
    standin.cluster.required_auth = "Basic " + base64.b64encode(f"ana:{SECRET}x".encode()).decode()
    host = standin.url.removeprefix("http://")
    with pytest.raises(StoreError) as raised:
        ElasticsearchStore(f"http://ana:{SECRET}@{host}", index_prefix="lt")
    assert "refused the credentials" in str(raised.value)
    assert SECRET not in str(raised.value) and SECRET not in caplog.text
    sent = standin.cluster.requests[0]
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"ana:{SECRET}".encode()).decode()


def test_an_api_key_among_the_secrets_is_sent_and_never_logged(standin, caplog):
    caplog.set_level(logging.DEBUG)
    standin.cluster.required_auth = f"ApiKey {SECRET}"
    secrets = Secrets({settings.ES_API_KEY_ENV: SECRET})
    with ElasticsearchStore(standin.url, index_prefix="lt", refresh=True, secrets=secrets) as store:
        store.upsert_copies([found_copy(URL_A, ["r1"])])
    assert SECRET not in caplog.text


def test_user_and_password_among_the_secrets_are_sent_as_basic_auth(standin):
    standin.cluster.required_auth = "Basic " + base64.b64encode(f"ana:{SECRET}".encode()).decode()
    secrets = Secrets({settings.ES_USER_ENV: "ana", settings.ES_PASSWORD_ENV: SECRET})
    with ElasticsearchStore(standin.url, index_prefix="lt", secrets=secrets) as store:
        assert store.list_matches() == []


def test_the_store_reads_no_credentials_from_the_environment_itself(standin, monkeypatch):
    """Resolved once, by the CLI (cli/workspace.py): the library only takes what it is given."""
    monkeypatch.setenv(settings.ES_API_KEY_ENV, SECRET)
    standin.cluster.required_auth = f"ApiKey {SECRET}"
    with pytest.raises(StoreError, match="refused the credentials"):
        ElasticsearchStore(standin.url, index_prefix="lt")


def test_the_cli_gives_the_store_an_api_key_from_the_environment(es_store, standin, monkeypatch):
    es_store.upsert_copies([found_copy(URL_A, ["r1"])])
    standin.cluster.required_auth = f"ApiKey {SECRET}"
    monkeypatch.setenv(settings.ES_API_KEY_ENV, SECRET)
    monkeypatch.setenv(settings.ES_INDEX_PREFIX_ENV, "lt")
    result = CliRunner().invoke(app, ["queue", "list", "--json", "--store", standin.url])
    assert result.exit_code == 0, result.output
    assert URL_A in result.output and SECRET not in result.output


def test_the_cli_refused_credentials_are_one_line_without_the_secret(standin, monkeypatch):
    standin.cluster.required_auth = "ApiKey something-else"
    monkeypatch.setenv(settings.ES_API_KEY_ENV, SECRET)
    result = CliRunner().invoke(app, ["queue", "list", "--store", standin.url])
    assert result.exit_code == 1
    assert "refused the credentials" in result.output
    assert SECRET not in result.output and "Traceback" not in result.output


def test_the_index_prefix_and_ca_certs_ride_in_the_store_url(standin):
    """What is not secret goes in the URL, so a crawl child opening it opens the same indices."""
    with open_store(f"{standin.url}?index_prefix=lt-url") as store:
        assert store.names.prefix == "lt-url"
        assert "index_prefix" not in store.url


def test_a_url_without_a_port_is_a_store_error():
    with pytest.raises(StoreError, match="bad Elasticsearch URL"):
        ElasticsearchStore("http://127.0.0.1", index_prefix="lt")


# -- the CLI on an Elasticsearch store -----------------------------------------------------


def test_cli_queue_list_on_an_unreachable_store_prints_one_error_line_without_the_password():
    store_url = f"http://ana:{SECRET}@127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(app, ["queue", "list", "--store", store_url])
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("Error: cannot reach Elasticsearch at http://127.0.0.1:")
    assert SECRET not in result.output and "Traceback" not in result.output


def test_cli_queue_list_reads_an_elasticsearch_store(es_store, standin, monkeypatch):
    es_store.upsert_copies([found_copy(URL_A, ["r1", "r2"])])
    monkeypatch.setenv("LEAKTRACK_ES_INDEX_PREFIX", "lt")
    result = CliRunner().invoke(app, ["queue", "list", "--json", "--store", standin.url])
    assert result.exit_code == 0, result.output
    assert URL_A in result.output


def test_cli_on_an_unreachable_store_prints_no_retry_tracebacks():
    """A real process: the client's retry warnings (with tracebacks) must not reach the user."""
    import subprocess
    import sys

    store_url = f"http://127.0.0.1:{closed_port()}"
    finished = subprocess.run(
        [sys.executable, "-m", "leaktrack.cli.app", "stats", "--store", store_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        f"Error: cannot reach Elasticsearch at {store_url} while connecting: connection refused"
    ]


@pytest.mark.parametrize("bad_url", ["http://127.0.0.1:99999", "http://[::1"])
def test_cli_on_a_malformed_elasticsearch_url_is_a_one_line_error(bad_url):
    result = CliRunner().invoke(app, ["queue", "list", "--store", bad_url])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an uncaught ValueError
    assert result.output.startswith("Error: bad Elasticsearch URL")
    assert result.output.strip().count("\n") == 0


def test_search_with_a_limit_beyond_the_result_window_pages_instead_of_failing(es_store):
    """Elasticsearch refuses size > 10,000 in one request; `queue search --limit 20000` must still work."""
    es_store.upsert_copies(
        [found_copy(f"https://paste.example/{n}", ["r1"], title=f"roster {n}") for n in range(3)]
    )
    assert len(es_store.search("roster", limit=20_000)) == 3


def test_a_url_of_a_web_server_that_is_not_elasticsearch_says_so(tmp_path):
    """A plain web server answers the template PUT with an HTML 501 page: name the real problem."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            with pytest.raises(StoreError) as raised:
                ElasticsearchStore(url, index_prefix="lt")
        finally:
            server.shutdown()
    assert str(raised.value).startswith(f"{url} did not answer as Elasticsearch")
    assert "<!DOCTYPE" not in str(raised.value)


@pytest.mark.parametrize("ca_certs", ["missing.pem", "."], ids=["missing-file", "a-folder"])
def test_a_ca_certs_setting_that_is_no_file_is_named_in_the_error(tmp_path, ca_certs):
    """Not "TLS failed (set LEAKTRACK_ES_CA_CERTS)" when it is set: say that the file is not there."""
    with pytest.raises(StoreError, match=f"{settings.ES_CA_CERTS_ENV}=.*is not a file"):
        ElasticsearchStore(
            f"https://127.0.0.1:{closed_port()}", index_prefix="lt", ca_certs=str(tmp_path / ca_certs)
        )


def test_search_pages_with_search_after_and_keeps_newest_first_among_equal_scores(es_store, monkeypatch):
    monkeypatch.setattr(settings, "ITER_PAGE_SIZE", 2)
    es_store.upsert_copies(
        [found_copy(f"https://paste.example/{n}", ["r1"], title="roster", minutes=n) for n in range(5)]
    )
    assert [m.url[-1] for m in es_store.search("roster", limit=4)] == ["4", "3", "2", "1"]


def test_a_matches_index_made_before_dataset_ids_gets_the_field_on_open(standin):
    """Its mapping is strict: without the new field every sweep's write would be refused."""
    from elasticsearch import Elasticsearch

    from leaktrack.index.elastic import template_bodies

    old_mappings = template_bodies()["matches"]["mappings"]
    old_mappings = old_mappings | {
        "properties": {k: v for k, v in old_mappings["properties"].items() if k != "dataset_id"}
    }
    client = Elasticsearch(standin.url)
    client.indices.create(
        index="old-matches-000001", mappings=old_mappings, aliases={"old-matches": {"is_write_index": True}}
    )
    client.close()
    with ElasticsearchStore(standin.url, index_prefix="old", refresh=True) as store:
        copy = found_copy(URL_A, ["r1"])
        copy.dataset_id = "c" * 32
        (match,) = store.upsert_copies([copy])
        assert store.get(match.id).dataset_id == "c" * 32


# -- takedown metrics --------------------------------------------------------------------


def _notified_track(match_id: str, hours_to_notice: float, hours_to_removal: float | None = None):
    notice = T0 + timedelta(hours=hours_to_notice)
    removed = notice + timedelta(hours=hours_to_removal) if hours_to_removal is not None else None
    return TakedownTrack(
        match_id=match_id,
        host="h.example",
        source="pastes",
        first_seen=T0,
        step="monitoring" if removed else "notified",
        step_since=notice,
        role="platform",
        first_notice_at=notice,
        removed_at=removed,
    )


def test_takedown_metrics_are_one_aggregation_in_the_cluster_not_every_track_read(es_store, standin):
    first, second = es_store.upsert_copies([found_copy(URL_A, ["r1"]), found_copy(URL_B, ["r1"])])
    es_store.save_track(_notified_track(first.id, 2, hours_to_removal=10))
    es_store.save_track(_notified_track(second.id, 4))
    standin.cluster.requests.clear()

    (metric,) = es_store.takedown_metrics("host")

    assert (metric.notified, metric.removed, metric.hours_to_removal_max) == (2, 1, 10)
    assert metric.hours_to_notice_mean == pytest.approx(3)
    (search,) = standin.cluster.requests_to("POST", "/lt-takedown-tracks/_search")
    assert search.json()["size"] == 0 and "groups" in search.json()["aggs"]


def test_tracks_kept_before_the_derived_hours_get_them_when_the_store_is_opened(standin):
    store = ElasticsearchStore(standin.url, index_prefix="lt", refresh=True)
    (match,) = store.upsert_copies([found_copy(URL_A, ["r1"])])
    track = _notified_track(match.id, 2, hours_to_removal=10)
    older = {k: time_text(v) if isinstance(v, datetime) else v for k, v in track.__dict__.items()}
    store.client.index(index="lt-takedown-tracks", id=match.id, document=older, refresh=True)
    store.close()

    with ElasticsearchStore(standin.url, index_prefix="lt", refresh=True) as reopened:
        (metric,) = reopened.takedown_metrics("host")
        assert reopened.get_track(match.id) == track

    assert (metric.removed, metric.hours_to_notice_max, metric.hours_to_removal_max) == (1, 2, 10)
