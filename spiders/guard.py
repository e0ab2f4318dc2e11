"""The private-address guard at the connection: a resolver that never hands a non-public address
to the downloader.

A paste that links to ``http://127.0.0.1/`` or to a name that resolves to the crawler's own
network must not turn the crawler against its host. Checking the name apart from the download
is not enough: a name that answers a public address to the check and a private one to the
connection (DNS rebinding) gets through. So ``GuardedResolver`` is Scrapy's
``TWISTED_DNS_RESOLVER``: every connection asks it, and it judges every address it returns. The
``PrivateAddressGuard`` middleware checks earlier (no robots.txt request to a refused host, a
``refused_private`` count); this resolver is what enforces the rule.

IPv6 addresses that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the address they carry:
Python's ``ipaddress`` calls some of them global although they lead to a private one.

Imports Twisted, not Scrapy's crawler machinery; used by middlewares.py and settings.py.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
SIXTOFOUR_PREFIX = ipaddress.IPv6Network("2002::/16")

# Host -> why the connection to it was refused, for the failure's explanation (one crawl per
# process: see crawl.py).
CONNECTION_REFUSALS: dict[str, str] = {}


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or None."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    packed = int(address)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d (IPv4-compatible); :: and ::1 are not
        return ipaddress.IPv4Address(packed)
    return None


def non_public_reason(text: str) -> str | None:
    """Why address ``text`` must not be connected to (not a public address), or None."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        carried = embedded_ipv4(address)
        if carried is not None:
            if not carried.is_global:
                return f"{address} carries non-public address {carried}"
            return None
    if not address.is_global or address.is_multicast:
        return f"non-public address {address}"
    return None


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def addresses_refusal(host: str, addresses: list[str]) -> str | None:
    """Why ``host`` must not be crawled, given every address it resolved to (one bad one is enough)."""
    for address in addresses:
        reason = non_public_reason(address)
        if reason:
            return f"{host} resolves to {reason}"
    return None


def system_lookup(host: str) -> list[str]:
    """Every address ``host`` resolves to through the system resolver (blocks); [] if none."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


class NameServerLookup:
    """Addresses of a name asked of given DNS servers (``LEAKTRACK_DNS_SERVERS``: "host:port"),
    A and AAAA, through Twisted's DNS client; no hosts file, no cache."""

    def __init__(self, servers: list[str], timeout: float):
        from twisted.names import client

        self.resolver = client.Resolver(servers=[_host_and_port(server) for server in servers])
        self.timeout = (max(1, round(timeout)),)

    def __call__(self, host: str) -> defer.Deferred:
        from twisted.names import dns

        lookups = [
            self.resolver.lookupAddress(host, timeout=self.timeout),
            self.resolver.lookupIPV6Address(host, timeout=self.timeout),
        ]

        def addresses(results) -> list[str]:
            found = []
            for succeeded, result in results:
                if not succeeded:
                    continue
                for record in result[0]:
                    if record.type in (dns.A, dns.AAAA):
                        found.append(record.payload.dottedQuad() if record.type == dns.A else _ipv6(record))
            return found

        return defer.DeferredList(lookups, consumeErrors=True).addCallback(addresses)


def _ipv6(record) -> str:
    return socket.inet_ntop(socket.AF_INET6, record.payload.address)


def _host_and_port(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    return (host, int(port)) if host else (server, 53)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:
        pass


@implementer(IHostnameResolver)
class GuardedResolver:
    """Scrapy's ``TWISTED_DNS_RESOLVER``: resolves names, and refuses (answers no address for)
    a name with any non-public address unless ``LEAKTRACK_ALLOW_PRIVATE_NETWORKS``. Nothing is
    cached, so each connection is judged on the answer it will use."""

    installed: GuardedResolver | None = None  # the one of this process, for the middleware

    def __init__(self, reactor, allow_private: bool, lookup: Callable[[str], defer.Deferred]):
        self.reactor = reactor
        self.allow_private = allow_private
        self.lookup = lookup

    @classmethod
    def from_crawler(cls, crawler, reactor) -> GuardedResolver:
        settings = crawler.settings
        servers = settings.getlist("LEAKTRACK_DNS_SERVERS")

        def lookup_in_thread(host: str) -> defer.Deferred:
            from twisted.internet.threads import deferToThreadPool

            return deferToThreadPool(reactor, reactor.getThreadPool(), system_lookup, host)

        lookup: Callable[[str], defer.Deferred] = (
            NameServerLookup(servers, settings.getfloat("DNS_TIMEOUT")) if servers else lookup_in_thread
        )
        return cls(reactor, settings.getbool("LEAKTRACK_ALLOW_PRIVATE_NETWORKS"), lookup)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)
        GuardedResolver.installed = self

    def addresses(self, host: str) -> defer.Deferred:
        """Every address of ``host`` (an address literal is its own)."""
        if is_ip_literal(host):
            return defer.succeed([host.strip("[]")])
        return defer.maybeDeferred(self.lookup, host)

    def resolveHostName(  # noqa: N802 (Twisted's interface)
        self,
        # An IResolutionReceiver: zope interfaces are no classes to mypy (their methods lack self).
        resolutionReceiver: Any,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes=None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> _Resolution:  # an IHostResolution
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def deliver(addresses: list[str]) -> None:
            refusal = None if self.allow_private else addresses_refusal(hostName, addresses)
            if refusal:
                CONNECTION_REFUSALS[hostName] = refusal  # answered with no address: DNSLookupError
            else:
                for address in addresses:
                    if _wanted(address, addressTypes):
                        resolutionReceiver.addressResolved(_twisted_address(address, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(_failure) -> None:
            resolutionReceiver.resolutionComplete()

        self.addresses(hostName).addCallbacks(deliver, failed)
        return resolution


def _wanted(address: str, address_types) -> bool:
    kind = IPv6Address if ":" in address else IPv4Address
    return not address_types or kind in address_types


def _twisted_address(address: str, port: int):
    return IPv6Address("TCP", address, port) if ":" in address else IPv4Address("TCP", address, port)
