"""The sources-file keys of the API kinds (``github``, ``gitlab``, ``paste_api``, ``search``),
their defaults and checks, and the rule that no value of the dataset goes to a search API.

Example (see docs/sources-apis.md for every key)::

    contact = "mailto:leak-response@agency.example"

    [[sources]]
    name = "github"
    kind = "github"                    # code search and the public gists feed (GitHub REST API)
    token_env = "GITHUB_TOKEN"         # the environment variable holding the token (never the token)
    filenames = ["asylum_cases_2026.csv"]            # -> filename:asylum_cases_2026.csv
    header_rows = ["case_no;surname;given_names;status;facility"]  # -> "exact phrase"
    queries = ["\\"Case Status Export v2\\""]          # distinctive non-personal strings, search syntax
    gists = true                       # also read the public gists feed (newest first, since a cursor)

    [[sources]]
    name = "gitlab-snippets"
    kind = "gitlab"                    # public snippets (GitLab REST API v4)
    token_env = "GITLAB_TOKEN"         # optional

    [[sources]]
    name = "pastebin"
    kind = "paste_api"
    profile = "pastebin"               # Pastebin's scraping API (PRO accounts, whitelisted IP)

    [[sources]]
    name = "dpaste-uploaders"
    kind = "paste_api"
    profile = "dpaste"                 # dpaste.com's API: the public items of given accounts
    users = ["1234"]                   # dpaste.com account ids seen re-uploading the leak

    [[sources]]
    name = "web-search"
    kind = "search"
    profile = "brave"                  # Brave Search API (X-Subscription-Token)
    token_env = "BRAVE_SEARCH_KEY"
    queries = ["\\"Case Status Export v2\\" filetype:csv"]

    [[sources]]
    name = "google"
    kind = "search"
    profile = "google"                 # Google Programmable Search (Custom Search JSON API)
    engine_id = "0123456789abcdef0"    # the search engine's ID (cx)
    token_env = "GOOGLE_CSE_KEY"
    queries = ["\\"Case Status Export v2\\" filetype:csv"]

Every query text (``queries``, ``filenames``, ``header_rows``) is sent to a third party. It must
never hold a value of the dataset: ``refuse_dataset_values_in_queries`` checks every one against
the fingerprints when a sweep starts and refuses the sweep with one line naming the source and
the key (never the value). Imports no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from ..errors import SourcesError
from .source_values import flag, optional_positive_int

if TYPE_CHECKING:
    from ..fingerprints import FingerprintSet
    from .sources import Source

API_KINDS = ("github", "gitlab", "paste_api", "search")
# Where each kind's API is unless the source says ``api_url`` (tests point it at 127.0.0.1).
DEFAULT_API_URLS = {
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com/api/v4",
    "paste_api:pastebin": "https://scrape.pastebin.com",
    "paste_api:dpaste": "https://dpaste.com",
    "search:brave": "https://api.search.brave.com/res/v1",
    "search:google": "https://www.googleapis.com/customsearch/v1",
}
# Where GitHub serves a file's bytes without the API (what a recheck fetches again).
DEFAULT_GITHUB_RAW_URL = "https://raw.githubusercontent.com"
PROFILES = {"paste_api": ("pastebin", "dpaste"), "search": ("brave", "google")}
# The keys whose texts are sent to a search API: checked against the fingerprints.
QUERY_KEYS = ("queries", "filenames", "header_rows", "users")
# The same for the archive and channel kinds: what they send the Internet Archive, Common Crawl
# and Telegram (spiders/wayback.py, commoncrawl.py, telegram.py).
ARCHIVE_QUERY_KEYS = {
    "wayback": ("urls", "url_prefixes"),
    "commoncrawl": ("urls", "url_prefixes"),
    "telegram": ("channels",),
}
# (api_url, download_delay and concurrent_requests are keys of every kind: sources.py)
API_KEYS = {
    "token_env",
    "profile",
    "queries",
    "filenames",
    "header_rows",
    "gists",
    "raw_base_url",
    "max_pages",
    "engine_id",
    "users",
}
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_api_keys(raw: dict, kind: str, where: str) -> dict:
    """The API keys of one source as Source fields; SourcesError for a key of the wrong kind."""
    present = sorted(key for key in API_KEYS if key in raw)
    if kind not in API_KINDS:
        if present:
            raise SourcesError(f"{where}: {present[0]} is for the API kinds ({', '.join(API_KINDS)}) only")
        return {}
    return {
        "token_env": _env_name(raw, where),
        "profile": _profile(raw, kind, where),
        "queries": _texts(raw, "queries", where),
        "filenames": _texts(raw, "filenames", where),
        "header_rows": _texts(raw, "header_rows", where),
        "gists": flag(raw, "gists", where, default=False),
        "raw_base_url": _http_url(raw, "raw_base_url", where),
        "max_pages": optional_positive_int(raw, "max_pages", where),
        "engine_id": _engine_id(raw, where),
        "users": _user_ids(raw, where),
    }


def check_api_source(source: Source, where: str) -> None:
    """What each API kind needs besides its keys' types."""
    if source.kind == "github" and not (
        source.queries or source.filenames or source.header_rows or source.gists
    ):
        raise SourcesError(f"{where}: a github source needs queries, filenames, header_rows or gists = true")
    if source.kind == "search" and not source.queries:
        raise SourcesError(f"{where}: a search source needs queries")
    if source.kind == "search" and not source.token_env:
        raise SourcesError(f"{where}: a search source needs token_env (its API key's environment variable)")
    if source.kind == "search" and source.profile == "google" and not source.engine_id:
        raise SourcesError(
            f"{where}: a google search source needs engine_id (the Programmable Search Engine's ID, cx)"
        )
    if source.engine_id and not (source.kind == "search" and source.profile == "google"):
        raise SourcesError(f'{where}: engine_id is for search sources with profile = "google"')
    if source.kind != "github" and (source.filenames or source.header_rows or source.gists):
        raise SourcesError(f"{where}: filenames, header_rows and gists are for github sources")
    if source.kind == "paste_api" and source.profile == "pastebin" and source.token_env:
        raise SourcesError(
            f"{where}: Pastebin's scraping API takes no key (access is by the PRO account's"
            " whitelisted IP address); remove token_env"
        )
    dpaste = source.kind == "paste_api" and source.profile == "dpaste"
    if dpaste and not source.users:
        raise SourcesError(
            f"{where}: a dpaste source needs users (the dpaste.com account ids whose items to read)"
        )
    if source.users and not dpaste:
        raise SourcesError(f'{where}: users is for paste_api sources with profile = "dpaste"')
    if source.kind in ("gitlab", "paste_api") and source.queries:
        raise SourcesError(f"{where}: a {source.kind} source reads a listing, it takes no queries")


def api_url(source: Source) -> str:
    """The source's API base URL (its ``api_url``, else the kind's or profile's default), no
    trailing slash."""
    if source.api_url:
        return source.api_url.rstrip("/")
    key = f"{source.kind}:{source.profile}" if source.profile else source.kind
    return DEFAULT_API_URLS[key]


def query_texts(source: Source) -> Iterable[tuple[str, str]]:
    """(key, text) of every text this source sends to a search API or an archive's index."""
    for key in QUERY_KEYS + ARCHIVE_QUERY_KEYS.get(source.kind, ()):
        for text in getattr(source, key):
            yield key, text


def refuse_dataset_values_in_queries(sources: Iterable[Source], fingerprints: FingerprintSet) -> None:
    """SourcesError when a query text of a source holds a value of the dataset (a name, an id,
    a date of birth), in any of the forms a short text can hide one (``stored_text``). The
    message names the source, the key and the entry's position, never the value."""
    from ..fingerprints.stored_text import holds_dataset_values_in_stored_text

    for source in sources:
        seen: dict[str, int] = {}
        for key, text in query_texts(source):
            seen[key] = seen.get(key, 0) + 1
            if holds_dataset_values_in_stored_text(text, fingerprints):
                raise SourcesError(
                    f"source {source.name!r}: {key} entry #{seen[key]} holds a value of the dataset;"
                    " no personal data is ever sent to a search API (search for file names,"
                    " header rows and distinctive non-personal strings instead)"
                )


def has_query_texts(sources: Iterable[Source]) -> bool:
    return any(True for source in sources for _ in query_texts(source))


def check_tokens(sources: Iterable[Source], secrets: Mapping[str, str]) -> None:
    """SourcesError when a source's ``token_env`` was not given a value (before any request)."""
    for source in sources:
        if source.kind in API_KINDS and source.token_env and not secrets.get(source.token_env):
            raise SourcesError(
                f"source {source.name!r}: the environment variable {source.token_env} (its token_env) is not set"
            )


def _http_url(raw: dict, key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SourcesError(f"{where}: {key} must be an http(s) URL")
    return value


# Programmable Search Engine IDs (cx): letters, digits and a few separators.
_ENGINE_ID_RE = re.compile(r"[A-Za-z0-9:_-]{1,128}")


def _user_ids(raw: dict, where: str) -> list[str]:
    value = raw.get("users", [])
    if not isinstance(value, list) or not all(isinstance(item, (str, int)) for item in value):
        raise SourcesError(f"{where}: users must be a list of account ids")
    users = [str(item).strip() for item in value]
    if not all(user.isdigit() for user in users):
        raise SourcesError(f"{where}: users must be dpaste.com account ids (numbers, like 1234)")
    return users


def _engine_id(raw: dict, where: str) -> str | None:
    value = raw.get("engine_id")
    if value is None:
        return None
    if not isinstance(value, str) or not _ENGINE_ID_RE.fullmatch(value):
        raise SourcesError(
            f"{where}: engine_id must be a Programmable Search Engine ID (cx), like 0123456789abcdef0"
        )
    return value


def _env_name(raw: dict, where: str) -> str | None:
    value = raw.get("token_env")
    if value is None:
        return None
    if not isinstance(value, str) or not _ENV_NAME_RE.fullmatch(value):
        # A value that is not a variable name is most likely the token itself, pasted here.
        raise SourcesError(
            f"{where}: token_env names the environment variable that holds the token"
            " (like GITHUB_TOKEN), never the token itself"
        )
    return value


def _profile(raw: dict, kind: str, where: str) -> str | None:
    known = PROFILES.get(kind)
    value = raw.get("profile")
    if known is None:
        if value is not None:
            raise SourcesError(f"{where}: profile is for paste_api and search sources")
        return None
    if value is None:
        return known[0]
    if value not in known:
        raise SourcesError(f"{where}: profile must be one of {', '.join(known)}, not {value!r}")
    return value


def _texts(raw: dict, key: str, where: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise SourcesError(f"{where}: {key} must be a list of non-empty strings")
    return [item.strip() for item in value]
