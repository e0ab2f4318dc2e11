"""Fingerprint a leaked dataset without keeping its plaintext, and scan documents for it.

Imports neither Scrapy nor the store: it is the core the others build on.
"""

from .build import build_fingerprint_set, fingerprint_dataset_file
from .fingerprint_set import FingerprintSet
from .keys import load_or_create_key
from .results import ScanResult
from .scan import holds_dataset_values, scan_bytes, scan_text

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
