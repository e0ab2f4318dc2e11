"""Fingerprint a leaked dataset without keeping its plaintext, and scan documents for it.

Imports neither Scrapy nor the store: it is the core the others build on.

The names below are imported on first use (PEP 562), so that importing one submodule (the
dataset readers, the evidence windows) does not load the builder and the scanner with numpy:
every ``leaktrack`` command pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import build_fingerprint_set, fingerprint_dataset_file
    from .fingerprint_set import FingerprintSet
    from .keys import load_or_create_key
    from .results import ScanResult
    from .scan import holds_dataset_values, scan_bytes, scan_text

_HOMES = {
    "FingerprintSet": "fingerprint_set",
    "ScanResult": "results",
    "build_fingerprint_set": "build",
    "fingerprint_dataset_file": "build",
    "holds_dataset_values": "scan",
    "load_or_create_key": "keys",
    "scan_bytes": "scan",
    "scan_text": "scan",
}

__all__ = [
    "FingerprintSet",
    "ScanResult",
    "build_fingerprint_set",
    "fingerprint_dataset_file",
    "holds_dataset_values",
    "load_or_create_key",
    "scan_bytes",
    "scan_text",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value
