"""JSON and JSON Lines: each record (an object, nested parts flattened) to one TAB-separated
line; arrays and id-keyed collections of records one line per element."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from . import limits
from .cells import one_line


def json_to_lines(text: str) -> tuple[str, str] | None:
    """(kind, lines) for JSON or JSON Lines text; None when it is neither."""
    try:
        document = json.loads(text)
        return "json", "\n".join(_json_lines(document)) + "\n"
    except (json.JSONDecodeError, RecursionError):
        pass
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            lines.extend(_json_lines(json.loads(line)))
        except (json.JSONDecodeError, RecursionError):
            return None
    return "jsonl", "\n".join(lines) + "\n"


def _json_lines(value: Any) -> Iterator[str]:
    """Records as lines: an object's scalar values (nested objects flattened) joined by TAB.

    Arrays of objects or arrays, and objects keyed by record id (``{"A-1": {...}, ...}``),
    are one line per element, wherever they are nested.
    """
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            if value:
                yield "\t".join(_json_scalar(v) for v in value)
            return
        for element in value:
            yield from _json_lines(element)
    elif isinstance(value, dict) and _is_flat(value):
        yield _flat_record_line(value)
    elif isinstance(value, dict) and _is_keyed_collection(value):
        for key, element in value.items():
            if isinstance(element, dict):
                yield from (f"{one_line(key)}\t{line}" for line in _json_lines(element))
            else:
                yield from _json_lines(element)
    elif isinstance(value, dict):
        cells: list[str] = []
        collections: list[Any] = []
        _flatten_record(value, cells, collections)
        if cells:
            yield "\t".join(cells)
        for collection in collections:
            yield from _json_lines(collection)
    else:
        yield _json_scalar(value)


def _flat_record_line(record: dict) -> str:
    """The common case, kept quick: string values joined at C speed when they are safe."""
    values = record.values()
    try:
        line = "\t".join(values)  # type: ignore[arg-type]
    except TypeError:  # numbers, booleans, nulls
        return "\t".join(map(_json_scalar, values))
    if "\n" in line or "\r" in line or line.count("\t") != len(values) - 1:
        return "\t".join(map(_json_scalar, values))
    return line


def _is_flat(obj: dict) -> bool:
    return not any(isinstance(v, (dict, list)) for v in obj.values())


def _is_keyed_collection(obj: dict) -> bool:
    values = list(obj.values())
    if len(values) < limits.KEYED_COLLECTION_MIN_RECORDS or not all(isinstance(v, dict) for v in values):
        return False
    first_keys = values[0].keys()
    return all(v.keys() == first_keys for v in values)


def _flatten_record(obj: dict, cells: list[str], collections: list[Any]) -> None:
    """Scalars (of nested objects too) into ``cells``; nested collections of records aside."""
    for value in obj.values():
        if isinstance(value, dict):
            if _is_keyed_collection(value):
                collections.append(value)
            else:
                _flatten_record(value, cells, collections)
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                cells.extend(_json_scalar(v) for v in value)
            else:
                collections.append(value)
        else:
            cells.append(_json_scalar(value))


def _json_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return one_line(str(value))
