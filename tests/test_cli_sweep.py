"""The sweep, recheck and demo commands through the CLI: exit codes, output, one-line errors."""

import json

import pytest
from fixtures_sites import (
    FAST_CRAWL_SETTINGS,
    fast_settings_args,
    fingerprint_args,
    home_store,
    home_workspace,
    sweep_args,
    text_of,
)
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import ExitCode
from leaktrack.spiders.sites import add_pastes
from leaktrack.spiders.sweep import sweep_lock


def write_sources(tmp_path, site, allow_private: bool = True):
    path = tmp_path / "sources.toml"
    path.write_text(
        f"allow_private_networks = {'true' if allow_private else 'false'}\n\n"
        "[[sources]]\n"
        'name = "pastes"\nkind = "paste"\n'
        f'start_urls = ["{site.url("/archive")}"]\n'
        'item_links = "/p/[A-Za-z0-9]+$"\n'
        'next_page = "page=\\\\d+"\n'
        f'raw_url = "{site.url("/raw/{id}")}"\n\n'
        "[[sources]]\n"
        'name = "known"\nkind = "urls"\n'
        f'urls = ["{site.url("/files/leak.csv")}"]\n',
        encoding="utf-8",
    )
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def publish(site, leak_fingerprints) -> None:
    add_pastes(site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"]), "other": "just a note"})
    site.put("/files/leak.csv", leak_fingerprints.copies["uppercase"].data)


def sweep_and_send_takedowns(site, leak_fingerprints, tmp_path) -> None:
    """Publish the copies, sweep them into the queue and move every match to takedown_sent."""
    publish(site, leak_fingerprints)
    invoke(*sweep_args(write_sources(tmp_path, site), leak_fingerprints))
    with home_store() as store:
        for match in store.list_matches():
            store.change_status(match.id, "confirmed", by="test")
            store.change_status(match.id, "takedown_sent", by="test")


def recheck_args(leak_fingerprints, *extra: str) -> list[str]:
    return ["recheck", "--allow-private-networks", *fingerprint_args(leak_fingerprints), *extra]


def test_sweep_json_prints_the_summary_per_source(local_site, leak_fingerprints, tmp_path):
    publish(local_site, leak_fingerprints)

    result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--json"))

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["per_source"]["pastes"]["matches"] == 1
    assert summary["per_source"]["known"]["matches"] == 1
    assert summary["totals"]["documents"] == 3
    assert summary["totals"]["known_clean"] == 0  # no image or PDF met before
    assert summary["errors"] == []


def test_sweep_prints_a_table_and_fills_the_queue(local_site, leak_fingerprints, tmp_path):
    publish(local_site, leak_fingerprints)

    result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints))

    assert result.exit_code == 0, result.output
    assert "pastes" in result.stdout and "known" in result.stdout
    with home_store() as store:
        assert {match.url for match in store.list_matches()} == {
            local_site.url("/p/leak0"),
            local_site.url("/files/leak.csv"),
        }


def test_sweep_source_option_sweeps_only_the_named_sources(local_site, leak_fingerprints, tmp_path):
    publish(local_site, leak_fingerprints)

    result = invoke(
        *sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--source", "known", "--json")
    )

    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)["per_source"]) == ["known"]
    assert local_site.requests_for("/archive") == []


def test_sweep_with_an_invalid_sources_file_is_a_one_line_error(tmp_path, leak_fingerprints):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nname = 'x'\nkind = 'gopher'\n")

    result = invoke(*sweep_args(bad, leak_fingerprints))

    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: ") and "kind must be one of" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_sweep_with_an_unknown_source_name_is_a_one_line_error(local_site, leak_fingerprints, tmp_path):
    result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--source", "nope"))

    assert result.exit_code == 1
    assert "Error: unknown source 'nope'" in result.output
    assert local_site.requests == []


def test_sweep_without_fingerprints_is_a_one_line_error(local_site, tmp_path):
    result = invoke(
        "sweep",
        "--sources",
        str(write_sources(tmp_path, local_site)),
        "--fingerprints",
        str(tmp_path / "none.ltfp"),
        *fast_settings_args(),
    )

    assert result.exit_code == ExitCode.UNREADABLE_INPUT
    assert "Error: fingerprint file not found" in result.output and "Traceback" not in result.output
    assert local_site.requests == []


def test_second_concurrent_sweep_exits_with_a_clear_error(local_site, leak_fingerprints, tmp_path):
    with sweep_lock(home_workspace().sweep_lock):
        result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints))

    assert result.exit_code == 1
    assert result.output.startswith("Error: another sweep is running")
    assert local_site.requests == []


def test_bad_setting_syntax_is_a_usage_error(local_site, leak_fingerprints, tmp_path):
    result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "-s", "NOEQUALS"))

    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


def test_recheck_json_lists_verdicts(local_site, leak_fingerprints, tmp_path):
    sweep_and_send_takedowns(local_site, leak_fingerprints, tmp_path)
    local_site.remove("/files/leak.csv")

    result = invoke(*recheck_args(leak_fingerprints, *fast_settings_args(), "--json"))

    assert result.exit_code == 0, result.output
    verdicts = {item["url"]: (item["verdict"], item["status"]) for item in json.loads(result.stdout)}
    assert verdicts == {
        local_site.url("/files/leak.csv"): ("gone", "removed"),
        local_site.url("/p/leak0"): ("still up", "takedown_sent"),
    }


def test_recheck_table_shows_days_outstanding(local_site, leak_fingerprints, tmp_path):
    sweep_and_send_takedowns(local_site, leak_fingerprints, tmp_path)

    result = invoke(*recheck_args(leak_fingerprints, *fast_settings_args()))

    assert result.exit_code == 0, result.output
    assert "days since" in result.stdout and "still up" in result.stdout


def test_recheck_with_an_unknown_status_is_a_usage_error():
    result = invoke("recheck", "--status", "bogus")

    assert result.exit_code == 2
    assert "'bogus' is not one of new, confirmed" in result.output


def test_demo_finds_every_hidden_copy_and_shows_the_queue(tmp_path):
    result = invoke("demo", "--home", str(tmp_path / "demo-home"), "--records", "200", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["hidden"]) == 5
    assert {copy["url"] for copy in report["hidden"]} == {match["url"] for match in report["queue"]}
    assert all(match["status"] == "new" for match in report["queue"])
    assert (tmp_path / "demo-home" / "matches.db").exists()


def test_demo_prints_what_it_did_and_the_queue(tmp_path):
    result = invoke("demo", "--home", str(tmp_path / "demo-home"), "--records", "200")

    assert result.exit_code == 0, result.output
    assert "fingerprinted" in result.stdout and "Takedown queue (5 match(es))" in result.stdout


def test_sweep_with_an_unknown_store_url_is_a_one_line_error(local_site, leak_fingerprints, tmp_path):
    result = invoke(
        *sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--store", "bogus://x")
    )

    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown store URL") and "Traceback" not in result.output
    assert local_site.requests == []


def test_distributed_sweep_without_a_job_name_is_a_one_line_error(local_site, leak_fingerprints, tmp_path):
    result = invoke(
        *sweep_args(
            write_sources(tmp_path, local_site), leak_fingerprints, "--redis-url", "redis://127.0.0.1:1/0"
        )
    )

    assert result.exit_code == 1
    assert "needs a job name" in result.output
    assert local_site.requests == []


def test_setting_with_a_value_of_the_wrong_type_is_a_one_line_error(local_site, leak_fingerprints, tmp_path):
    publish(local_site, leak_fingerprints)

    result = invoke(
        *sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "-s", "DOWNLOAD_DELAY=abc")
    )

    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "DOWNLOAD_DELAY" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert local_site.requests == []


def test_distributed_sweep_with_unreachable_redis_is_a_one_line_error(
    local_site, leak_fingerprints, tmp_path, capfd
):
    # Port 1 on loopback: nothing listens there.
    result = invoke(
        *sweep_args(
            write_sources(tmp_path, local_site),
            leak_fingerprints,
            "--redis-url",
            "redis://127.0.0.1:1/0",
            "--redis-job",
            "qa-job",
        )
    )

    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach Redis") and "127.0.0.1:1" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in capfd.readouterr().err  # the crawl's child process logs there
    assert local_site.requests == []


def test_recheck_keeps_scrapy_info_logs_off_stderr_like_sweep(local_site, leak_fingerprints, tmp_path, capfd):
    publish(local_site, leak_fingerprints)
    invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--json"))
    capfd.readouterr()
    settings = [
        arg
        for name, value in FAST_CRAWL_SETTINGS.items()
        if name != "LOG_LEVEL"
        for arg in ("-s", f"{name}={value}")
    ]

    result = invoke(*recheck_args(leak_fingerprints, "--status", "new", *settings, "--json"))

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 2
    assert (
        "INFO" not in capfd.readouterr().err
    )  # the crawl's child logs at our level (WARNING), as in a sweep


def test_demo_never_writes_to_the_store_named_by_leaktrack_store(tmp_path, monkeypatch):
    real_store = tmp_path / "real-matches.db"
    monkeypatch.setenv("LEAKTRACK_STORE", f"sqlite:///{real_store}")

    result = invoke("demo", "--home", str(tmp_path / "demo-home"), "--records", "50", "--json")

    assert result.exit_code == 0, result.output
    assert not real_store.exists()  # synthetic matches stay in the demo's own home folder
    assert (tmp_path / "demo-home" / "matches.db").exists()


@pytest.mark.parametrize("name", ["fingerprints.ltfp", "matches.db"])
def test_demo_refuses_a_home_folder_with_files_it_did_not_make(tmp_path, name):
    home = tmp_path / "responders-home"
    home.mkdir()
    (home / name).write_bytes(b"the responders' own")

    result = invoke("demo", "--home", str(home), "--records", "50")

    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and str(home) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (home / name).read_bytes() == b"the responders' own"


def test_demo_home_that_is_a_file_is_a_one_line_error(tmp_path):
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")

    result = invoke("demo", "--home", str(not_a_folder), "--records", "50")

    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
