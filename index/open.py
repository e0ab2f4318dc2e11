"""Open the match store named by a URL: the backend is chosen by the URL's scheme.

``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``: one SQLite file (default).
``http://host:9200`` or ``https://...``: Elasticsearch, for millions of matches
(``?case=NAME``: the case's own indices, see ``home.py``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import StoreError
from ..home import case_of_store_url
from . import settings
from .base import MatchStore

SQLITE_PREFIX = "sqlite:///"
ELASTICSEARCH_SCHEMES = ("http://", "https://")


def open_store(url: str, must_exist: bool = False, case: str | None = None) -> MatchStore:
    """The store at ``url`` (the CLI resolves it: ``Workspace.store_url``); ``case`` overrides
    the case the URL names (``?case=NAME``; "" for the home's own).

    ``must_exist``: refuse to create an SQLite store (review commands: a mistyped path must
    not show an empty queue as if nothing had been found).
    """
    url = url.strip()
    if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX):
        from .sqlite import SQLiteStore

        path = Path(url[len(SQLITE_PREFIX) :])
        if must_exist and not os.path.exists(path):  # (False, not an error, for an unusable path)
            raise StoreError(
                f"no match store at {path}: run `leaktrack sweep` first, or check --store / LEAKTRACK_STORE"
            )
        return SQLiteStore(path)
    if url.startswith(ELASTICSEARCH_SCHEMES):
        return _open_elasticsearch(url, case)
    raise StoreError(
        f"unknown store URL {_without_password(url)!r}: use sqlite:///path/to/matches.db or http(s)://elasticsearch-host:9200"
    )


def refuse_refingerprinting(fingerprints: Path, store_url: str) -> None:
    """DatasetMismatchError if the store tied to ``fingerprints`` already holds matches.

    ``fingerprint`` calls this before it replaces a home's fingerprint file: a store keeps the
    matches of one dataset. No store yet (no SQLite file) holds nothing.
    """
    url = store_url.strip()
    if url.startswith(SQLITE_PREFIX) and not os.path.isfile(url[len(SQLITE_PREFIX) :]):
        return
    with open_store(url) as store:
        store.refuse_new_dataset(str(fingerprints))


def _without_password(url: str) -> str:
    # A mistyped scheme ("htps://user:pw@host") must not print the password into a terminal or a log.
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:***@", url)


def _open_elasticsearch(url: str, case: str | None) -> MatchStore:
    # Imported here so the elasticsearch client loads only for those who use it.
    try:
        from .elastic import ElasticsearchStore
    except ImportError as error:
        if (error.name or "").split(".")[0] not in ("elasticsearch", "elastic_transport"):
            raise  # a bug of ours, not a missing client
        raise StoreError(
            "the Elasticsearch store needs the client of your cluster's major version: "
            "pip install 'leaktrack[es8]' or 'leaktrack[es9]'"
        ) from None
    url, url_case = case_of_store_url(url)
    case = url_case if case is None else case
    if not case:
        return ElasticsearchStore(url)
    # Cases share a cluster, each under its own index prefix: their matches never mix.
    # (The prefix's environment variable is read here as in elastic.py; see tests/test_cli_config.)
    prefix = os.environ.get(settings.ES_INDEX_PREFIX_ENV) or settings.ES_DEFAULT_INDEX_PREFIX
    return ElasticsearchStore(url, index_prefix=f"{prefix}-case-{case}")
