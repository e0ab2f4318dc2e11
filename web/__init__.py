"""The review desk: ``leaktrack serve``, a server-rendered web app over the match store.

Starlette (ASGI) with Jinja2 templates and a small vendored htmx for progressive enhancement;
no JavaScript build step. Accounts, sessions, CSRF, the audit trail and the pages live here; the
store is reached only through ``MatchStore``. Imports ``index``, ``fingerprints`` and
``spiders`` (never ``cli``); nothing below imports ``web``.
"""
