"""How a distributed sweep's requests are written into Redis: JSON, not pickle.

scrapy-redis pickles requests by default; anyone who can write to the Redis could then run
code in every worker that unpickles them. A request's dict (``Request.to_dict``: URL, method,
headers, body, meta, callback and errback *names*) is written as JSON instead, bytes as
``{"__bytes__": base64}``, and a leaktrack dataclass in meta (a source kind's record of what a
request is for) as its fields with its class name, rebuilt only if that names a dataclass of
the leaktrack package. Set as ``SCHEDULER_SERIALIZER`` (a module with ``dumps``/``loads``).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from importlib import import_module
from typing import Any

BYTES_KEY = "__bytes__"
DATACLASS_KEY = "__dataclass__"
PACKAGE = "leaktrack."


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {BYTES_KEY: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {_key(key): _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        fields = {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return {DATACLASS_KEY: f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    return value


def _key(key: Any) -> str:
    if isinstance(key, bytes):  # header names
        return key.decode("latin-1")
    return str(key)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {BYTES_KEY}:
            return base64.b64decode(value[BYTES_KEY])
        if set(value) == {DATACLASS_KEY, "fields"}:
            return _dataclass(value[DATACLASS_KEY], _decode(value["fields"]))
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def dumps(request_dict: dict) -> str:
    return json.dumps(_encode(request_dict), sort_keys=True, separators=(",", ":"))


def loads(data: bytes | str) -> dict:
    return _decode(json.loads(data))


def _dataclass(name: str, fields: dict) -> Any:
    module, _, qualname = name.partition(":")
    kind = getattr(import_module(module), qualname, None) if module.startswith(PACKAGE) else None
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise ValueError(f"{name!r} is not a leaktrack dataclass: refused in a queued request")
    return kind(**fields)
