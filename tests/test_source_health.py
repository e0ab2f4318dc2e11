"""Source health: real sweeps of local sites that went dark, the summary's warnings,
``sweep --strict`` and ``sources status`` (spiders/health.py)."""

import json

from fixtures_sites import fast_settings_args, home_store, paste_source, sources_for, sweep_with, text_of
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import ExitCode
from leaktrack.spiders.health import MANY_DOCUMENTS, dark_reasons, error_kind
from leaktrack.spiders.sites import add_pastes


def paste_texts(count: int) -> dict[str, str]:
    return {f"note{index}": f"shopping list number {index}: eggs, flour" for index in range(count)}


def archive_without_item_links(site) -> None:
    """The archive still answers 200, but its markup changed: no link matches item_links."""
    site.put("/archive", "<html><body><div class='new-layout'>Recent pastes</div></body></html>")


def test_a_listing_without_item_links_makes_the_source_dark(local_site, crawl_settings, leak_fingerprints):
    archive_without_item_links(local_site)

    summary = sweep_with(sources_for(paste_source(local_site)), leak_fingerprints, crawl_settings)

    assert [dark.source for dark in summary.dark_sources] == ["pastes"]
    assert "listing page(s) with no item links" in summary.warnings[0]
    assert summary.per_source["pastes"]["empty_listings"] == 1
    assert summary.per_source["pastes"]["requests"] >= 1
    with home_store() as store:
        assert store.list_sweeps()[0].per_source["pastes"]["empty_listings"] == 1


def test_a_listing_with_item_links_is_alive_with_requests_counted(
    local_site, crawl_settings, leak_fingerprints
):
    add_pastes(local_site, paste_texts(3))

    summary = sweep_with(sources_for(paste_source(local_site)), leak_fingerprints, crawl_settings)

    assert summary.dark_sources == []
    assert summary.warnings == []
    counts = summary.per_source["pastes"]
    assert counts["requests"] == 4  # the archive and three raw pastes
    assert counts["documents"] == 3


def test_a_source_answering_403_is_dark_with_its_errors_counted_by_kind(
    local_site, crawl_settings, leak_fingerprints
):
    local_site.put("/archive", "key required", status=403)

    summary = sweep_with(sources_for(paste_source(local_site)), leak_fingerprints, crawl_settings)

    counts = summary.per_source["pastes"]
    assert counts["errors_http_403"] == 1
    assert summary.dark_sources[0].reasons == ["refused by the site: HTTP 403 x1"]


def test_a_missing_page_is_an_error_of_its_kind_but_not_a_dark_source(
    local_site, crawl_settings, leak_fingerprints
):
    add_pastes(local_site, paste_texts(2))
    local_site.remove("/raw/note0")

    summary = sweep_with(sources_for(paste_source(local_site)), leak_fingerprints, crawl_settings)

    assert summary.per_source["pastes"]["errors_http_404"] == 1
    assert summary.dark_sources == []


def test_zero_documents_after_busy_sweeps_is_dark_but_a_quiet_incremental_sweep_is_not(
    local_site, crawl_settings, leak_fingerprints
):
    config = sources_for(paste_source(local_site))
    add_pastes(local_site, paste_texts(MANY_DOCUMENTS + 1))
    sweep_with(config, leak_fingerprints, crawl_settings)

    quiet = sweep_with(config, leak_fingerprints, crawl_settings)  # every paste already seen
    assert quiet.per_source["pastes"]["skipped_seen"] == MANY_DOCUMENTS + 1
    assert quiet.dark_sources == []

    for paste_id in list(local_site.pastes):  # the pastes vanish behind links that now answer 404
        local_site.remove(f"/raw/{paste_id}")
    local_site.put("/archive", '<html><body><a href="/p/gone1">gone</a></body></html>')
    dark = sweep_with(config, leak_fingerprints, crawl_settings)
    assert dark.per_source["pastes"]["documents"] == 0
    assert any("no documents, after" in reason for reason in dark.dark_sources[0].reasons)


def test_dark_reasons_read_counts_and_history():
    assert dark_reasons({"documents": 3}, []) == []
    assert dark_reasons({"documents": 0}, [{"documents": 1}]) == []  # never many: not dark
    assert dark_reasons({"errors_http_429": 2}, []) == ["refused by the site: HTTP 429 x2"]
    assert error_kind(status=503) == "http_5xx"
    assert error_kind(status=401) == "http_401"
    assert error_kind(exception=TimeoutError()) == "timeout"


def test_a_server_gone_mid_response_counts_as_a_connection_error():
    from scrapy.exceptions import DownloadConnectionRefusedError, DownloadFailedError, ResponseDataLossError

    for error in (DownloadFailedError(), ResponseDataLossError(), DownloadConnectionRefusedError()):
        assert error_kind(exception=error) == "connection", error


def write_sources(tmp_path, site):
    path = tmp_path / "sources.toml"
    path.write_text(
        "allow_private_networks = true\n\n[[sources]]\n"
        'name = "pastes"\nkind = "paste"\n'
        f'start_urls = ["{site.url("/archive")}"]\n'
        'item_links = "/p/[A-Za-z0-9]+$"\n'
        f'raw_url = "{site.url("/raw/{id}")}"\n',
        encoding="utf-8",
    )
    return path


def sweep_cli(sources, leak_fingerprints, *extra: str):
    args = ["sweep", "--sources", str(sources), "--fingerprints", str(leak_fingerprints.path)]
    args += ["--key-file", str(leak_fingerprints.key_file), *fast_settings_args(), *extra]
    return CliRunner().invoke(app, args)


def test_sweep_strict_exits_non_zero_when_a_source_is_dark(local_site, leak_fingerprints, tmp_path):
    archive_without_item_links(local_site)
    sources = write_sources(tmp_path, local_site)

    lenient = sweep_cli(sources, leak_fingerprints)
    strict = sweep_cli(sources, leak_fingerprints, "--strict")

    assert lenient.exit_code == ExitCode.OK, lenient.output
    assert "warning source pastes looks dark" in lenient.output
    assert strict.exit_code == ExitCode.ERROR, strict.output


def test_sweep_strict_exits_zero_when_every_source_is_alive(local_site, leak_fingerprints, tmp_path):
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"])})

    result = sweep_cli(write_sources(tmp_path, local_site), leak_fingerprints, "--strict", "--json")

    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["warnings"] == []


def test_sources_status_shows_a_dark_source_with_its_history(local_site, leak_fingerprints, tmp_path):
    sources = write_sources(tmp_path, local_site)
    add_pastes(local_site, paste_texts(2))
    sweep_cli(sources, leak_fingerprints)
    archive_without_item_links(local_site)
    sweep_cli(sources, leak_fingerprints)

    as_json = CliRunner().invoke(app, ["sources", "status", "--json"])
    table = CliRunner().invoke(app, ["sources", "status"])

    assert as_json.exit_code == 0, as_json.output
    history = json.loads(as_json.stdout)["pastes"]
    assert [entry["alive"] for entry in history] == [False, True]  # newest first
    assert history[0]["reasons"] == ["1 listing page(s) with no item links"]
    assert table.exit_code == 0
    assert "pastes" in table.stdout and "dark" in table.stdout
