"""The ES-REST stand-in itself: it must refuse what Elasticsearch refuses, or the backend's
tests against it prove nothing. Raw HTTP where the official client would not send the bad
request; the client where it would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from elasticsearch import BadRequestError, ConflictError, Elasticsearch, NotFoundError
from es_standin import StandinServer

NDJSON = "application/x-ndjson"
STRICT_TEMPLATE = {
    "index_patterns": ["books-*"],
    "template": {
        "mappings": {"dynamic": "strict", "properties": {"title": {"type": "text"}, "n": {"type": "integer"}}}
    },
}


@pytest.fixture
def standin():
    with StandinServer() as server:
        yield server


@pytest.fixture
def es(standin):
    client = Elasticsearch(standin.url)
    yield client
    client.close()


def send(
    server: StandinServer,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, dict]:
    request = urllib.request.Request(
        server.url + path, data=body, method=method, headers={"Content-Type": content_type, "Accept": accept}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def error_type(body: dict) -> str:
    return body["error"]["type"]


def test_standin_identifies_itself_as_elasticsearch_to_the_official_client(es):
    assert es.info()["version"]["number"].startswith("9.")


def test_standin_rejects_an_unknown_mapping_type(es):
    with pytest.raises(BadRequestError) as raised:
        es.indices.create(index="books", mappings={"properties": {"title": {"type": "strng"}}})
    assert raised.value.error == "mapper_parsing_exception"
    assert "No handler for type [strng]" in str(raised.value.body)


def test_standin_rejects_an_unknown_parameter_of_a_mapping_type(es):
    with pytest.raises(BadRequestError) as raised:
        es.indices.create(
            index="books", mappings={"properties": {"n": {"type": "integer", "ignore_above": 10}}}
        )
    assert "unknown parameter [ignore_above]" in str(raised.value.body)


def test_standin_rejects_a_typed_mapping_as_elasticsearch_8_does(es):
    with pytest.raises(BadRequestError) as raised:
        es.indices.create(index="books", mappings={"_doc": {"properties": {"n": {"type": "integer"}}}})
    assert "Root mapping definition has unsupported parameters" in str(raised.value.body)


def test_standin_rejects_a_legacy_shaped_index_template(standin):
    legacy = {"index_patterns": ["books-*"], "mappings": {"properties": {}}}
    status, body = send(standin, "PUT", "/_index_template/books", json.dumps(legacy).encode())
    assert (status, error_type(body)) == (400, "x_content_parse_exception")


def test_standin_rejects_an_index_template_without_patterns(standin):
    status, body = send(standin, "PUT", "/_index_template/books", json.dumps({"template": {}}).encode())
    assert (status, error_type(body)) == (400, "action_request_validation_exception")


def test_standin_applies_a_matching_template_to_a_new_index(es):
    es.indices.put_index_template(name="books", **STRICT_TEMPLATE)
    es.indices.create(index="books-1")
    with pytest.raises(BadRequestError) as raised:
        es.index(index="books-1", id="1", document={"author": "x"})
    assert raised.value.error == "strict_dynamic_mapping_exception"


def test_standin_rejects_a_bulk_body_without_the_final_newline(standin):
    body = b'{"index": {"_index": "books", "_id": "1"}}\n{"title": "a"}'
    status, answer = send(standin, "POST", "/_bulk", body, NDJSON)
    assert status == 400
    assert "must be terminated by a newline" in answer["error"]["reason"]


def test_standin_rejects_a_bulk_action_without_its_source_line(standin):
    status, answer = send(standin, "POST", "/_bulk", b'{"index": {"_index": "books", "_id": "1"}}\n', NDJSON)
    assert status == 400


def test_standin_rejects_an_unknown_bulk_action(standin):
    body = b'{"upsert": {"_index": "books", "_id": "1"}}\n{"title": "a"}\n'
    status, answer = send(standin, "POST", "/_bulk", body, NDJSON)
    assert status == 400
    assert "expected field [create], [delete], [index] or [update]" in answer["error"]["reason"]


def test_standin_rejects_an_unknown_bulk_metadata_parameter(standin):
    body = b'{"index": {"_index": "books", "_id": "1", "if_seqno": 3}}\n{"title": "a"}\n'
    status, answer = send(standin, "POST", "/_bulk", body, NDJSON)
    assert status == 400
    assert "unknown parameter [if_seqno]" in answer["error"]["reason"]


def test_standin_reports_a_strict_mapping_violation_per_bulk_item(es):
    es.indices.put_index_template(name="books", **STRICT_TEMPLATE)
    result = es.bulk(
        operations=[
            {"index": {"_index": "books-1", "_id": "1"}},
            {"title": "ok"},
            {"index": {"_index": "books-1", "_id": "2"}},
            {"author": "not mapped"},
        ]
    )
    assert result["errors"] is True
    assert [item["index"]["status"] for item in result["items"]] == [201, 400]


def test_standin_answers_409_to_a_write_with_a_stale_sequence_number(es):
    first = es.index(index="books", id="1", document={"title": "a"})
    es.index(index="books", id="1", document={"title": "b"})
    with pytest.raises(ConflictError) as raised:
        es.index(
            index="books",
            id="1",
            document={"title": "c"},
            if_seq_no=first["_seq_no"],
            if_primary_term=first["_primary_term"],
        )
    assert raised.value.error == "version_conflict_engine_exception"


def test_standin_answers_409_to_create_of_an_existing_id(es):
    es.create(index="books", id="1", document={"title": "a"})
    with pytest.raises(ConflictError):
        es.create(index="books", id="1", document={"title": "b"})


def test_standin_answers_404_for_a_search_of_a_missing_index(es):
    with pytest.raises(NotFoundError) as raised:
        es.search(index="no-such-index")
    assert raised.value.error == "index_not_found_exception"


def test_standin_rejects_an_unknown_query_clause(es):
    es.index(index="books", id="1", document={"title": "a"}, refresh=True)
    with pytest.raises(BadRequestError) as raised:
        es.search(index="books", query={"termz": {"title": "a"}})
    assert raised.value.error == "parsing_exception"


def test_standin_rejects_sorting_on_a_text_field(es):
    es.indices.put_index_template(name="books", **STRICT_TEMPLATE)
    es.index(index="books-1", id="1", document={"title": "a"}, refresh=True)
    with pytest.raises(BadRequestError):
        es.search(index="books-1", sort=[{"title": "asc"}])


def test_standin_adds_the_shard_doc_tiebreaker_to_point_in_time_searches(es):
    es.index(index="books", id="1", document={"n": 1}, refresh=True)
    pit = es.open_point_in_time(index="books", keep_alive="1m")["id"]
    hit = es.search(pit={"id": pit}, sort=[{"n": "asc"}])["hits"]["hits"][0]
    assert len(hit["sort"]) == 2
    with pytest.raises(BadRequestError):
        es.search(pit={"id": pit}, sort=[{"n": "asc"}], search_after=hit["sort"][:1])


def test_standin_refuses_a_point_in_time_search_that_also_names_an_index(es):
    es.index(index="books", id="1", document={"n": 1}, refresh=True)
    pit = es.open_point_in_time(index="books", keep_alive="1m")["id"]
    with pytest.raises(BadRequestError):
        es.search(index="books", pit={"id": pit}, sort=[{"n": "asc"}])


def test_standin_hides_writes_from_search_until_a_refresh(es):
    es.index(index="books", id="1", document={"n": 1}, refresh=True)
    es.index(index="books", id="2", document={"n": 2})
    assert es.count(index="books")["count"] == 1
    es.indices.refresh(index="books")
    assert es.count(index="books")["count"] == 2


def test_standin_refuses_a_result_window_over_ten_thousand(es):
    es.index(index="books", id="1", document={"n": 1}, refresh=True)
    with pytest.raises(BadRequestError):
        es.search(index="books", size=10_001)


def test_standin_refuses_an_unsupported_compatibility_version(standin):
    status, _ = send(standin, "GET", "/", accept="application/vnd.elasticsearch+json; compatible-with=7")
    assert status == 400


def test_standin_asks_for_credentials_when_configured(standin):
    standin.cluster.required_auth = "ApiKey c2VjcmV0"
    status, body = send(standin, "GET", "/")
    assert (status, error_type(body)) == (401, "security_exception")


def test_standin_records_every_request_with_its_body(es, standin):
    es.index(index="books", id="1", document={"n": 1})
    (recorded,) = standin.cluster.requests_to("PUT", "/books/_doc/1")
    assert recorded.json() == {"n": 1}
    assert recorded.status == 201
