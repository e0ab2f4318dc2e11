"""The private-address guard: a public sweep never reaches private, loopback or reserved hosts."""

import pytest
from fixtures_sites import paste_source, sources_for, urls_source

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


def test_sweep_refuses_private_addresses_by_default(local_site, crawl_settings):
    local_site.put("/leak.csv", "a,b\n1,2\n")
    config = sources_for(
        paste_source(local_site), urls_source(local_site, ["/leak.csv"]), allow_private_networks=False
    )

    summary = run_sweep(config, settings={**crawl_settings, "LEAKTRACK_SCAN": False})

    assert local_site.requests == []
    assert summary.totals()["pages"] == 0
    assert summary.per_source["pastes"]["refused_private"] == 1
    assert summary.per_source["known"]["refused_private"] == 1
    assert any(
        "127.0.0.1 resolves to non-public address 127.0.0.1" in error and "allow_private_networks" in error
        for error in summary.errors
    )


def test_allow_private_networks_lets_a_local_sweep_through(local_site, crawl_settings):
    local_site.put("/leak.csv", "a,b\n1,2\n")
    config = sources_for(urls_source(local_site, ["/leak.csv"]), allow_private_networks=True)

    summary = run_sweep(config, settings={**crawl_settings, "LEAKTRACK_SCAN": False})

    assert "/leak.csv" in local_site.requests
    assert summary.per_source["known"]["refused_private"] == 0
