"""The Elasticsearch backends of the store contract suite (see ``STORE_BACKENDS``).

"es-standin": the ES-REST stand-in of ``es_standin.py``, started once per test session, playing
an Elasticsearch of the installed client's major (the fit ``leaktrack[es8]``/``[es9]`` installs;
tests/test_es_versions.py covers the client against the other major).
"es-real": a real cluster at ``LEAKTRACK_TEST_ES_URL`` (skipped when unset); its indices and
templates are deleted when the session ends.
Each store gets its own index prefix, so tests never see each other's matches.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch, __versionstr__
from es_standin import StandinServer

from leaktrack.credentials import Secrets
from leaktrack.index import settings
from leaktrack.index.elastic import ElasticsearchStore, IndexNames, client_options

REAL_ES_URL_ENV = "LEAKTRACK_TEST_ES_URL"

# The version the stand-in reports per major (it models each major's media-type rules, not one release).
STANDIN_VERSIONS = {8: "8.19.0", 9: "9.1.5"}
CLIENT_MAJOR = int(__versionstr__.split(".")[0])

_shared: dict[str, StandinServer] = {}
_real_prefixes: list[str] = []


def unique_prefix() -> str:
    return f"lt-test-{uuid.uuid4().hex[:12]}"


def shared_standin() -> StandinServer:
    """The session's stand-in server, started on first use and stopped at exit."""
    if "server" not in _shared:
        _shared["server"] = StandinServer(version=STANDIN_VERSIONS[CLIENT_MAJOR]).start()
        atexit.register(_shared["server"].stop)
    return _shared["server"]


def standin_store(tmp_path: Path) -> ElasticsearchStore:
    return ElasticsearchStore(shared_standin().url, index_prefix=unique_prefix(), refresh=True)


def real_store(tmp_path: Path) -> ElasticsearchStore:
    url = os.environ.get(REAL_ES_URL_ENV)
    if not url:
        pytest.skip(f"{REAL_ES_URL_ENV} is not set: no real Elasticsearch cluster to test against")
    if not _real_prefixes:
        atexit.register(_delete_real_indices, url)
    _real_prefixes.append(unique_prefix())
    return ElasticsearchStore(url, index_prefix=_real_prefixes[-1], refresh=True, secrets=real_secrets())


def real_secrets() -> Secrets:
    """The real cluster's credentials, from the environment as the CLI reads them (the store
    itself reads none: ``credentials.py``)."""
    names = (settings.ES_API_KEY_ENV, settings.ES_USER_ENV, settings.ES_PASSWORD_ENV)
    return Secrets({name: os.environ.get(name, "") for name in names})


def _delete_real_indices(url: str) -> None:
    # By name, not by wildcard: Elasticsearch 8+ refuses wildcard deletes (destructive_requires_name).
    client = Elasticsearch(**client_options(url, real_secrets()))
    try:
        for prefix in _real_prefixes:
            for index in client.indices.get(index=f"{prefix}-*"):
                client.indices.delete(index=index)
            names = IndexNames(prefix)
            for template in (names.matches_template, names.sweeps_template):
                client.options(ignore_status=404).indices.delete_index_template(name=template)
    finally:
        client.close()


ES_STORE_BACKENDS = [("es-standin", standin_store), ("es-real", real_store)]
