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

Every mistake is a one-line ``SourcesError`` naming the source and the key.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ..errors import SourcesError

KINDS = ("paste", "mirror", "urls", "feed")
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
}


@dataclass
class Source:
    """One place to look, and how to take documents from it."""

    name: str
    kind: str  # "paste", "mirror", "urls" or "feed"
    start_urls: list[str] = field(default_factory=list)
    item_links: str | None = None  # paste: regex of links to pastes on listing pages
    next_page: str | None = None  # paste: regex of pagination links
    raw_url: str | None = None  # paste: template with {id} for the raw text
    max_depth: int | None = None  # mirror: link depth (default in settings)
    urls: list[str] = field(default_factory=list)  # urls: fetch exactly these
    obey_robots_txt: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Source:
        return cls(**data)


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
    allow_private = _bool(data, "allow_private_networks", origin, default=False)
    contact = _optional_str(data, "contact", origin)
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError(f"{origin}: no [[sources]] defined")
    sources = [_parse_source(raw, index, origin) for index, raw in enumerate(raw_sources, 1)]
    _check_unique_names(sources, origin)
    return SourcesConfig(sources=sources, allow_private_networks=allow_private, contact=contact)


def _parse_source(raw: object, index: int, origin: str) -> Source:
    if not isinstance(raw, dict):
        raise SourcesError(f"{origin}: source #{index} is not a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
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
        max_depth=_optional_positive_int(raw, "max_depth", where),
        urls=_url_list(raw, "urls", where),
        obey_robots_txt=_bool(raw, "obey_robots_txt", where, default=True),
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
    if source.raw_url is not None:
        _check_raw_url(source.raw_url, where)


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


def _optional_positive_int(raw: dict, key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourcesError(f"{where}: {key} must be a positive integer")
    return value


def _bool(raw: dict, key: str, where: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise SourcesError(f"{where}: {key} must be true or false")
    return value
