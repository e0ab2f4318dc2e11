"""Fingerprint a leaked dataset without keeping its plaintext, and scan documents for it.

Imports neither Scrapy nor the store: it is the core the others build on.
"""
