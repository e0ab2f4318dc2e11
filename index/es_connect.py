"""Before the Elasticsearch store says a word to a cluster: can it be reached, and do we fit it?

Reachable: one TCP connection with a short timeout (``settings.ES_CONNECT_TIMEOUT_SECONDS``),
so a refused connection fails at once and a host that never answers fails in seconds, with
one line, instead of after the client's request timeout and retries. Those stay as they are
for the requests that follow: a slow cluster accepts connections at once and answers late.

Fit: the ``elasticsearch`` client speaks its own major version (``compatible-with=N`` media
types), and a server serves its own major and the one before. So the 9.x client is refused by
every 8.x cluster (a bare 400 ``media_type_header_exception`` on the first request), while the
8.x client still works with a 9.x cluster. The client must follow the cluster's major: the
extras ``leaktrack[es8]`` and ``leaktrack[es9]`` pin it. ``check_fit`` names the cluster's
version and what to install when they do not fit.

Imports nothing of the client, so the checks are testable and usable before it is installed.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from ..errors import StoreError
from . import settings


def probe_connection(url: str, redacted: str, timeout: float | None = None) -> None:
    """StoreError unless a TCP connection to the URL's host and port opens within ``timeout``."""
    timeout = settings.ES_CONNECT_TIMEOUT_SECONDS if timeout is None else timeout
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=timeout).close()
    except ConnectionRefusedError:
        raise unreachable(redacted, "connection refused") from None
    except TimeoutError:
        raise unreachable(redacted, f"no connection within {timeout:g} s") from None
    except socket.gaierror:
        raise unreachable(redacted, "unknown host") from None
    except OSError as error:  # no route to host, network unreachable ...
        raise unreachable(redacted, (error.strerror or str(error)).lower()) from None


def unreachable(redacted: str, reason: str, doing: str = "connecting") -> StoreError:
    """The one message for a cluster we cannot talk to, from the probe and from any later request."""
    return StoreError(f"cannot reach Elasticsearch at {redacted} while {doing}: {reason}")


def cluster_version(info: dict, redacted: str) -> str:
    """The version number from ``GET /``; StoreError if the answer is not Elasticsearch's."""
    version = info.get("version") if isinstance(info, dict) else None
    number = version.get("number") if isinstance(version, dict) else None
    if not isinstance(version, dict) or not isinstance(number, str) or not number.split(".")[0].isdigit():
        raise StoreError(f"{redacted} did not answer as Elasticsearch (no version number in GET /)")
    if version.get("distribution") == "opensearch":
        raise StoreError(f"{redacted} is OpenSearch {number}: leaktrack's store needs Elasticsearch 8 or 9")
    return number


def check_fit(cluster: str, client: str, redacted: str) -> str | None:
    """StoreError if the installed client cannot work with the cluster; a warning if it only just can.

    ``cluster`` and ``client`` are version numbers ("8.17.0", "9.1.2").
    """
    cluster_major, client_major = _major(cluster), _major(client)
    if cluster_major == client_major and cluster_major in settings.ES_SUPPORTED_MAJORS:
        return None
    if cluster_major not in settings.ES_SUPPORTED_MAJORS:
        supported = " or ".join(map(str, settings.ES_SUPPORTED_MAJORS))
        raise StoreError(
            f"Elasticsearch at {redacted} is version {cluster}: leaktrack's store works with Elasticsearch "
            f"{supported}"
        )
    install = f"pip install 'leaktrack[{settings.ES_EXTRAS[cluster_major]}]'"
    if cluster_major == client_major + 1:  # the server still serves the client's major
        return (
            f"Elasticsearch at {redacted} is version {cluster} and the installed client is {client}: it works "
            f"through REST API compatibility, but install the matching client: {install}"
        )
    raise StoreError(
        f"Elasticsearch at {redacted} is version {cluster}, which refuses the installed {client} client "
        f"(it speaks Elasticsearch {client_major}): install the client for Elasticsearch {cluster_major}: {install}"
    )


def _major(version: str) -> int:
    return int(version.split(".")[0])
