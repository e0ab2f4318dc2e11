"""A STAND-IN for the Elasticsearch REST API, for tests only. It is not Elasticsearch.

No Elasticsearch server can run where leaktrack's CI runs, so the Elasticsearch backend is
tested against this small HTTP server (stdlib ``ThreadingHTTPServer`` on 127.0.0.1, random
port), and against a real cluster whenever ``LEAKTRACK_TEST_ES_URL`` is set. It implements
only the endpoints ``leaktrack.index.elastic`` calls, keeps everything in memory, and answers
with ES 8/9-shaped responses (``X-Elastic-Product: Elasticsearch`` header, compatible-with
media types), so the official ``elasticsearch`` client talks to it unchanged.

What it CHECKS, rejecting as Elasticsearch does (status code and error ``type`` of the
documented API; messages are close to, not byte-equal with, the real ones):
- the server's major version (``StandinServer(version="8.19.0")`` or ``"9.1.5"``, the default):
  ``GET /`` reports it, and media types asking for a ``compatible-with`` the server cannot
  serve are refused with 400 ``media_type_header_exception`` as a real server refuses them: an
  8.x server takes 7 and 8 (so a 9.x client's requests fail there), a 9.x server 8 and 9;
  Accept and Content-Type asking for different versions are refused too; an unsupported
  Content-Type is 406;
- index names (lower case, no forbidden characters), missing index or alias -> 404
  ``index_not_found_exception``, creating an existing index -> 400;
- composable index template bodies (``index_patterns`` required; only the documented top-level
  keys, so legacy-style top-level ``mappings`` is rejected) and mappings: unknown field types,
  unknown parameters of the types below, typed (``_doc``) mappings, unknown index settings;
- documents against ``dynamic: strict`` mappings and field types (numbers, dates, booleans);
- the bulk NDJSON body: trailing newline, action/metadata line shape, unknown actions or
  metadata parameters, a missing source line, ``if_seq_no`` without ``if_primary_term``,
  ``require_alias`` on a non-alias;
- ``PUT <index>/_mapping``: new fields are added; a field whose definition changes -> 400;
- optimistic concurrency: ``if_seq_no``/``if_primary_term`` mismatch and ``create`` of an
  existing id -> 409 ``version_conflict_engine_exception`` (per item inside ``_bulk``);
- writes through an alias with several indices and no write index -> 400;
- searches: unknown query clauses or clause parameters (400 ``parsing_exception``), unknown
  aggregation types, sorting or aggregating on ``text`` fields or on ``_id``, sorting on an
  unmapped field, ``search_after`` whose length differs from the sort (PIT searches get the
  implicit ``_shard_doc`` tiebreaker, as in ES), ``from + size`` over 10,000, a PIT search that
  also names indices, an unknown PIT id.
- near-real-time search: writes become visible to ``_search`` only after a refresh (the
  ``refresh`` parameter, ``_refresh``, or the 1 s refresh interval), as in ES.
- optional authentication (basic or ApiKey) -> 401 ``security_exception``.

What it does NOT do: relevance scoring (hits of ``match`` queries are ordered by the number
of query words they contain), analyzers beyond lower-casing and splitting on non-word
characters, scripts (update scripts are refused), shards/replicas, template priority
overlap checks, field-type checks of types not listed in ``_PARAMS_BY_TYPE``, and any
endpoint not routed in ``_Handler``. Every request is recorded in ``cluster.requests`` so a
test can assert on what the backend sent.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MAX_RESULT_WINDOW = 10_000
REFRESH_INTERVAL_SECONDS = 1.0
DEFAULT_VERSION = "9.1.5"
# What GET / reports beside the version number, per major (as the real servers of that major do).
_VERSION_DETAILS = {
    8: {
        "lucene_version": "9.12.2",
        "minimum_wire_compatibility_version": "7.17.0",
        "minimum_index_compatibility_version": "7.0.0",
    },
    9: {
        "lucene_version": "10.2.2",
        "minimum_wire_compatibility_version": "8.19.0",
        "minimum_index_compatibility_version": "8.0.0",
    },
}

NUMERIC_TYPES = {
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
}
FIELD_TYPES = NUMERIC_TYPES | {
    "text",
    "match_only_text",
    "keyword",
    "constant_keyword",
    "wildcard",
    "date",
    "date_nanos",
    "boolean",
    "binary",
    "object",
    "nested",
    "flattened",
    "ip",
    "geo_point",
    "geo_shape",
    "point",
    "shape",
    "completion",
    "search_as_you_type",
    "token_count",
    "dense_vector",
    "sparse_vector",
    "rank_feature",
    "rank_features",
    "alias",
    "join",
    "percolator",
    "version",
    "histogram",
    "integer_range",
    "float_range",
    "long_range",
    "double_range",
    "date_range",
    "ip_range",
    "semantic_text",
    "aggregate_metric_double",
    "counted_keyword",
    "passthrough",
}
INTEGER_TYPES = {"long", "integer", "short", "byte", "unsigned_long"}
DATE_TYPES = {"date", "date_nanos"}
TEXT_TYPES = {"text", "match_only_text"}
_COMMON_PARAMS = {"type", "fields", "copy_to", "meta", "store", "index", "doc_values"}
_NUMERIC_PARAMS = {
    "coerce",
    "ignore_malformed",
    "null_value",
    "script",
    "on_script_error",
    "time_series_dimension",
    "time_series_metric",
    "scaling_factor",
}
_PARAMS_BY_TYPE: dict[str, set[str]] = {
    "keyword": _COMMON_PARAMS
    | {
        "ignore_above",
        "null_value",
        "normalizer",
        "eager_global_ordinals",
        "split_queries_on_whitespace",
        "similarity",
        "norms",
        "index_options",
        "script",
        "on_script_error",
        "time_series_dimension",
    },
    "text": _COMMON_PARAMS - {"doc_values"}
    | {
        "analyzer",
        "search_analyzer",
        "search_quote_analyzer",
        "fielddata",
        "fielddata_frequency_filter",
        "eager_global_ordinals",
        "index_options",
        "index_phrases",
        "index_prefixes",
        "norms",
        "position_increment_gap",
        "similarity",
        "term_vector",
    },
    "date": _COMMON_PARAMS
    | {"format", "locale", "ignore_malformed", "null_value", "script", "on_script_error"},
    "boolean": _COMMON_PARAMS | {"null_value", "script", "on_script_error"},
    "object": {"type", "properties", "enabled", "dynamic", "subobjects"},
    "nested": {"type", "properties", "dynamic", "include_in_parent", "include_in_root"},
    **{numeric: _COMMON_PARAMS | _NUMERIC_PARAMS for numeric in NUMERIC_TYPES},
}
_MAPPING_ROOT_KEYS = {
    "properties",
    "dynamic",
    "_source",
    "_meta",
    "_routing",
    "dynamic_templates",
    "date_detection",
    "numeric_detection",
    "dynamic_date_formats",
    "runtime",
    "enabled",
    "subobjects",
}
_TEMPLATE_KEYS = {
    "index_patterns",
    "template",
    "composed_of",
    "priority",
    "version",
    "_meta",
    "data_stream",
    "allow_auto_create",
    "ignore_missing_component_templates",
    "deprecated",
}
_TEMPLATE_BODY_KEYS = {"settings", "mappings", "aliases", "lifecycle", "data_stream_options"}
_CREATE_INDEX_KEYS = {"settings", "mappings", "aliases"}
_ALIAS_PARAMS = {"is_write_index", "filter", "routing", "index_routing", "search_routing", "is_hidden"}
_KNOWN_SETTINGS = {
    "number_of_shards",
    "number_of_replicas",
    "refresh_interval",
    "max_result_window",
    "codec",
    "hidden",
    "auto_expand_replicas",
    "mapping.total_fields.limit",
}
_KNOWN_SETTING_PREFIXES = ("analysis.", "lifecycle.", "routing.", "sort.", "blocks.")
_BULK_ACTIONS = ("create", "delete", "index", "update")
_BULK_META_PARAMS = {
    "_index",
    "_id",
    "routing",
    "if_seq_no",
    "if_primary_term",
    "version",
    "version_type",
    "pipeline",
    "require_alias",
    "dynamic_templates",
    "retry_on_conflict",
    "_source",
    "list_executed_pipelines",
    "require_data_stream",
}
_UPDATE_BODY_KEYS = {"doc", "upsert", "doc_as_upsert", "script", "scripted_upsert", "detect_noop", "_source"}
_SEARCH_BODY_KEYS = {
    "query",
    "sort",
    "size",
    "from",
    "search_after",
    "pit",
    "aggs",
    "aggregations",
    "_source",
    "seq_no_primary_term",
    "version",
    "track_total_hits",
    "timeout",
}
_INVALID_INDEX_CHARS = set('\\/*?"<>| ,#:')


class EsError(Exception):
    """An error response, shaped like Elasticsearch's ``{"error": {...}, "status": n}``."""

    def __init__(self, status: int, error_type: str, reason: str, **extra: Any):
        super().__init__(reason)
        self.status, self.error_type, self.reason, self.extra = status, error_type, reason, extra

    def body(self) -> dict:
        cause = {"type": self.error_type, "reason": self.reason, **self.extra}
        return {"error": {"root_cause": [cause], **cause}, "status": self.status}

    def item_error(self) -> dict:
        return {"type": self.error_type, "reason": self.reason, **self.extra}


def _bad_request(reason: str, error_type: str = "illegal_argument_exception") -> EsError:
    return EsError(400, error_type, reason)


def _index_not_found(name: str) -> EsError:
    return EsError(
        404,
        "index_not_found_exception",
        f"no such index [{name}]",
        index=name,
        **{"resource.type": "index_or_alias", "resource.id": name},
    )


# ---------------------------------------------------------------------------------------------
# Mappings and values


def _flatten_settings(settings: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten_settings(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def validate_settings(settings: dict) -> dict[str, Any]:
    flat = {key.removeprefix("index."): value for key, value in _flatten_settings(settings).items()}
    for key in flat:
        if key not in _KNOWN_SETTINGS and not key.startswith(_KNOWN_SETTING_PREFIXES):
            raise _bad_request(
                f"unknown setting [index.{key}] please check that any required plugins are "
                "installed, or check the breaking changes documentation for removed settings"
            )
    return flat


def validate_mappings(mappings: dict) -> None:
    if not isinstance(mappings, dict):
        raise EsError(400, "mapper_parsing_exception", "Failed to parse mapping: mappings must be an object")
    unknown = sorted(set(mappings) - _MAPPING_ROOT_KEYS)
    if unknown:
        listed = ", ".join(f"{key} : {json.dumps(mappings[key])}" for key in unknown)
        raise EsError(
            400,
            "mapper_parsing_exception",
            f"Failed to parse mapping: Root mapping definition has unsupported parameters:  [{listed}]",
        )
    _check_dynamic(mappings.get("dynamic", True))
    _validate_properties(mappings.get("properties", {}), "")


def _check_dynamic(value: Any) -> None:
    if value not in (True, False, "true", "false", "strict", "runtime"):
        raise EsError(
            400, "mapper_parsing_exception", f"Failed to parse mapping: unknown dynamic value [{value}]"
        )


def _validate_properties(properties: dict, path: str) -> None:
    for name, definition in properties.items():
        _validate_field(f"{path}{name}", definition)


def _validate_field(path: str, definition: Any) -> None:
    if not isinstance(definition, dict):
        raise EsError(
            400, "mapper_parsing_exception", f"Expected map for property [fields] on field [{path}]"
        )
    field_type = definition.get("type", "object")  # no type: an object, as in ES
    if field_type not in FIELD_TYPES:
        raise EsError(
            400,
            "mapper_parsing_exception",
            f"Failed to parse mapping: No handler for type [{field_type}] declared on field [{path}]",
        )
    allowed = _PARAMS_BY_TYPE.get(field_type)
    if allowed is not None:
        unknown = sorted(set(definition) - allowed)
        if unknown:
            raise EsError(
                400,
                "mapper_parsing_exception",
                f"Failed to parse mapping: unknown parameter [{unknown[0]}] on mapper [{path}] "
                f"of type [{field_type}]",
            )
    if field_type == "scaled_float" and "scaling_factor" not in definition:
        raise EsError(
            400,
            "mapper_parsing_exception",
            f"Failed to parse mapping: Field [scaling_factor] is required for field [{path}]",
        )
    if field_type in ("object", "nested"):
        _check_dynamic(definition.get("dynamic", True))
        _validate_properties(definition.get("properties", {}), f"{path}.")
    for sub_name, sub_definition in definition.get("fields", {}).items():
        _validate_field(f"{path}.{sub_name}", sub_definition)


def parse_date(value: Any) -> int:
    """Epoch milliseconds of an ISO-8601 string or a number (ES's default date format)."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value)
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _coerce_value(field_type: str, value: Any) -> Any:
    """The value as indexed (for queries and sorting), or ValueError as ES's document parser."""
    if field_type in INTEGER_TYPES:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)
        return int(value)
    if field_type in NUMERIC_TYPES:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if field_type in DATE_TYPES:
        return parse_date(value)
    if field_type == "boolean":
        if value in (True, "true"):
            return True
        if value in (False, "false", ""):
            return False
        raise ValueError(value)
    if field_type in ("keyword", "constant_keyword", "wildcard"):
        if isinstance(value, (dict, list)):
            raise ValueError(value)
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def _dynamic_mapping_for(value: Any) -> dict:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if isinstance(value, dict):
        return {"type": "object", "properties": {}}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def tokens(text: Any) -> list[str]:
    """The stand-in's only analyzer: lower-case words."""
    return [word for word in re.split(r"\W+", str(text).lower()) if word]


class Mapping:
    """An index's mappings: validates documents and gives indexed values of fields."""

    def __init__(self, mappings: dict):
        self.root = copy.deepcopy(mappings) or {}
        self.root.setdefault("properties", {})

    def field(self, path: str) -> dict | None:
        """The mapping of a field path such as ``title.keyword`` (None if unmapped)."""
        node: dict | None = None
        properties = self.root["properties"]
        parts = path.split(".")
        for position, part in enumerate(parts):
            if part in properties:
                node = properties[part]
                properties = node.get("properties", {})
            elif node is not None and part in node.get("fields", {}) and position == len(parts) - 1:
                return node["fields"][part]
            else:
                return None
        return node

    def field_type(self, path: str) -> str | None:
        mapping = self.field(path)
        if mapping is None:
            return None
        return mapping.get("type", "object")

    def check_document(self, source: Any) -> None:
        if not isinstance(source, dict):
            raise EsError(400, "document_parsing_exception", "[1:1] failed to parse: expected an object")
        self._check_object(source, self.root, "")

    def _check_object(self, source: dict, node: dict, path: str) -> None:
        dynamic = str(node.get("dynamic", self.root.get("dynamic", True))).lower()
        properties = node.setdefault("properties", {})
        for name, value in source.items():
            full = f"{path}{name}"
            if name not in properties:
                if dynamic == "strict":
                    raise EsError(
                        400,
                        "strict_dynamic_mapping_exception",
                        f"[1:2] mapping set to strict, dynamic introduction of [{name}] within "
                        f"[{path.rstrip('.') or '_doc'}] is not allowed",
                    )
                if dynamic in ("false", "runtime") or value is None:
                    continue
                sample = value[0] if isinstance(value, list) and value else value
                properties[name] = _dynamic_mapping_for(sample)
            self._check_value(value, properties[name], full)

    def _check_value(self, value: Any, mapping: dict, path: str) -> None:
        field_type = mapping.get("type", "object")
        if field_type == "object" and mapping.get("enabled", True) is False:
            return
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if field_type in ("object", "nested"):
                if not isinstance(item, dict):
                    raise EsError(
                        400,
                        "document_parsing_exception",
                        f"[1:2] object mapping for [{path}] tried to parse field [{path}] as "
                        "object, but found a concrete value",
                    )
                self._check_object(item, mapping, f"{path}.")
                continue
            try:
                _coerce_value(field_type, item)
            except (ValueError, TypeError):
                raise EsError(
                    400,
                    "document_parsing_exception",
                    f"[1:2] failed to parse field [{path}] of type [{field_type}] in document",
                ) from None

    def values(self, source: dict, path: str) -> list[Any]:
        """Indexed values of a field in a document (subfields read their parent's value)."""
        field_type = self.field_type(path)
        raw = _source_values(source, path)
        if not raw and "." in path:
            parent, _, _ = path.rpartition(".")
            if self.field(parent) is not None and self.field_type(parent) not in ("object", "nested"):
                raw = _source_values(source, parent)
        if field_type is None:
            return raw
        if field_type in TEXT_TYPES:
            return [token for value in raw for token in tokens(value)]
        mapping = self.field(path) or {}
        if field_type == "keyword" and "ignore_above" in mapping:
            raw = [value for value in raw if len(str(value)) <= mapping["ignore_above"]]
        return [_coerce_value(field_type, value) for value in raw]


def _source_values(source: dict, path: str) -> list[Any]:
    values: list[Any] = [source]
    for part in path.split("."):
        next_values = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    next_values.append(item[part])
        values = next_values
    flat: list[Any] = []
    for value in values:
        flat.extend(item for item in (value if isinstance(value, list) else [value]) if item is not None)
    return flat


# ---------------------------------------------------------------------------------------------
# The cluster state


@dataclass
class Doc:
    source: dict
    seq_no: int
    primary_term: int
    version: int


@dataclass
class Index:
    name: str
    mapping: Mapping
    settings: dict[str, Any]
    docs: dict[str, Doc] = field(default_factory=dict)
    searchable: dict[str, Doc] = field(default_factory=dict)  # as of the last refresh
    next_seq_no: int = 0
    primary_term: int = 1
    last_refresh: float = field(default_factory=time.monotonic)
    dirty: bool = False

    def refresh(self) -> None:
        self.searchable = dict(self.docs)
        self.dirty = False
        self.last_refresh = time.monotonic()

    def maybe_periodic_refresh(self) -> None:
        if self.dirty and time.monotonic() - self.last_refresh >= REFRESH_INTERVAL_SECONDS:
            self.refresh()


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int = 0

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


def _seq_conflict(index: str, doc_id: str, wanted: tuple[int, int], doc: Doc | None) -> EsError:
    current = (
        f"current document has seqNo [{doc.seq_no}] and primary term [{doc.primary_term}]"
        if doc
        else "but no document was found"
    )
    return EsError(
        409,
        "version_conflict_engine_exception",
        f"[{doc_id}]: version conflict, required seqNo [{wanted[0]}], primary term [{wanted[1]}]. {current}",
        index=index,
        shard="0",
    )


class Cluster:
    """In-memory indices, templates, aliases and PITs, behind one lock."""

    def __init__(self, *, required_auth: str | None = None, version: str = DEFAULT_VERSION):
        self.version = version
        self.major = int(version.split(".")[0])
        if self.major not in _VERSION_DETAILS:
            raise ValueError(f"the stand-in plays Elasticsearch 8.x or 9.x, not {version}")
        self.lock = threading.RLock()
        self.indices: dict[str, Index] = {}
        self.templates: dict[str, dict] = {}
        self.aliases: dict[str, dict[str, dict]] = {}  # alias -> {index: {"is_write_index": bool}}
        self.pits: dict[str, dict[str, dict[str, Doc]]] = {}
        self.requests: list[RecordedRequest] = []
        self.required_auth = required_auth  # an exact Authorization header value, or None
        # Called with each request before it is handled, e.g. to simulate another writer.
        self.before_request: list[Callable[[RecordedRequest], None]] = []
        self._pit_ids = itertools.count(1)

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        """Recorded requests whose method matches and path matches the fnmatch pattern."""
        return [
            r for r in list(self.requests) if r.method == method and fnmatch.fnmatchcase(r.path, path_pattern)
        ]

    # -- names -----------------------------------------------------------------------------

    @staticmethod
    def check_index_name(name: str) -> None:
        if (
            name != name.lower()
            or any(char in _INVALID_INDEX_CHARS for char in name)
            or name.startswith(("-", "_", "+"))
            or name in (".", "..")
        ):
            raise EsError(
                400,
                "invalid_index_name_exception",
                f"Invalid index name [{name}], must be lowercase and must not contain "
                '[ \\, /, *, ?, ", <, >, |, , ,, #, :] nor start with [_, -, +]',
                index=name,
            )

    def resolve_read(self, expression: str) -> list[str]:
        """Concrete indices named by ``a,b*,alias`` (missing concrete names -> 404)."""
        names: list[str] = []
        for part in expression.split(","):
            if part in ("_all", "*"):
                names.extend(self.indices)
            elif "*" in part:
                names.extend(n for n in self.indices if fnmatch.fnmatchcase(n, part))
                names.extend(
                    i for a, members in self.aliases.items() if fnmatch.fnmatchcase(a, part) for i in members
                )
            elif part in self.aliases:
                names.extend(self.aliases[part])
            elif part in self.indices:
                names.append(part)
            else:
                raise _index_not_found(part)
        return list(dict.fromkeys(names))

    def resolve_write(self, name: str, require_alias: bool = False) -> Index:
        if name in self.aliases:
            members = self.aliases[name]
            writers = [i for i, props in members.items() if props.get("is_write_index")]
            if not writers and len(members) == 1:
                writers = list(members)
            if not writers:
                raise _bad_request(
                    f"no write index is defined for alias [{name}]. The write index may be "
                    "explicitly disabled using is_write_index=false or the alias points to "
                    "multiple indices without one being designated as a write index"
                )
            return self.indices[writers[0]]
        if require_alias:
            raise EsError(
                404,
                "index_not_found_exception",
                f"no such index [{name}] and [require_alias] request flag is [true] and [{name}] "
                "is not an alias",
                index=name,
            )
        if name not in self.indices:
            self.create_index(name, {})  # auto-create, as ES does by default
        return self.indices[name]

    # -- templates and indices -------------------------------------------------------------

    def put_template(self, name: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise _bad_request("request body is required", "parse_exception")
        unknown = sorted(set(body) - _TEMPLATE_KEYS)
        if unknown:
            raise EsError(
                400, "x_content_parse_exception", f"[1:2] [index_template] unknown field [{unknown[0]}]"
            )
        patterns = body.get("index_patterns")
        if not patterns:
            raise EsError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index patterns are missing;",
            )
        inner = body.get("template") or {}
        unknown = sorted(set(inner) - _TEMPLATE_BODY_KEYS)
        if unknown:
            raise EsError(400, "x_content_parse_exception", f"[1:2] [template] unknown field [{unknown[0]}]")
        validate_settings(inner.get("settings", {}))
        validate_mappings(inner.get("mappings", {}))
        self._validate_aliases(inner.get("aliases", {}))
        if not isinstance(body.get("priority", 0), int) or body.get("priority", 0) < 0:
            raise _bad_request("index template priority must be >= 0")
        self.templates[name] = copy.deepcopy(body)

    @staticmethod
    def _validate_aliases(aliases: dict) -> None:
        for _alias, props in aliases.items():
            unknown = sorted(set(props or {}) - _ALIAS_PARAMS)
            if unknown:
                raise EsError(400, "x_content_parse_exception", f"[alias] unknown field [{unknown[0]}]")

    def matching_template(self, index_name: str) -> dict | None:
        matching = [
            t
            for t in self.templates.values()
            if any(fnmatch.fnmatchcase(index_name, p) for p in _as_list(t["index_patterns"]))
        ]
        return max(matching, key=lambda t: t.get("priority", 0), default=None)

    def create_index(self, name: str, body: dict) -> Index:
        self.check_index_name(name)
        if name in self.indices or name in self.aliases:
            raise EsError(
                400, "resource_already_exists_exception", f"index [{name}/uuid] already exists", index=name
            )
        unknown = sorted(set(body) - _CREATE_INDEX_KEYS)
        if unknown:
            raise _bad_request(f"unknown key [{unknown[0]}] for create index", "parse_exception")
        template = (self.matching_template(name) or {}).get("template", {})
        mappings = copy.deepcopy(template.get("mappings", {}))
        mappings.update(copy.deepcopy(body.get("mappings", {})))
        validate_mappings(mappings)
        settings = validate_settings(template.get("settings", {})) | validate_settings(
            body.get("settings", {})
        )
        aliases = {**template.get("aliases", {}), **body.get("aliases", {})}
        self._validate_aliases(aliases)
        index = Index(name, Mapping(mappings), settings)
        self.indices[name] = index
        for alias, props in aliases.items():
            self.add_alias(alias, name, props or {})
        return index

    def put_mapping(self, expression: str, body: Any) -> None:
        """Add fields to existing indices' mappings; a field's type (or parameters) never changes."""
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise _bad_request("mapping source must be a map with properties", "mapper_parsing_exception")
        unknown = sorted(set(body) - _MAPPING_ROOT_KEYS)
        if unknown:
            raise _bad_request(f"unknown parameter [{unknown[0]}] on mapping", "mapper_parsing_exception")
        validate_mappings(body)
        names = self.resolve_read(expression)
        for name in names:
            existing = self.indices[name].mapping.root["properties"]
            for field_name, definition in body["properties"].items():
                if field_name in existing and existing[field_name] != definition:
                    raise _bad_request(
                        f"mapper [{field_name}] cannot be changed from type [{existing[field_name].get('type')}] "
                        f"to [{definition.get('type')}]"
                    )
        for name in names:
            mapping = self.indices[name].mapping
            mapping.root["properties"].update(copy.deepcopy(body["properties"]))
            mapping.root.update({k: v for k, v in body.items() if k != "properties"})

    def add_alias(self, alias: str, index: str, props: dict) -> None:
        if alias in self.indices:
            raise _bad_request(
                f"an index or data stream exists with the same name as the alias [{alias}]",
                "invalid_alias_name_exception",
            )
        members = self.aliases.setdefault(alias, {})
        if props.get("is_write_index") and any(
            p.get("is_write_index") for i, p in members.items() if i != index
        ):
            raise _bad_request(f"alias [{alias}] has more than one write index")
        members[index] = {"is_write_index": bool(props.get("is_write_index", False))}

    def delete_index(self, expression: str) -> None:
        for name in self.resolve_read(expression):
            del self.indices[name]
            for members in self.aliases.values():
                members.pop(name, None)
        self.aliases = {alias: members for alias, members in self.aliases.items() if members}

    def rollover(self, alias: str) -> dict:
        if alias not in self.aliases:
            raise _bad_request(f"rollover target [{alias}] does not exist")
        old = self.resolve_write(alias, require_alias=True).name
        match = re.search(r"^(.*?)(\d+)$", old)
        if not match:
            raise _bad_request(f"index name [{old}] does not match pattern '^.*-\\d+$'")
        new = f"{match.group(1)}{int(match.group(2)) + 1:06d}"
        self.create_index(new, {})
        self.aliases[alias][old]["is_write_index"] = False
        self.aliases[alias][new] = {"is_write_index": True}
        return {
            "acknowledged": True,
            "shards_acknowledged": True,
            "old_index": old,
            "new_index": new,
            "rolled_over": True,
            "dry_run": False,
            "lazy": False,
            "conditions": {},
        }

    # -- documents ---------------------------------------------------------------------------

    def write_doc(
        self,
        index: Index,
        doc_id: str,
        source: Any,
        *,
        op_type: str = "index",
        if_seq_no: int | None = None,
        if_primary_term: int | None = None,
    ) -> tuple[Doc, str]:
        current = index.docs.get(doc_id)
        if op_type == "create" and current is not None:
            raise EsError(
                409,
                "version_conflict_engine_exception",
                f"[{doc_id}]: version conflict, document already exists (current version "
                f"[{current.version}])",
                index=index.name,
                shard="0",
            )
        if if_seq_no is not None or if_primary_term is not None:
            if if_seq_no is None or if_primary_term is None:
                raise EsError(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: ifSeqNo is set, but primary term is [0];",
                )
            if current is None or (current.seq_no, current.primary_term) != (if_seq_no, if_primary_term):
                raise _seq_conflict(index.name, doc_id, (if_seq_no, if_primary_term), current)
        index.mapping.check_document(source)
        doc = Doc(
            copy.deepcopy(source),
            index.next_seq_no,
            index.primary_term,
            current.version + 1 if current else 1,
        )
        index.next_seq_no += 1
        index.docs[doc_id] = doc
        index.dirty = True
        return doc, ("updated" if current else "created")

    def delete_doc(self, index: Index, doc_id: str) -> dict:
        """A bulk ``delete`` item: 200 "deleted", or 404 "not_found" (no error, as in ES)."""
        current = index.docs.pop(doc_id, None)
        seq_no = index.next_seq_no
        index.next_seq_no += 1
        index.dirty = True
        return {
            "_index": index.name,
            "_id": doc_id,
            "_version": (current.version + 1) if current else 1,
            "result": "deleted" if current else "not_found",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": seq_no,
            "_primary_term": index.primary_term,
            "status": 200 if current else 404,
        }

    def simulate_concurrent_write(
        self, index_expression: str, doc_id: str, changes: dict | None = None
    ) -> None:
        """Another client rewrote the document: its seq_no moves on (for conflict tests)."""
        with self.lock:
            for name in self.resolve_read(index_expression):
                index = self.indices[name]
                if doc_id in index.docs:
                    source = {**index.docs[doc_id].source, **(changes or {})}
                    self.write_doc(index, doc_id, source)
                    index.refresh()
                    return
            raise KeyError(doc_id)

    def open_pit(self, expression: str) -> str:
        names = self.resolve_read(expression)
        for name in names:
            self.indices[name].refresh()  # a PIT sees what is there when it opens
        pit_id = base64.urlsafe_b64encode(f"standin-pit-{next(self._pit_ids)}".encode()).decode()
        self.pits[pit_id] = {name: dict(self.indices[name].searchable) for name in names}
        return pit_id


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------------------------------
# Queries, sorting, aggregations


_QUERY_PARAMS = {
    "bool": {"filter", "must", "should", "must_not", "minimum_should_match", "boost", "_name"},
    "match_all": {"boost", "_name"},
    "ids": {"values", "boost", "_name"},
    "exists": {"field", "boost", "_name"},
    "multi_match": {"query", "fields", "operator", "type", "boost", "_name", "minimum_should_match"},
}
_RANGE_PARAMS = {"gte", "gt", "lte", "lt", "format", "boost", "time_zone", "relation"}
_MATCH_PARAMS = {"query", "operator", "boost", "minimum_should_match", "fuzziness", "analyzer"}


@dataclass
class Hit:
    index: str
    doc_id: str
    doc: Doc
    score: float = 1.0


class Query:
    """Evaluates the supported query clauses against one index's mapping."""

    def __init__(self, body: Any):
        self.body = {"match_all": {}} if body is None else body
        self.validate(self.body)

    def validate(self, clause: Any) -> None:
        if not isinstance(clause, dict) or len(clause) != 1:
            raise EsError(400, "parsing_exception", "[_na] query malformed, must start with start_object")
        ((kind, params),) = clause.items()
        if kind in ("term", "terms", "range", "match", "prefix"):
            self._validate_field_clause(kind, params)
            return
        if kind not in _QUERY_PARAMS:
            raise EsError(400, "parsing_exception", f"unknown query [{kind}]", line=1, col=1)
        if not isinstance(params, dict):
            raise EsError(
                400, "parsing_exception", f"[{kind}] query malformed, no start_object after query name"
            )
        unknown = sorted(set(params) - _QUERY_PARAMS[kind])
        if unknown:
            raise EsError(400, "parsing_exception", f"[{kind}] query does not support [{unknown[0]}]")
        if kind == "bool":
            for occur in ("filter", "must", "should", "must_not"):
                for sub in _as_list(params.get(occur, [])):
                    self.validate(sub)

    @staticmethod
    def _validate_field_clause(kind: str, params: Any) -> None:
        fields = (
            {k: v for k, v in params.items() if k not in ("boost", "_name")}
            if isinstance(params, dict)
            else {}
        )
        if len(fields) != 1:
            raise EsError(
                400,
                "parsing_exception",
                f"[{kind}] query doesn't support multiple fields, found {sorted(fields)}"
                if fields
                else f"[{kind}] query malformed, no field specified",
            )
        ((_, value),) = fields.items()
        if kind == "terms" and not isinstance(value, list):
            raise EsError(400, "parsing_exception", "[terms] query does not support [values as object]")
        if kind == "range":
            if not isinstance(value, dict) or set(value) - _RANGE_PARAMS:
                raise EsError(
                    400,
                    "parsing_exception",
                    f"[range] query does not support "
                    f"[{sorted(set(value) - _RANGE_PARAMS)[0] if isinstance(value, dict) else value}]",
                )
        if kind in ("term", "prefix", "match") and isinstance(value, dict):
            allowed = (
                _MATCH_PARAMS
                if kind == "match"
                else {"value", "boost", "case_insensitive", "_name", "rewrite"}
            )
            if set(value) - allowed:
                raise EsError(
                    400,
                    "parsing_exception",
                    f"[{kind}] query does not support [{sorted(set(value) - allowed)[0]}]",
                )

    def score(self, mapping: Mapping, doc_id: str, source: dict) -> float | None:
        """None if the document does not match, else a (crude) score."""
        return self._score(self.body, mapping, doc_id, source)

    def _score(self, clause: dict, mapping: Mapping, doc_id: str, source: dict) -> float | None:
        ((kind, params),) = clause.items()
        if kind == "match_all":
            return 1.0
        if kind == "ids":
            return 1.0 if doc_id in params.get("values", []) else None
        if kind == "exists":
            return 1.0 if mapping.values(source, params["field"]) else None
        if kind == "bool":
            return self._bool(params, mapping, doc_id, source)
        if kind == "multi_match":
            return self._words_score(
                params["query"],
                params.get("operator", "or"),
                [v for f in params.get("fields", []) for v in mapping.values(source, f)],
            )
        field_name, value = next((k, v) for k, v in params.items() if k not in ("boost", "_name"))
        values = mapping.values(source, field_name)
        field_type = mapping.field_type(field_name)
        if kind == "match":
            query = value.get("query") if isinstance(value, dict) else value
            operator = value.get("operator", "or") if isinstance(value, dict) else "or"
            if field_type in TEXT_TYPES:
                return self._words_score(query, operator, values)
            kind, value = "term", query
        if kind == "term":
            wanted = value.get("value") if isinstance(value, dict) else value
            return 1.0 if self._indexed(field_type, wanted) in values else None
        if kind == "prefix":
            wanted = str(value.get("value") if isinstance(value, dict) else value)
            return 1.0 if any(str(v).startswith(wanted) for v in values) else None
        if kind == "terms":
            wanted = {self._indexed(field_type, v) for v in value}
            return 1.0 if wanted & set(values) else None
        return 1.0 if any(self._in_range(field_type, v, value) for v in values) else None

    def _bool(self, params: dict, mapping: Mapping, doc_id: str, source: dict) -> float | None:
        score = 0.0
        for occur in ("filter", "must"):
            for sub in _as_list(params.get(occur, [])):
                sub_score = self._score(sub, mapping, doc_id, source)
                if sub_score is None:
                    return None
                score += sub_score if occur == "must" else 0.0
        for sub in _as_list(params.get("must_not", [])):
            if self._score(sub, mapping, doc_id, source) is not None:
                return None
        should = [self._score(sub, mapping, doc_id, source) for sub in _as_list(params.get("should", []))]
        matched = [s for s in should if s is not None]
        needed = params.get(
            "minimum_should_match", 1 if should and not params.get("filter") and not params.get("must") else 0
        )
        if len(matched) < int(needed):
            return None
        return score + sum(matched) or 1.0

    @staticmethod
    def _words_score(query: str, operator: str, values: list) -> float | None:
        words = set(tokens(query))
        found = words & set(values)
        if not words or not found or (operator.lower() == "and" and found != words):
            return None
        return float(len(found))

    @staticmethod
    def _indexed(field_type: str | None, value: Any) -> Any:
        if field_type is None:
            return value
        try:
            return _coerce_value(field_type, value)
        except (ValueError, TypeError):
            raise EsError(
                400, "query_shard_exception", f"failed to create query: invalid value [{value}]"
            ) from None

    def _in_range(self, field_type: str | None, value: Any, bounds: dict) -> bool:
        checks = {
            "gte": lambda b: value >= b,
            "gt": lambda b: value > b,
            "lte": lambda b: value <= b,
            "lt": lambda b: value < b,
        }
        return all(
            checks[op](self._indexed(field_type, bound)) for op, bound in bounds.items() if op in checks
        )


class SortSpec:
    """A validated ``sort`` list: (field, descending) pairs."""

    def __init__(self, raw: Any, mappings: list[Mapping], with_pit: bool):
        self.fields: list[tuple[str, bool]] = []
        for item in _as_list(raw or []):
            if isinstance(item, str):
                self.fields.append((item, item == "_score"))
            elif isinstance(item, dict) and len(item) == 1:
                ((name, spec),) = item.items()
                order = spec.get("order", "asc") if isinstance(spec, dict) else spec
                if order not in ("asc", "desc"):
                    raise EsError(400, "parsing_exception", f"[sort] unknown order [{order}]")
                self.fields.append((name, order == "desc"))
            else:
                raise EsError(400, "parsing_exception", "[sort] malformed sort format")
        for name, _ in self.fields:
            self._check_sortable(name, mappings, with_pit)
        if with_pit and self.fields and not any(name == "_shard_doc" for name, _ in self.fields):
            self.fields.append(("_shard_doc", False))  # ES adds this tiebreaker to PIT searches

    @staticmethod
    def _check_sortable(name: str, mappings: list[Mapping], with_pit: bool) -> None:
        if name == "_id":
            raise _bad_request(
                "Fielddata access on the _id field is disallowed, you can re-enable it by updating "
                "the dynamic cluster setting: indices.id_field_data.enabled"
            )
        if name in ("_score", "_doc"):
            return
        if name == "_shard_doc":
            if not with_pit:
                raise _bad_request("[_shard_doc] sort field cannot be used without [point in time]")
            return
        types = {m.field_type(name) for m in mappings} - {None}
        if not types and mappings:
            raise EsError(400, "query_shard_exception", f"No mapping found for [{name}] in order to sort on")
        if types & TEXT_TYPES:
            raise _bad_request(
                f"Text fields are not optimised for operations that require per-document field "
                f"data like aggregations and sorting, so these operations are disabled by default. "
                f"Please use a keyword field instead. Alternatively, set fielddata=true on [{name}] "
                "in order to load field data by uninverting the inverted index."
            )

    def values(self, hit: Hit, mapping: Mapping, shard_doc: int) -> list[Any]:
        out = []
        for name, descending in self.fields:
            if name == "_score":
                out.append(hit.score)
            elif name in ("_shard_doc", "_doc"):
                out.append(shard_doc)
            else:
                values = mapping.values(hit.doc.source, name)
                out.append((max(values) if descending else min(values)) if values else None)
        return out

    def compare(self, left: list[Any], right: list[Any]) -> int:
        for (_, descending), a, b in zip(self.fields, left, right):
            if a == b:
                continue
            if a is None or b is None:  # missing values sort last in both orders
                return 1 if a is None else -1
            result = -1 if a < b else 1
            return -result if descending else result
        return 0


def _aggregate(aggs: dict, hits: list[Hit], mappings: dict[str, Mapping]) -> dict:
    results = {}
    for name, spec in aggs.items():
        sub = spec.get("aggs") or spec.get("aggregations") or {}
        kinds = [k for k in spec if k not in ("aggs", "aggregations", "meta")]
        if len(kinds) != 1:
            raise EsError(
                400, "parsing_exception", f"Expected one aggregation type for [{name}], got {kinds}"
            )
        kind = kinds[0]
        body = spec[kind]
        if kind == "filter":
            query = Query(body)
            kept = [h for h in hits if query.score(mappings[h.index], h.doc_id, h.doc.source) is not None]
            results[name] = {"doc_count": len(kept), **_aggregate(sub, kept, mappings)}
        elif kind in ("terms", "composite"):
            results[name] = _bucket_aggregation(kind, body, hits, mappings, sub)
        elif kind == "cardinality":
            results[name] = _bucket_aggregation(kind, body, hits, mappings, {})
        elif kind in METRIC_AGGREGATIONS:
            results[name] = _metric(kind, body, hits, mappings)
        else:
            raise EsError(
                400,
                "x_content_parse_exception",
                f"[1:1] unknown aggregation type [{kind}]",
                caused_by={"type": "named_object_not_found_exception", "reason": f"unknown field [{kind}]"},
            )
    return results


def _field_values_for_agg(field_name: str, hit: Hit, mappings: dict[str, Mapping]) -> list[Any]:
    mapping = mappings[hit.index]
    if mapping.field_type(field_name) in TEXT_TYPES:
        raise _bad_request(
            f"Text fields are not optimised for operations that require per-document field data "
            f"like aggregations and sorting. Please use a keyword field instead ([{field_name}])"
        )
    return list(dict.fromkeys(mapping.values(hit.doc.source, field_name)))


# Single-value metric aggregations over numeric fields: kind -> (values -> value). Empty: ES
# answers null for avg/min/max and 0 for sum/value_count.
METRIC_AGGREGATIONS: dict[str, Callable[[list[Any]], Any]] = {
    "avg": lambda values: sum(values) / len(values) if values else None,
    "min": lambda values: min(values) if values else None,
    "max": lambda values: max(values) if values else None,
    "sum": lambda values: float(sum(values)),
    "value_count": len,
}


def _metric(kind: str, body: dict, hits: list[Hit], mappings: dict[str, Mapping]) -> dict:
    field_name = body["field"]
    values = []
    for hit in hits:
        mapping = mappings[hit.index]
        field_type = mapping.field_type(field_name)
        if field_type is not None and field_type not in NUMERIC_TYPES and kind != "value_count":
            raise _bad_request(
                f"Field [{field_name}] of type [{field_type}] is not supported for aggregation [{kind}]"
            )
        values.extend(v for v in mapping.values(hit.doc.source, field_name) if v is not None)
    return {"value": METRIC_AGGREGATIONS[kind](values)}


def _values_by_bucket(field_name: str, hits: list[Hit], mappings: dict[str, Mapping]) -> dict[Any, list[Hit]]:
    members: dict[Any, list[Hit]] = {}
    for hit in hits:
        for value in _field_values_for_agg(field_name, hit, mappings):
            members.setdefault(value, []).append(hit)
    return members


def _bucket_aggregation(
    kind: str, body: dict, hits: list[Hit], mappings: dict[str, Mapping], sub: dict
) -> dict:
    if kind == "composite":
        return _composite(body, hits, mappings, sub)
    members = _values_by_bucket(body["field"], hits, mappings)
    if kind == "cardinality":
        return {"value": len(members)}
    ordered = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    size = body.get("size", 10)
    shown = ordered[:size]
    return {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": sum(len(kept) for _, kept in ordered[size:]),
        "buckets": [
            {"key": key, "doc_count": len(kept), **_aggregate(sub, kept, mappings)} for key, kept in shown
        ],
    }


def _composite(body: dict, hits: list[Hit], mappings: dict[str, Mapping], sub: dict) -> dict:
    sources = body.get("sources") or []
    if len(sources) != 1 or list(list(sources[0].values())[0]) != ["terms"]:
        raise _bad_request("the stand-in supports composite aggregations with one terms source only")
    ((source_name, spec),) = sources[0].items()
    members = _values_by_bucket(spec["terms"]["field"], hits, mappings)
    keys = sorted(members)
    after = (body.get("after") or {}).get(source_name)
    if after is not None:
        keys = [key for key in keys if key > after]
    page = keys[: body.get("size", 10)]
    result: dict[str, Any] = {
        "buckets": [
            {
                "key": {source_name: key},
                "doc_count": len(members[key]),
                **_aggregate(sub, members[key], mappings),
            }
            for key in page
        ]
    }
    if page:
        result["after_key"] = {source_name: page[-1]}
    return result


# ---------------------------------------------------------------------------------------------
# Endpoints


class Api:
    """The endpoints, on top of a Cluster. Each returns (status, body)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def info(self) -> tuple[int, dict]:
        return 200, {
            "name": "standin",
            "cluster_name": "leaktrack-standin",
            "cluster_uuid": "standin",
            "version": {
                "number": self.cluster.version,
                "build_flavor": "default",
                "build_type": "docker",
                **_VERSION_DETAILS[self.cluster.major],
            },
            "tagline": "You Know, for Search",
        }

    def put_template(self, name: str, body: Any) -> tuple[int, dict]:
        self.cluster.put_template(name, body)
        return 200, {"acknowledged": True}

    def get_template(self, name: str) -> tuple[int, dict]:
        if name not in self.cluster.templates:
            raise EsError(404, "resource_not_found_exception", f"index template matching [{name}] not found")
        return 200, {"index_templates": [{"name": name, "index_template": self.cluster.templates[name]}]}

    def delete_template(self, name: str) -> tuple[int, dict]:
        if self.cluster.templates.pop(name, None) is None:
            raise EsError(404, "resource_not_found_exception", f"index_template [{name}] missing")
        return 200, {"acknowledged": True}

    def get_indices(self, expression: str) -> tuple[int, dict]:
        names = self.cluster.resolve_read(expression)
        return 200, {
            name: {
                "aliases": {a: p for a, m in self.cluster.aliases.items() for i, p in m.items() if i == name},
                "mappings": self.cluster.indices[name].mapping.root,
                "settings": {"index": self.cluster.indices[name].settings},
            }
            for name in names
        }

    def put_mapping(self, expression: str, body: Any) -> tuple[int, dict]:
        self.cluster.put_mapping(expression, body)
        return 200, {"acknowledged": True}

    def create_index(self, name: str, body: Any) -> tuple[int, dict]:
        self.cluster.create_index(name, body or {})
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def get_alias(self, name: str) -> tuple[int, dict]:
        if name not in self.cluster.aliases:
            return 404, {"error": f"alias [{name}] missing", "status": 404}
        return 200, {index: {"aliases": {name: props}} for index, props in self.cluster.aliases[name].items()}

    def index_doc(self, target: str, doc_id: str, body: Any, query: dict, op_type: str) -> tuple[int, dict]:
        index = self.cluster.resolve_write(target, query.get("require_alias") == "true")
        doc, result = self.cluster.write_doc(
            index,
            doc_id,
            body,
            op_type=query.get("op_type", op_type),
            if_seq_no=_int_or_none(query.get("if_seq_no")),
            if_primary_term=_int_or_none(query.get("if_primary_term")),
        )
        self._apply_refresh(query, [index])
        return (201 if result == "created" else 200), _write_result(index.name, doc_id, doc, result)

    def delete_doc(self, target: str, doc_id: str, query: dict) -> tuple[int, dict]:
        """DELETE /<index>/_doc/<id>: 404 ``not_found`` result when absent, as in ES."""
        index = self.cluster.resolve_write(target)
        current = index.docs.pop(doc_id, None)
        index.dirty = True
        self._apply_refresh(query, [index])
        body = {"_index": index.name, "_id": doc_id, "result": "deleted" if current else "not_found"}
        body |= {"_version": current.version + 1 if current else 1, "_shards": _shards()}
        return (200 if current else 404), body

    def bulk(self, default_index: str | None, raw: bytes, query: dict) -> tuple[int, dict]:
        operations = parse_bulk(raw)
        items, touched = [], {}
        for line_no, action, meta, source in operations:
            items.append(self._bulk_item(default_index, line_no, action, meta, source, touched))
        self._apply_refresh(query, list(touched.values()))
        errors = any("error" in next(iter(item.values())) for item in items)
        return 200, {"errors": errors, "took": 1, "items": items}

    def _bulk_item(self, default_index, line_no, action, meta, source, touched) -> dict:
        target = meta.get("_index", default_index)
        doc_id = meta.get("_id")
        if target is None:
            raise EsError(
                400, "action_request_validation_exception", "Validation Failed: 1: index is missing;"
            )
        try:
            index = self.cluster.resolve_write(target, bool(meta.get("require_alias")))
            touched[index.name] = index
            if doc_id is None:
                if action != "index" and action != "create":
                    raise EsError(
                        400, "action_request_validation_exception", "Validation Failed: 1: id is missing;"
                    )
                doc_id = f"auto-{index.next_seq_no}"
            if action == "delete":
                return {action: self.cluster.delete_doc(index, doc_id)}
            if action == "update":
                doc, result = self._bulk_update(index, doc_id, meta, source)
            else:
                doc, result = self.cluster.write_doc(
                    index,
                    doc_id,
                    source,
                    op_type=action,
                    if_seq_no=meta.get("if_seq_no"),
                    if_primary_term=meta.get("if_primary_term"),
                )
            status = 201 if result == "created" else 200
            return {action: {**_write_result(index.name, doc_id, doc, result), "status": status}}
        except EsError as error:
            return {
                action: {"_index": target, "_id": doc_id, "status": error.status, "error": error.item_error()}
            }

    def _bulk_update(self, index: Index, doc_id: str, meta: dict, body: Any) -> tuple[Doc, str]:
        if not isinstance(body, dict) or set(body) - _UPDATE_BODY_KEYS:
            raise EsError(400, "x_content_parse_exception", "[1:2] [UpdateRequest] unknown field")
        if "script" in body:
            raise _bad_request("the stand-in does not execute scripts")
        current = index.docs.get(doc_id)
        if current is None:
            upsert = body.get("doc") if body.get("doc_as_upsert") else body.get("upsert")
            if upsert is None:
                raise EsError(
                    404,
                    "document_missing_exception",
                    f"[{doc_id}]: document missing",
                    index=index.name,
                    shard="0",
                )
            return self.cluster.write_doc(index, doc_id, upsert, op_type="create")
        merged = _deep_merge(current.source, body.get("doc") or {})
        return self.cluster.write_doc(
            index,
            doc_id,
            merged,
            if_seq_no=meta.get("if_seq_no"),
            if_primary_term=meta.get("if_primary_term"),
        )

    def refresh(self, expression: str | None) -> tuple[int, dict]:
        names = self.cluster.resolve_read(expression or "_all")
        for name in names:
            self.cluster.indices[name].refresh()
        return 200, {"_shards": {"total": len(names), "successful": len(names), "failed": 0}}

    def open_pit(self, expression: str, query: dict) -> tuple[int, dict]:
        if "keep_alive" not in query:
            raise EsError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: [keep_alive] is not specified;",
            )
        return 200, {"id": self.cluster.open_pit(expression), "_shards": _shards()}

    def close_pit(self, body: Any) -> tuple[int, dict]:
        pit_id = (body or {}).get("id")
        freed = self.cluster.pits.pop(pit_id, None) is not None
        return (200 if freed else 404), {"succeeded": True, "num_freed": int(freed)}

    def delete_index(self, expression: str) -> tuple[int, dict]:
        self.cluster.delete_index(expression)
        return 200, {"acknowledged": True}

    def rollover(self, alias: str) -> tuple[int, dict]:
        return 200, self.cluster.rollover(alias)

    def count(self, expression: str | None, body: Any) -> tuple[int, dict]:
        body = body or {}
        if set(body) - {"query"}:
            raise EsError(
                400, "parsing_exception", f"request does not support [{sorted(set(body) - {'query'})[0]}]"
            )
        hits = self._matching_hits(self._visible(expression), Query(body.get("query")))
        return 200, {"count": len(hits), "_shards": _shards()}

    def search(self, expression: str | None, body: Any, query: dict) -> tuple[int, dict]:
        body = body or {}
        unknown = sorted(set(body) - _SEARCH_BODY_KEYS)
        if unknown:
            raise EsError(400, "parsing_exception", f"Unknown key for a START_OBJECT in [{unknown[0]}].")
        size, offset = int(query.get("size", body.get("size", 10))), int(body.get("from", 0))
        if size + offset > MAX_RESULT_WINDOW:
            raise _bad_request(
                f"Result window is too large, from + size must be less than or equal to: "
                f"[{MAX_RESULT_WINDOW}] but was [{size + offset}].",
                "query_phase_execution_exception",
            )
        pit = body.get("pit")
        if pit is not None and expression:
            raise EsError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify "
                "any index with point in time.;",
            )
        snapshot = self._pit_snapshot(pit) if pit is not None else self._visible(expression)
        mappings = {
            name: self.cluster.indices[name].mapping for name in snapshot if name in self.cluster.indices
        }
        sort = SortSpec(body.get("sort"), list(mappings.values()), pit is not None)
        hits = self._matching_hits(snapshot, Query(body.get("query")))
        ordered = self._sorted_hits(hits, sort, mappings)
        after = body.get("search_after")
        if after is not None:
            if len(after) != len(sort.fields):
                raise _bad_request(f"search_after has {len(after)} value(s) but sort has {len(sort.fields)}.")
            ordered = [(h, v) for h, v in ordered if sort.compare(v, after) > 0]
        page = ordered[offset : offset + size]
        response = {
            "took": 1,
            "timed_out": False,
            "_shards": _shards(),
            "hits": {
                "total": {"value": len(hits), "relation": "eq"},
                "max_score": None if sort.fields else (max((h.score for h in hits), default=None)),
                "hits": [self._hit_json(h, v, sort, body) for h, v in page],
            },
        }
        if pit is not None:
            response["pit_id"] = pit["id"]
        aggs = body.get("aggs") or body.get("aggregations")
        if aggs:
            response["aggregations"] = _aggregate(aggs, hits, mappings)
        return 200, response

    def _visible(self, expression: str | None) -> dict[str, dict[str, Doc]]:
        names = self.cluster.resolve_read(expression or "_all")
        for name in names:
            self.cluster.indices[name].maybe_periodic_refresh()
        return {name: self.cluster.indices[name].searchable for name in names}

    def _pit_snapshot(self, pit: Any) -> dict[str, dict[str, Doc]]:
        if not isinstance(pit, dict) or "id" not in pit or set(pit) - {"id", "keep_alive"}:
            raise EsError(400, "parsing_exception", "[pit] malformed point in time")
        if pit["id"] not in self.cluster.pits:
            raise EsError(404, "search_context_missing_exception", "No search context found for id [pit]")
        return self.cluster.pits[pit["id"]]

    def _matching_hits(self, snapshot: dict[str, dict[str, Doc]], query: Query) -> list[Hit]:
        hits = []
        for name, docs in snapshot.items():
            index = self.cluster.indices.get(name) or Index(name, Mapping({}), {})
            for doc_id, doc in docs.items():
                score = query.score(index.mapping, doc_id, doc.source)
                if score is not None:
                    hits.append(Hit(name, doc_id, doc, score))
        return hits

    @staticmethod
    def _sorted_hits(hits: list[Hit], sort: SortSpec, mappings: dict[str, Mapping]) -> list[tuple[Hit, list]]:
        import functools

        if not sort.fields:
            ordered = sorted(hits, key=lambda h: -h.score)
            return [(h, []) for h in ordered]
        names = list(mappings)
        with_values = [
            (h, sort.values(h, mappings[h.index], names.index(h.index) << 32 | position))
            for position, h in enumerate(hits)
        ]
        return sorted(with_values, key=functools.cmp_to_key(lambda a, b: sort.compare(a[1], b[1])))

    @staticmethod
    def _hit_json(hit: Hit, sort_values: list, sort: SortSpec, body: dict) -> dict:
        out: dict[str, Any] = {
            "_index": hit.index,
            "_id": hit.doc_id,
            "_score": None if sort.fields else hit.score,
        }
        if body.get("_source", True) is not False:
            out["_source"] = copy.deepcopy(hit.doc.source)
        if body.get("seq_no_primary_term"):
            out["_seq_no"], out["_primary_term"] = hit.doc.seq_no, hit.doc.primary_term
        if body.get("version"):
            out["_version"] = hit.doc.version
        if sort.fields:
            out["sort"] = sort_values
        return out

    def _apply_refresh(self, query: dict, indices: list[Index]) -> None:
        refresh = query.get("refresh", "false")
        if refresh not in ("", "true", "false", "wait_for"):
            raise _bad_request(f"Unknown value for refresh: [{refresh}].")
        if refresh in ("", "true", "wait_for"):
            for index in indices:
                index.refresh()


def parse_bulk(raw: bytes) -> list[tuple[int, str, dict, Any]]:
    """(line number, action, metadata, source) per operation, validated like ES's bulk parser."""
    if not raw.strip():
        raise EsError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
    if not raw.endswith(b"\n"):
        raise _bad_request("The bulk request must be terminated by a newline [\\n]")
    lines = raw.decode("utf-8").split("\n")[:-1]
    operations, position = [], 0
    while position < len(lines):
        line_no = position + 1
        action, meta = _parse_action_line(lines[position], line_no)
        position += 1
        source = None
        if action != "delete":
            if position >= len(lines) or not lines[position].strip():
                raise _bad_request(
                    f"The bulk request must be terminated by a newline [\\n]; action [{action}] "
                    f"on line [{line_no}] has no source line"
                )
            try:
                source = json.loads(lines[position])
            except json.JSONDecodeError:
                source = _UNPARSEABLE
            position += 1
        operations.append((line_no, action, meta, source))
    return operations


_UNPARSEABLE = object()


def _parse_action_line(line: str, line_no: int) -> tuple[str, dict]:
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError:
        raise _bad_request(
            f"Malformed action/metadata line [{line_no}], expected START_OBJECT or END_OBJECT "
            "but found [VALUE_STRING]",
            "x_content_parse_exception",
        ) from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise _bad_request(f"Malformed action/metadata line [{line_no}], expected a single action object")
    ((action, meta),) = parsed.items()
    if action not in _BULK_ACTIONS:
        raise _bad_request(
            f"Malformed action/metadata line [{line_no}], expected field [create], [delete], "
            f"[index] or [update] but found [{action}]"
        )
    if not isinstance(meta, dict):
        raise _bad_request(
            f"Malformed action/metadata line [{line_no}], expected START_OBJECT but found "
            f"[{type(meta).__name__}]"
        )
    unknown = sorted(set(meta) - _BULK_META_PARAMS)
    if unknown:
        raise _bad_request(f"Action/metadata line [{line_no}] contains an unknown parameter [{unknown[0]}]")
    if ("if_seq_no" in meta) != ("if_primary_term" in meta):
        raise EsError(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: ifSeqNo is set, but primary term is [0];",
        )
    return action, meta


def _deep_merge(base: dict, changes: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _write_result(index: str, doc_id: str, doc: Doc, result: str) -> dict:
    return {
        "_index": index,
        "_id": doc_id,
        "_version": doc.version,
        "result": result,
        "_shards": {"total": 1, "successful": 1, "failed": 0},
        "_seq_no": doc.seq_no,
        "_primary_term": doc.primary_term,
    }


def _shards() -> dict:
    return {"total": 1, "successful": 1, "skipped": 0, "failed": 0}


def _int_or_none(value: str | None) -> int | None:
    return None if value is None else int(value)


# ---------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        cluster = self.server.cluster
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(method, unquote(split.path), query, headers, raw)
        compat = None
        try:
            compat = self._check_media_types(cluster.major, bool(raw))
            for hook in list(cluster.before_request):
                hook(request)
            with cluster.lock:
                cluster.requests.append(request)
                self._check_auth(cluster)
                status, body = self._route(method, request)
        except EsError as error:
            status, body = error.status, error.body()
        request.status = status
        self._respond(method, status, body, compat)

    def _check_media_types(self, major: int, has_body: bool) -> str | None:
        """The ``compatible-with`` version asked for (None: plain JSON), as a server of ``major`` checks it.

        A server serves its own major and the one before (REST API compatibility); Accept and a
        body's Content-Type must ask for the same version.
        """
        accept = self.headers.get("Accept") or ""
        content_type = self.headers.get("Content-Type") or ""
        asked = {
            header: found.group(1)
            for header, value in (("Accept", accept), ("Content-Type", content_type if has_body else ""))
            if (found := re.search(r"compatible-with=(\d+)", value))
        }
        for header, version in asked.items():
            if int(version) not in (major, major - 1):
                raise _media_type_error(
                    f"{header} version must be either version {major} or {major - 1}, but found {version}. "
                    f"{header}={accept if header == 'Accept' else content_type}"
                )
        plain_body = has_body and content_type and "Content-Type" not in asked
        if len(set(asked.values())) > 1 or (asked and plain_body):
            raise _media_type_error(
                "A compatible version is required on both Content-Type and Accept headers if either one "
                "has requested a compatible version and the compatible versions must match. "
                f"Accept={accept}, Content-Type={content_type}"
            )
        if content_type and not re.search(r"(json|ndjson)", content_type):
            raise EsError(
                406, "illegal_argument_exception", f"Content-Type header [{content_type}] is not supported"
            )
        return next(iter(asked.values()), None)

    def _check_auth(self, cluster: Cluster) -> None:
        if cluster.required_auth and self.headers.get("Authorization") != cluster.required_auth:
            raise EsError(
                401,
                "security_exception",
                "unable to authenticate user for REST request [/]",
                header={"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"', "ApiKey"]},
            )

    def _route(self, method: str, request: RecordedRequest) -> tuple[int, Any]:
        api = Api(self.server.cluster)
        parts = [p for p in request.path.split("/") if p]
        body = _json_body(request.body) if parts[-1:] != ["_bulk"] else None
        query = request.query
        if not parts:
            return api.info() if method in ("GET", "HEAD") else _no_handler(method, request.path)
        if parts[0] == "_index_template" and len(parts) == 2:
            if method == "PUT":
                return api.put_template(parts[1], body)
            if method in ("GET", "HEAD"):
                return api.get_template(parts[1])
            if method == "DELETE":
                return api.delete_template(parts[1])
        if parts[0] == "_alias" and len(parts) == 2 and method in ("GET", "HEAD"):
            return api.get_alias(parts[1])
        if parts == ["_bulk"] and method in ("POST", "PUT"):
            return api.bulk(None, request.body, query)
        if parts == ["_search"] and method in ("GET", "POST"):
            return api.search(None, body, query)
        if parts == ["_pit"] and method == "DELETE":
            return api.close_pit(body)
        if parts == ["_refresh"] and method in ("GET", "POST"):
            return api.refresh(None)
        if len(parts) == 1 and not parts[0].startswith("_"):
            if method == "PUT":
                return api.create_index(parts[0], body)
            if method in ("GET", "HEAD"):
                return api.get_indices(parts[0])
            if method == "DELETE":
                return api.delete_index(parts[0])
        if len(parts) == 2 and not parts[0].startswith("_"):
            target, endpoint = parts
            handlers = {
                ("POST", "_bulk"): lambda: api.bulk(target, request.body, query),
                ("PUT", "_bulk"): lambda: api.bulk(target, request.body, query),
                ("POST", "_search"): lambda: api.search(target, body, query),
                ("GET", "_search"): lambda: api.search(target, body, query),
                ("POST", "_count"): lambda: api.count(target, body),
                ("GET", "_count"): lambda: api.count(target, body),
                ("POST", "_refresh"): lambda: api.refresh(target),
                ("GET", "_refresh"): lambda: api.refresh(target),
                ("POST", "_pit"): lambda: api.open_pit(target, query),
                ("POST", "_rollover"): lambda: api.rollover(target),
                ("PUT", "_mapping"): lambda: api.put_mapping(target, body),
                ("POST", "_mapping"): lambda: api.put_mapping(target, body),
            }
            if (method, endpoint) in handlers:
                return handlers[(method, endpoint)]()
        if len(parts) == 3 and parts[1] in ("_doc", "_create") and method in ("PUT", "POST"):
            op_type = "create" if parts[1] == "_create" else "index"
            return api.index_doc(parts[0], parts[2], body, query, op_type)
        if len(parts) == 3 and parts[1] == "_doc" and method == "DELETE":  # the desk's release_alert
            return api.delete_doc(parts[0], parts[2], query)
        return _no_handler(method, request.path)

    def _respond(self, method: str, status: int, body: Any, compat: str | None) -> None:
        payload = b"" if method == "HEAD" else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        media_type = (
            f"application/vnd.elasticsearch+json;compatible-with={compat}" if compat else "application/json"
        )
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(payload)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="security" charset="UTF-8"')
        self.end_headers()
        self.wfile.write(payload)


def _media_type_error(reason: str) -> EsError:
    """What a real server answers to media types it cannot serve: a 400 with this shape."""
    return EsError(
        400,
        "media_type_header_exception",
        "Invalid media-type value on headers [Accept, Content-Type]",
        caused_by={"type": "status_exception", "reason": reason},
    )


def _json_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise EsError(400, "x_content_parse_exception", f"[1:{error.pos}] Unexpected character") from None


def _no_handler(method: str, path: str) -> tuple[int, dict]:
    raise EsError(
        405 if path.startswith("/_") else 400,
        "illegal_argument_exception",
        f"no handler found for uri [{path}] and method [{method}] (not implemented by the stand-in)",
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    cluster: Cluster


class StandinServer:
    """The stand-in, listening on 127.0.0.1 on a random free port."""

    def __init__(self, *, required_auth: str | None = None, version: str = DEFAULT_VERSION):
        self.cluster = Cluster(required_auth=required_auth, version=version)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.cluster = self.cluster
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="es-standin", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandinServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
