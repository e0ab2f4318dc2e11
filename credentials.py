"""Secrets of a run (store credentials, API tokens): resolved once at an edge, handed down, never shown.

The one path a secret takes, so a reviewer reads one place:

1. ``cli/workspace.py`` resolves it, as it resolves every setting: the Elasticsearch store's
   ``es.api_key``, ``es.user`` and ``es.password`` (environment or an owner-only config file),
   and the environment variable each source names with ``token_env = "GITHUB_TOKEN"``. They
   land in ``Workspace.secrets``, a ``Secrets`` mapping keyed by environment variable name
   (``LEAKTRACK_ES_API_KEY``, ``GITHUB_TOKEN``).
2. The library takes them as a parameter: ``index.open_workspace_store(workspace)`` (or
   ``open_store(url, secrets=...)``) gives the store its credentials; ``run_sweep`` gives the
   crawl its tokens and the store's credentials.
3. A crawl runs in a child process. Scrapy logs its settings and ``ps`` shows its command line,
   so neither ever holds a secret: the secrets cross with the job on the child's stdin (a pipe;
   ``CrawlJob.secrets``), and the child's entry point (``crawl.child_main``) hands them to every
   spider as its ``secrets`` argument; the pipelines open the store with their spider's.

A ``Secrets`` prints as its names only, and ``redact`` takes its values out of a text. Nothing
stores, logs or counts a value; ``config show`` masks secret settings. This module imports
nothing of ours: every wing may use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

MASK = "***"


class Secrets(Mapping[str, str]):
    """Named secret values (name: the environment variable they come from); empty values dropped.

    Read-only, and shown as its names only: ``repr`` in a log or a traceback reveals no value.
    """

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = {name: value for name, value in (values or {}).items() if value}

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets({', '.join(f'{name}={MASK}' for name in sorted(self._values))})"

    __str__ = __repr__

    def merged(self, other: Mapping[str, str] | None) -> Secrets:
        """These secrets and ``other``'s (``other`` wins on a name both have)."""
        return Secrets({**self._values, **(other or {})})

    def redact(self, text: str) -> str:
        """``text`` with every value replaced by ``***`` (longest first: one may contain another)."""
        for value in sorted(self._values.values(), key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def to_dict(self) -> dict[str, str]:
        """The plain mapping, for the crawl job's stdin only (see the module docstring)."""
        return dict(self._values)
