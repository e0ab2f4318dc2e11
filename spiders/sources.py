"""The sources file (TOML): where a sweep looks. Parsed into ``SourcesConfig`` / ``Source``.

Minimal example::

    allow_private_networks = false
    contact = "mailto:leak-response@agency.example"

    [[sources]]
    name = "pastes"
    kind = "paste"                   # listing pages that link to pastes
    start_urls = ["https://paste.example/archive"]
    item_links = "/p/[A-Za-z0-9]+$"  # regex over absolute URLs of links on listing pages
    next_page = "page=\\\\d+"          # optional: pagination links to follow
    raw_url = "https://paste.example/raw/{id}"  # optional: {id} = item link's last path segment

    [[sources]]
    name = "mirror"
    kind = "mirror"                  # pages and 'Index of /' listings; downloads data files
    start_urls = ["https://mirror.example/"]
    max_depth = 3

    [[sources]]
    name = "known-copies"
    kind = "urls"                    # fetch exactly these
    urls = ["https://files.example/leak.csv"]

    [[sources]]
    name = "new-posts"
    kind = "feed"                    # RSS/Atom feeds; each entry's link is fetched like a paste
    start_urls = ["https://paste.example/feed.xml"]
    raw_url = "https://paste.example/raw/{id}"  # optional, as for paste; item_links optional filter

    [[sources]]
    name = "archived-copies"
    kind = "wayback"                 # the Internet Archive's captures (CDX API), fetched as archived
    urls = ["https://agency.example/files/cases.csv"]       # captures of exactly these
    url_prefixes = ["https://mirror.example/leak/"]         # and of everything under these
    since = 2026-11-01               # optional: captures from this day on
    download_delay = 2.0             # optional, any kind: seconds between requests to the site

    [[sources]]
    name = "common-crawl"
    kind = "commoncrawl"             # Common Crawl's index API; records read from its WARC files
    urls = ["https://agency.example/files/cases.csv"]
    url_prefixes = ["https://mirror.example/leak/"]
    collections = ["CC-MAIN-2026-47"]  # optional: the newest crawl when not given

    [[sources]]
    name = "channels"
    kind = "telegram"                # public channels' web previews (t.me/s/NAME), newest first
    channels = ["leakdrops"]
    since = 2026-11-01               # optional: pages back to this day on the first sweep

    [[sources]]
    name = "github"
    kind = "github"                  # API kinds: github, gitlab, paste_api, search (api_sources.py)
    token_env = "GITHUB_TOKEN"       # names the environment variable; the token is never written here
    filenames = ["asylum_cases_2026.csv"]
    header_rows = ["case_no;surname;given_names;status;facility"]
    gists = true

The archive and channel kinds send the API only what this file names (URLs, prefixes,
channel names), never a value of the dataset; ``api_url`` / ``data_url`` point a kind at
another server (a local stand-in, a pywb or Wayback mirror).

No value of the dataset is ever sent to a search API: query texts are checked against the
fingerprints when a sweep starts (``api_sources.refuse_dataset_values_in_queries``).

Every mistake is a one-line ``SourcesError`` naming the source and the key.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import TypeGuard
from urllib.parse import urlparse

from ..errors import SourcesError
from .api_sources import API_KEYS, API_KINDS, check_api_source, parse_api_keys
from .source_values import flag, optional_positive_int

KINDS = ("paste", "mirror", "urls", "feed", "wayback", "commoncrawl", "telegram", *API_KINDS)
TOP_LEVEL_KEYS = {"allow_private_networks", "contact", "sources"}
SOURCE_KEYS = {
    "name",
    "kind",
    "start_urls",
    "item_links",
    "next_page",
    "raw_url",
    "max_depth",
    "urls",
    "obey_robots_txt",
    "url_prefixes",
    "since",
    "api_url",
    "data_url",
    "collections",
    "channels",
    "download_delay",
    "concurrent_requests",
    *API_KEYS,
}
# Kinds that query an archive's index for captures of given URLs and URL prefixes.
ARCHIVE_KINDS = ("wayback", "commoncrawl")
# Common Crawl's crawl (collection) names, e.g. CC-MAIN-2026-47.
COLLECTION_RE = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")
# Telegram public usernames: 5 to 32 letters, digits and underscores, starting with a letter.
CHANNEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")


@dataclass
class Source:
    """One place to look, and how to take documents from it."""

    name: str
    kind: str  # one of KINDS
    start_urls: list[str] = field(default_factory=list)
    item_links: str | None = None  # paste: regex of links to pastes on listing pages
    next_page: str | None = None  # paste: regex of pagination links
    raw_url: str | None = None  # paste: template with {id} for the raw text
    max_depth: int | None = None  # mirror: link depth (default in settings)
    urls: list[str] = field(default_factory=list)  # urls: fetch exactly these; archives: their captures
    obey_robots_txt: bool = True
    url_prefixes: list[str] = field(default_factory=list)  # archives: captures of URLs under these
    since: str | None = None  # archives, telegram: ISO date of the oldest capture or message taken
    api_url: str | None = (
        None  # archives, telegram, API kinds: the API's base URL (default: the real service)
    )
    data_url: str | None = None  # commoncrawl: where the WARC files are served
    collections: list[str] = field(default_factory=list)  # commoncrawl: crawls to query
    channels: list[str] = field(default_factory=list)  # telegram: public channel usernames
    download_delay: float | None = None  # any kind: seconds between requests (default in settings)
    concurrent_requests: int | None = None  # any kind: requests at a time (default in settings)
    # API kinds (github, gitlab, paste_api, search): keys and checks in api_sources.py
    token_env: str | None = None  # environment variable holding the token/key (resolved by the CLI)
    profile: str | None = None  # paste_api: "pastebin" or "dpaste"; search: "brave" or "google"
    queries: list[str] = field(default_factory=list)  # github, search: query texts (never personal data)
    filenames: list[str] = field(default_factory=list)  # github: file names to search for
    header_rows: list[str] = field(default_factory=list)  # github: header rows, searched as phrases
    gists: bool = False  # github: also read the public gists feed
    raw_base_url: str | None = None  # github: where file bytes are served (raw.githubusercontent.com)
    max_pages: int | None = None  # API listings and searches: pages read per query (default in settings)
    engine_id: str | None = None  # search, profile google: the Programmable Search Engine's ID (cx)
    users: list[str] = field(default_factory=list)  # paste_api, profile dpaste: account ids to watch

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Source:
        """A source from ``to_dict`` (our own JSON, e.g. a CrawlJob's); one given by a person goes
        through ``parse_source_dict``."""
        return cls(**data)


def _field_defaults() -> dict[str, object]:
    """Each optional field's default (name and kind have none)."""
    defaults: dict[str, object] = {}
    for spec in fields(Source):
        if spec.default is not MISSING:
            defaults[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            defaults[spec.name] = spec.default_factory()
    return defaults


_FIELD_DEFAULTS = _field_defaults()


# How a source given whole to a spider is named in its errors.
GIVEN_SOURCE_JSON = "-a source=<JSON>"
GIVEN_SOURCE_DICT = "the spider's source"


def is_source_json(argument: object) -> TypeGuard[str]:
    """Whether a spider's ``source`` argument is a source given whole, as JSON (``-a source=<JSON>``,
    as ``sweep --scrapyd`` schedules it), not a name in the sources file. A JSON list counts as
    JSON, to be refused as such (``parse_source_json``) rather than looked up as a name."""
    return isinstance(argument, str) and argument.lstrip()[:1] in ("{", "[")


def parse_source_json(text: str, origin: str = GIVEN_SOURCE_JSON) -> Source:
    """A source given whole as JSON (``-a source=<JSON>``, written by hand or by ``sweep
    --scrapyd``), checked as the sources file's sources are; ``origin`` names it in errors."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SourcesError(f"{origin} is not valid JSON ({error})") from None
    return parse_source_dict(data, origin)


def parse_source_dict(data: object, origin: str) -> Source:
    """A source given whole (a dict, as ``Source.to_dict`` writes it or by hand), checked as the
    sources file's sources are (``_parse_source``): every mistake a one-line SourcesError."""
    if not isinstance(data, dict):
        raise SourcesError(f"{origin} must be one source, a JSON object, not {type(data).__name__}")
    # ``to_dict`` writes every field: one at its default says what leaving it out says (and the
    # file refuses an API key on another kind, even at its default).
    given = {key: value for key, value in data.items() if not _is_field_default(key, value)}
    return _parse_source(given, 1, origin)


def _is_field_default(key: str, value: object) -> bool:
    default = _FIELD_DEFAULTS.get(key, MISSING)
    return default is not MISSING and type(value) is type(default) and value == default


@dataclass
class SourcesConfig:
    sources: list[Source]
    allow_private_networks: bool = False
    contact: str | None = None

    def select(self, names: list[str] | None) -> list[Source]:
        """The sources named (all when ``names`` is empty); SourcesError for an unknown name."""
        if not names:
            return list(self.sources)
        known = {source.name: source for source in self.sources}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise SourcesError(f"unknown source {unknown[0]!r}; the sources file has: {', '.join(known)}")
        return [known[name] for name in names]


def load_sources(path: str | Path) -> SourcesConfig:
    """Read and validate a sources file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(f"sources file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourcesError(f"cannot read sources file {path}: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SourcesError(f"{path} is not valid TOML: {error}") from None
    return parse_sources(data, origin=str(path))


def parse_sources(data: dict, origin: str = "sources") -> SourcesConfig:
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        raise SourcesError(
            f"{origin}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(TOP_LEVEL_KEYS))})"
        )
    allow_private = flag(data, "allow_private_networks", origin, default=False)
    contact = _optional_str(data, "contact", origin)
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError(f"{origin}: no [[sources]] defined")
    sources = [_parse_source(raw, index, origin) for index, raw in enumerate(raw_sources, 1)]
    _check_unique_names(sources, origin)
    return SourcesConfig(sources=sources, allow_private_networks=allow_private, contact=contact)


def source_name_of(raw: dict) -> str | None:
    """A source's name as given (a non-blank string), else None."""
    name = raw.get("name")
    return name if isinstance(name, str) and name.strip() else None


def _parse_source(raw: object, index: int, origin: str) -> Source:
    if not isinstance(raw, dict):
        raise SourcesError(f"{origin}: source #{index} is not a table")
    name = source_name_of(raw)
    if name is None:
        raise SourcesError(f"{origin}: source #{index} needs a name")
    where = f"{origin}: source {name!r}"
    unknown = set(raw) - SOURCE_KEYS
    if unknown:
        raise SourcesError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SourcesError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    source = Source(
        name=name,
        kind=kind,
        start_urls=_url_list(raw, "start_urls", where),
        item_links=_regex(raw, "item_links", where),
        next_page=_regex(raw, "next_page", where),
        raw_url=_optional_str(raw, "raw_url", where),
        max_depth=optional_positive_int(raw, "max_depth", where),
        urls=_url_list(raw, "urls", where),
        obey_robots_txt=flag(raw, "obey_robots_txt", where, default=True),
        url_prefixes=_url_list(raw, "url_prefixes", where),
        since=_optional_date(raw, "since", where),
        api_url=_optional_base_url(raw, "api_url", where),
        data_url=_optional_base_url(raw, "data_url", where),
        collections=_name_list(raw, "collections", where, COLLECTION_RE, "a crawl name like CC-MAIN-2026-47"),
        channels=_name_list(raw, "channels", where, CHANNEL_RE, "a public channel username"),
        download_delay=_optional_seconds(raw, "download_delay", where),
        concurrent_requests=optional_positive_int(raw, "concurrent_requests", where),
        **parse_api_keys(raw, kind, where),
    )
    _check_kind_requirements(source, where)
    return source


def _check_kind_requirements(source: Source, where: str) -> None:
    if source.kind in ("paste", "mirror", "feed") and not source.start_urls:
        raise SourcesError(f"{where}: a {source.kind} source needs start_urls")
    if source.kind == "paste" and not source.item_links:
        raise SourcesError(f"{where}: a paste source needs item_links (regex of links to pastes)")
    if source.kind == "urls" and not source.urls:
        raise SourcesError(f"{where}: a urls source needs urls")
    if source.kind in ARCHIVE_KINDS and not (source.urls or source.url_prefixes):
        raise SourcesError(f"{where}: a {source.kind} source needs urls or url_prefixes")
    if source.kind == "telegram" and not source.channels:
        raise SourcesError(f"{where}: a telegram source needs channels")
    if source.raw_url is not None:
        _check_raw_url(source.raw_url, where)
    if source.kind in API_KINDS:
        check_api_source(source, where)


def _check_raw_url(template: str, where: str) -> None:
    """raw_url is a template with {id} and no other placeholder (checked now, not mid-sweep)."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:  # a lone { or }
        raise SourcesError(f"{where}: raw_url {template!r} is not a valid template ({error})") from None
    unknown = sorted(fields - {"id"})
    if unknown:
        raise SourcesError(
            f"{where}: raw_url has unknown placeholder {{{unknown[0]}}}; the only one is {{id}}"
            " (write a literal brace as {{ or }})"
        )
    if "id" not in fields:
        raise SourcesError(f"{where}: raw_url must contain {{id}}")


def _check_unique_names(sources: list[Source], origin: str) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise SourcesError(f"{origin}: two sources are named {source.name!r}")
        seen.add(source.name)


def _url_list(raw: dict, key: str, where: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SourcesError(f"{where}: {key} must be a list of URLs")
    for url in value:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SourcesError(f"{where}: {key} has {url!r}, not an http(s) URL")
    return list(value)


def _optional_base_url(raw: dict, key: str, where: str) -> str | None:
    value = _optional_str(raw, key, where)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SourcesError(f"{where}: {key} has {value!r}, not an http(s) URL")
    return value.rstrip("/")


def _optional_date(raw: dict, key: str, where: str) -> str | None:
    """A TOML date (``since = 2026-11-01``) or the same as a string; kept as ISO text."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise SourcesError(f"{where}: {key} must be a date like 2026-11-01, not {value!r}") from None
    if not isinstance(value, date):
        raise SourcesError(f"{where}: {key} must be a date like 2026-11-01")
    return value.isoformat()


def _name_list(raw: dict, key: str, where: str, pattern: re.Pattern, what: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SourcesError(f"{where}: {key} must be a list of names")
    for name in value:
        if not pattern.match(name):
            raise SourcesError(f"{where}: {key} has {name!r}, not {what}")
    return list(value)


def _optional_seconds(raw: dict, key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SourcesError(f"{where}: {key} must be a number of seconds (0 or more)")
    return float(value)


def _regex(raw: dict, key: str, where: str) -> str | None:
    pattern = _optional_str(raw, key, where)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            raise SourcesError(f"{where}: {key} is not a valid regex ({error})") from None
    return pattern


def _optional_str(raw: dict, key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise SourcesError(f"{where}: {key} must be a string")
    return value
