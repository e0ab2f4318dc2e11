"""Open the match store named by a URL: the backend is chosen by the URL's scheme.

``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``: one SQLite file (default).
``http://host:9200`` or ``https://...``: Elasticsearch, for millions of matches. Its query
says what is not secret: ``?index_prefix=NAME`` (default ``leaktrack``), ``?ca_certs=/path.pem``
(a private CA) and ``?case=NAME`` (the case's own indices, see ``home.py``); the CLI adds the
first two from the Workspace (``es.index_prefix``, ``es.ca_certs``), so a crawl child opening
the same URL opens the same indices. Credentials never ride in it: ``secrets``
(see ``credentials.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import StoreError
from ..home import Workspace, case_of_store_url
from . import settings

if TYPE_CHECKING:  # annotations only: resolving a store URL loads no store (start-up)
    from .base import MatchStore

SQLITE_PREFIX = "sqlite:///"
ELASTICSEARCH_SCHEMES = ("http://", "https://")


def open_workspace_store(
    workspace: Workspace, must_exist: bool = False, case: str | None = None
) -> MatchStore:
    """The workspace's store, with the workspace's credentials (see ``open_store``)."""
    return open_store(workspace.store_url, must_exist, case, secrets=workspace.secrets)


def open_store(
    url: str, must_exist: bool = False, case: str | None = None, secrets: Mapping[str, str] | None = None
) -> MatchStore:
    """The store at ``url`` (the CLI resolves it: ``Workspace.store_url``); ``case`` overrides
    the case the URL names (``?case=NAME``; "" for the home's own); ``secrets``: the
    Elasticsearch credentials (``settings.ES_*_ENV`` names), if any.

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
        return _open_elasticsearch(url, case, secrets)
    raise StoreError(
        f"unknown store URL {_without_password(url)!r}: use sqlite:///path/to/matches.db or http(s)://elasticsearch-host:9200"
    )


def refuse_refingerprinting(
    fingerprints: Path, store_url: str, secrets: Mapping[str, str] | None = None
) -> None:
    """DatasetMismatchError if the store tied to ``fingerprints`` already holds matches.

    ``fingerprint`` calls this before it replaces a home's fingerprint file: a store keeps the
    matches of one dataset. No store yet (no SQLite file) holds nothing.
    """
    url = store_url.strip()
    if url.startswith(SQLITE_PREFIX) and not os.path.isfile(url[len(SQLITE_PREFIX) :]):
        return
    with open_store(url, secrets=secrets) as store:
        store.refuse_new_dataset(str(fingerprints))


def _without_password(url: str) -> str:
    # A mistyped scheme ("htps://user:pw@host") must not print the password into a terminal or a log.
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:***@", url)


def _open_elasticsearch(url: str, case: str | None, secrets: Mapping[str, str] | None) -> MatchStore:
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
    url, options = store_url_options(url)
    prefix = options.get(INDEX_PREFIX_PARAMETER) or settings.ES_DEFAULT_INDEX_PREFIX
    # Cases share a cluster, each under its own index prefix: their matches never mix.
    if case:
        prefix = f"{prefix}-case-{case}"
    return ElasticsearchStore(
        url, index_prefix=prefix, secrets=secrets, ca_certs=options.get(CA_CERTS_PARAMETER) or None
    )


INDEX_PREFIX_PARAMETER = "index_prefix"
CA_CERTS_PARAMETER = "ca_certs"


def store_url_options(url: str) -> tuple[str, dict[str, str]]:
    """The URL without our query parameters, and those parameters (index_prefix, ca_certs)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed URL: the store that opens it says what is wrong
        return url, {}
    pairs = parse_qsl(parts.query)
    ours = (INDEX_PREFIX_PARAMETER, CA_CERTS_PARAMETER)
    options = {key: value for key, value in pairs if key in ours}
    rest = [(key, value) for key, value in pairs if key not in ours]
    return urlunsplit(parts._replace(query=urlencode(rest))), options


def with_store_url_options(url: str, **options: str | None) -> str:
    """``url`` (an Elasticsearch one) with these query parameters set; SQLite URLs as they are."""
    given = {key: value for key, value in options.items() if value}
    if not url.strip().startswith(ELASTICSEARCH_SCHEMES) or not given:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = [(key, value) for key, value in parse_qsl(parts.query) if key not in given]
    return urlunsplit(parts._replace(query=urlencode([*query, *given.items()])))
