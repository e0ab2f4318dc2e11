"""RDAP: who runs the network an address is in, and which registrar a domain is registered with,
with the abuse contacts they publish.

A small client over ``fetch.Fetcher``, not the ``whoisit`` library: whoisit keeps its bootstrap
data and HTTP session in module globals (one configuration per process; a second
``load_bootstrap_data`` is refused until ``clear_bootstrapping``), calls ``requests`` without a
timeout in ``domain()``/``ip()``, and follows registry -> registrar links itself, so the
private-address refusal on every hop and a per-lookup timeout would have to be patched in
through a globally cached session. RDAP is two JSON shapes:

- Bootstrap (RFC 7484): ``{"services": [[["com", "net"], ["https://rdap.example/"]], ...]}``
  in ``dns.json`` (TLDs), ``ipv4.json``/``ipv6.json`` (CIDR prefixes; longest match wins).
- Answers (RFC 9083): ``entities`` with ``roles`` and a jCard ``vcardArray``
  (``["vcard", [["fn", {}, "text", "Name"], ["email", {}, "text", "abuse@..."], ...]]``);
  entities nest (a registrar's abuse contact is an entity inside the registrar entity, as the
  ICANN RDAP profile has it; an IP network's abuse entity is often inside its organisation's).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

from . import settings
from .contacts import Contact
from .fetch import Fetcher, LookupFailed

RDAP_MEDIA_TYPE = "application/rdap+json"
BOOTSTRAP_FILES = ("dns", "ipv4", "ipv6")


def _json_of(body: bytes, what: str) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise LookupFailed(f"{what}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise LookupFailed(f"{what}: the answer is not a JSON object")
    return data


def _services(bootstrap: dict) -> list[tuple[list[str], list[str]]]:
    services = bootstrap.get("services")
    if not isinstance(services, list):
        raise LookupFailed("RDAP bootstrap file has no services list (RFC 7484)")
    usable = []
    for entry in services:
        if isinstance(entry, list) and len(entry) >= 2 and all(isinstance(part, list) for part in entry[:2]):
            usable.append(([str(key).lower() for key in entry[0]], [str(url) for url in entry[1]]))
    return usable


def _preferred(urls: list[str]) -> str:
    # RFC 7484 section 3: prefer https when a service lists both.
    return next((url for url in urls if url.startswith("https://")), urls[0])


def server_for_domain(bootstrap: dict, domain: str) -> str | None:
    """The RDAP base URL for ``domain``: the entry of its longest matching label suffix."""
    labels = domain.lower().strip(".").split(".")
    by_suffix = {key: urls for keys, urls in _services(bootstrap) for key in keys if urls}
    for start in range(len(labels)):
        urls = by_suffix.get(".".join(labels[start:]))
        if urls:
            return _preferred(urls)
    return None


def server_for_address(bootstrap: dict, address: str) -> str | None:
    """The RDAP base URL for ``address``: the entry of its longest matching prefix."""
    ip = ipaddress.ip_address(address)
    best: tuple[int, str] | None = None
    for keys, urls in _services(bootstrap):
        for key in keys:
            try:
                network = ipaddress.ip_network(key, strict=False)
            except ValueError:
                continue
            if urls and ip.version == network.version and ip in network:
                if best is None or network.prefixlen > best[0]:
                    best = (network.prefixlen, _preferred(urls))
    return best[1] if best else None


def _vcard_values(entity: dict, name: str) -> list[str]:
    vcard = entity.get("vcardArray")
    if not (isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list)):
        return []
    values = []
    for prop in vcard[1]:
        if isinstance(prop, list) and len(prop) >= 4 and prop[0] == name and isinstance(prop[3], str):
            values.append(prop[3].strip())
    return [value for value in values if value]


def _entities(node: dict) -> Iterator[tuple[dict, dict | None]]:
    """Every entity in an answer, with its parent entity (None at the top level)."""
    stack: list[tuple[dict, dict | None]] = [
        (entity, None) for entity in node.get("entities") or [] if isinstance(entity, dict)
    ]
    while stack:
        entity, parent = stack.pop(0)
        yield entity, parent
        stack += [(child, entity) for child in entity.get("entities") or [] if isinstance(child, dict)]


def _roles(entity: dict) -> list[str]:
    roles = entity.get("roles")
    return [str(role).lower() for role in roles] if isinstance(roles, list) else []


def _email(value: str) -> str | None:
    value = value.removeprefix("mailto:").strip()
    return value if "@" in value and " " not in value and len(value) < 255 else None


def abuse_contacts(answer: dict, role: str, source: str, found_at: datetime) -> list[Contact]:
    """The abuse mailboxes an RDAP answer publishes, named after their owner.

    ``role``: "hosting" for an IP network, "registrar" for a domain (only abuse entities of the
    registrar count then: a registrant's own mailbox would reach the uploader).
    """
    contacts: dict[str, Contact] = {}
    network_name = answer.get("name") if isinstance(answer.get("name"), str) else None
    for entity, parent in _entities(answer):
        if "abuse" not in _roles(entity):
            continue
        if role == "registrar" and not (parent is not None and "registrar" in _roles(parent)):
            continue
        owner = parent if parent is not None else entity
        name = next(iter(_vcard_values(owner, "fn") or _vcard_values(entity, "fn")), None)
        for value in _vcard_values(entity, "email"):
            email = _email(value)
            if email and email.lower() not in contacts:
                contacts[email.lower()] = Contact(
                    role=role,
                    name=name or network_name or email.split("@", 1)[1],
                    email=email,
                    source=source,
                    found_at=found_at,
                    note="abuse contact published in RDAP",
                )
    return list(contacts.values())


def registrar_name(answer: dict) -> str | None:
    for entity, _ in _entities(answer):
        if "registrar" in _roles(entity):
            return next(iter(_vcard_values(entity, "fn")), None)
    return None


def _related_links(answer: dict) -> list[str]:
    links = answer.get("links")
    if not isinstance(links, list):
        return []
    return [
        link["href"]
        for link in links
        if isinstance(link, dict)
        and link.get("rel") in ("related", "registration")
        and isinstance(link.get("href"), str)
        and RDAP_MEDIA_TYPE in str(link.get("type", RDAP_MEDIA_TYPE))
    ]


class RdapClient:
    """IP and domain lookups; bootstrap files come from ``bootstrap_base`` (cached by the caller)."""

    def __init__(
        self,
        fetcher: Fetcher,
        bootstrap_base: str = settings.RDAP_BOOTSTRAP_BASE,
        bootstrap_files: Callable[[str], dict] | None = None,
        per_server: int = settings.LOOKUP_PER_SERVER,
    ):
        self.fetcher = fetcher
        self.bootstrap_base = bootstrap_base if bootstrap_base.endswith("/") else bootstrap_base + "/"
        # kind -> bootstrap file: the finder's (fetched once, cached in the store); default: fetch.
        self.bootstrap = bootstrap_files or self.fetch_bootstrap
        self._per_server = per_server
        self._slots: dict[str, threading.Semaphore] = {}
        self._slots_lock = threading.Lock()

    def _slot(self, url: str) -> threading.Semaphore:
        with self._slots_lock:
            return self._slots.setdefault(urlsplit(url).netloc, threading.Semaphore(self._per_server))

    def _get_json(self, url: str, what: str) -> tuple[str, dict]:
        with self._slot(url):
            answer = self.fetcher.get(url, f"{RDAP_MEDIA_TYPE}, application/json")
        if answer.status == 404:
            raise LookupFailed(f"{what}: {urlsplit(url).netloc} has no record (404)")
        if answer.status != 200:
            raise LookupFailed(f"{what}: {urlsplit(url).netloc} answered HTTP {answer.status}")
        return answer.url, _json_of(answer.body, what)

    def bootstrap_url(self, kind: str) -> str:
        return urljoin(self.bootstrap_base, f"{kind}.json")

    def fetch_bootstrap(self, kind: str) -> dict:
        """The RFC 7484 bootstrap file ``kind`` ("dns", "ipv4" or "ipv6")."""
        bootstrap = self._get_json(self.bootstrap_url(kind), f"RDAP bootstrap {kind}.json")[1]
        _services(bootstrap)  # LookupFailed now if it is not one
        return bootstrap

    def network_contacts(self, address: str, found_at: datetime) -> list[Contact]:
        kind = "ipv6" if ipaddress.ip_address(address).version == 6 else "ipv4"
        server = server_for_address(self.bootstrap(kind), address)
        if server is None:
            raise LookupFailed(f"no RDAP server for {address} in the IANA bootstrap")
        url = urljoin(server if server.endswith("/") else server + "/", f"ip/{address}")
        final_url, answer = self._get_json(url, f"RDAP for {address}")
        contacts = abuse_contacts(answer, "hosting", f"rdap {final_url}", found_at)
        if not contacts:
            raise LookupFailed(f"RDAP for {address} ({final_url}) publishes no abuse contact")
        return contacts

    def registrar_contacts(self, domain: str, found_at: datetime) -> list[Contact]:
        server = server_for_domain(self.bootstrap("dns"), domain)
        if server is None:
            raise LookupFailed(f"no RDAP server for {domain} in the IANA bootstrap")
        url = urljoin(server if server.endswith("/") else server + "/", f"domain/{quote(domain)}")
        final_url, answer = self._get_json(url, f"RDAP for {domain}")
        contacts = abuse_contacts(answer, "registrar", f"rdap {final_url}", found_at)
        # A thin registry (.com) names the registrar and links to the registrar's own RDAP
        # server, where the abuse contact is: follow one such link.
        for link in _related_links(answer)[:1] if not contacts else []:
            related_url, related = self._get_json(link, f"registrar RDAP for {domain}")
            contacts = abuse_contacts(related, "registrar", f"rdap {related_url}", found_at)
        if not contacts:
            name = registrar_name(answer)
            raise LookupFailed(
                f"RDAP for {domain} ({final_url}) publishes no registrar abuse contact"
                + (f" (registrar: {name})" if name else "")
            )
        return contacts
