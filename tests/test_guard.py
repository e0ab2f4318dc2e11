"""The private-address guard: a public sweep never reaches private, loopback or reserved hosts."""

import pytest
from fixtures_sites import paste_source, sources_for, urls_source

from leaktrack.spiders.guard import non_public_reason
from leaktrack.spiders.middlewares import address_refusal
from leaktrack.spiders.sweep import run_sweep


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fd00::1",
        "0.0.0.0",
        "240.0.0.1",
        "100.64.0.1",
        "::ffff:127.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(host):
    reason = address_refusal(host)
    assert reason is not None and "non-public address" in reason


@pytest.mark.parametrize("host", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(host):
    assert address_refusal(host) is None


def test_sweep_refuses_private_addresses_by_default(local_site, crawl_settings, workspace):
    local_site.put("/leak.csv", "a,b\n1,2\n")
    config = sources_for(
        paste_source(local_site), urls_source(local_site, ["/leak.csv"]), allow_private_networks=False
    )

    summary = run_sweep(config, workspace, settings={**crawl_settings, "LEAKTRACK_SCAN": False})

    assert local_site.requests == []
    assert summary.totals()["pages"] == 0
    assert summary.per_source["pastes"]["refused_private"] == 1
    assert summary.per_source["known"]["refused_private"] == 1
    assert any(
        "127.0.0.1 resolves to non-public address 127.0.0.1" in error and "allow_private_networks" in error
        for error in summary.errors
    )


def test_allow_private_networks_lets_a_local_sweep_through(local_site, crawl_settings, workspace):
    local_site.put("/leak.csv", "a,b\n1,2\n")
    config = sources_for(urls_source(local_site, ["/leak.csv"]), allow_private_networks=True)

    summary = run_sweep(config, workspace, settings={**crawl_settings, "LEAKTRACK_SCAN": False})

    assert "/leak.csv" in local_site.requests
    assert summary.per_source["known"]["refused_private"] == 0


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "::a00:1",  # IPv4-compatible, hex form of 10.0.0.1
        "64:ff9b::127.0.0.1",  # NAT64 of loopback
        "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254 (cloud metadata)
    ],
)
def test_ipv6_addresses_are_judged_by_the_ipv4_address_they_carry(address):
    reason = non_public_reason(address)
    assert reason is not None and "carries non-public address" in reason


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"])
def test_ipv6_addresses_carrying_a_public_ipv4_address_pass(address):
    assert non_public_reason(address) is None


class RebindingDnsServer:
    """A DNS server on 127.0.0.1 (UDP) that answers a public address to the first query for a
    name and 127.0.0.1 to every later one: DNS rebinding, as an attacker's name server does."""

    def __init__(self, public: str = "93.184.215.14"):
        import socket
        import threading

        self.public = public
        self.queries: list[str] = []
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self.serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.socket.getsockname()[1]}"

    def serve(self) -> None:
        from dnslib import QTYPE, RR, A, DNSRecord

        while True:
            try:
                data, client = self.socket.recvfrom(512)
            except OSError:  # closed
                return
            query = DNSRecord.parse(data)
            reply = query.reply()
            if query.q.qtype == QTYPE.A:
                self.queries.append(str(query.q.qname))
                first = self.queries.count(str(query.q.qname)) == 1
                reply.add_answer(
                    RR(query.q.qname, QTYPE.A, rdata=A(self.public if first else "127.0.0.1"), ttl=0)
                )
            self.socket.sendto(reply.pack(), client)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()


def test_a_name_that_rebinds_to_loopback_is_refused_at_the_connection(local_site, crawl_settings, workspace):
    """The check sees a public address, the connection would get 127.0.0.1: refused there."""
    pytest.importorskip("dnslib")
    local_site.put("/leak.csv", "a,b\n1,2\n")
    port = local_site.server.server_address[1]
    with RebindingDnsServer() as dns:
        config = sources_for(
            {
                "name": "known",
                "kind": "urls",
                "urls": [f"http://rebind.test:{port}/leak.csv"],
                "obey_robots_txt": False,
            },
            allow_private_networks=False,
        )

        summary = run_sweep(
            config,
            workspace,
            settings={
                **crawl_settings,
                "LEAKTRACK_SCAN": False,
                "LEAKTRACK_DNS_SERVERS": [dns.address],
                "RETRY_TIMES": 0,
            },
        )

    assert len(dns.queries) >= 2  # the check and the connection each asked
    assert local_site.requests == []
    assert summary.per_source["known"]["refused_private"] == 1
    (error,) = summary.errors
    assert "at the connection" in error and "non-public address 127.0.0.1" in error
    assert "\n" not in error


def test_the_resolver_lets_private_addresses_through_when_allowed(local_site, crawl_settings, workspace):
    pytest.importorskip("dnslib")
    local_site.put("/leak.csv", "a,b\n1,2\n")
    port = local_site.server.server_address[1]
    with RebindingDnsServer(public="127.0.0.1") as dns:
        config = sources_for(
            {"name": "known", "kind": "urls", "urls": [f"http://rebind.test:{port}/leak.csv"]},
            allow_private_networks=True,
        )

        summary = run_sweep(
            config,
            workspace,
            settings={**crawl_settings, "LEAKTRACK_SCAN": False, "LEAKTRACK_DNS_SERVERS": [dns.address]},
        )

    assert "/leak.csv" in local_site.requests
    assert summary.per_source["known"]["pages"] >= 1
