"""Secrets (store credentials, API tokens): resolved once by the CLI, handed down, never shown.

The path is described in credentials.py: environment or owner-only config file -> Workspace ->
the library's parameters -> the crawl child's stdin (never its settings or command line).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from es_standin import StandinServer
from fixtures_sites import text_of
from test_cli_sweep import sweep_args, write_sources
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.cli.workspace import resolve_workspace, source_secrets
from leaktrack.credentials import Secrets
from leaktrack.index import open_store, settings
from leaktrack.spiders.sites import add_pastes

SECRET = "s3cr3t-k3y-v4lue"


def test_secrets_show_their_names_only():
    secrets = Secrets({"GITHUB_TOKEN": SECRET, "EMPTY": ""})
    assert SECRET not in repr(secrets) and SECRET not in str(secrets) and SECRET not in f"{secrets}"
    assert repr(secrets) == "Secrets(GITHUB_TOKEN=***)"
    assert dict(secrets) == {"GITHUB_TOKEN": SECRET}  # an empty value is no secret


def test_redact_takes_every_value_out_of_a_text():
    secrets = Secrets({"A": "abc", "B": "abcdef"})
    assert secrets.redact("token abcdef, then abc") == "token ***, then ***"


def test_later_secrets_win_when_merged():
    assert Secrets({"A": "1", "B": "2"}).merged({"B": "3"}) == {"A": "1", "B": "3"}


def test_store_credentials_come_from_the_environment_into_the_workspace(monkeypatch):
    monkeypatch.setenv(settings.ES_API_KEY_ENV, SECRET)
    monkeypatch.setenv(settings.ES_USER_ENV, "ana")
    assert resolve_workspace().secrets == {settings.ES_API_KEY_ENV: SECRET, settings.ES_USER_ENV: "ana"}


def test_store_credentials_come_from_an_owner_only_config_file(leaktrack_home):
    leaktrack_home.mkdir()
    config = leaktrack_home / "config.toml"
    config.write_text(f"[es]\npassword = '{SECRET}'\nuser = 'ana'\n")
    config.chmod(0o600)
    assert resolve_workspace().secrets == {settings.ES_PASSWORD_ENV: SECRET, settings.ES_USER_ENV: "ana"}
    config.chmod(0o644)
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 1 and "chmod 600" in result.output and SECRET not in result.output


def test_config_show_masks_the_store_credentials(monkeypatch):
    monkeypatch.setenv(settings.ES_API_KEY_ENV, SECRET)
    monkeypatch.setenv(settings.ES_PASSWORD_ENV, SECRET)
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output and "es.api_key" in result.output


def test_the_index_prefix_and_ca_certs_settings_go_into_an_elasticsearch_store_url(monkeypatch, tmp_path):
    monkeypatch.setenv(settings.ES_INDEX_PREFIX_ENV, "team1")
    monkeypatch.setenv(settings.ES_CA_CERTS_ENV, str(tmp_path / "ca.pem"))
    url = resolve_workspace(store="https://es.example:9200").store_url
    assert (
        url
        == f"https://es.example:9200?index_prefix=team1&ca_certs={str(tmp_path / 'ca.pem').replace('/', '%2F')}"
    )
    assert resolve_workspace().store_url.startswith("sqlite:///")  # SQLite has no indices


def test_the_tokens_a_sources_file_names_are_read_from_the_environment(tmp_path, monkeypatch):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "gh"\nkind = "github"\nqueries = ["filename:roster.csv"]\ntoken_env = "LT_TEST_GH_TOKEN"\n'
    )
    monkeypatch.setenv("LT_TEST_GH_TOKEN", SECRET)
    monkeypatch.setenv("LT_TEST_OTHER", "not named by any source")
    assert source_secrets(sources) == {"LT_TEST_GH_TOKEN": SECRET}


@pytest.fixture
def guarded_standin():
    """An Elasticsearch stand-in that answers only requests with our API key."""
    with StandinServer() as server:
        server.cluster.required_auth = f"ApiKey {SECRET}"
        yield server


def test_a_sweep_into_a_guarded_elasticsearch_store_passes_the_key_to_the_crawl_child_unseen(
    guarded_standin, local_site, leak_fingerprints, tmp_path, leaktrack_home
):
    """The key is only in the owner-only config file: the crawl child, which stores the match,
    can only have had it from its parent's job; Scrapy's settings log (DEBUG) never shows it."""
    leaktrack_home.mkdir()
    config = leaktrack_home / "config.toml"
    config.write_text(f"[es]\napi_key = '{SECRET}'\nindex_prefix = 'lt-secrets'\n")
    config.chmod(0o600)
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"])})
    local_site.put("/files/leak.csv", "nothing here")
    command = [
        sys.executable,
        "-m",
        "leaktrack.cli.app",
        "--verbose",
        *sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--json"),
        "--store",
        guarded_standin.url,
        "-s",
        "LOG_LEVEL=DEBUG",
    ]

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "Overridden settings" in finished.stderr  # Scrapy did log its settings
    assert SECRET not in finished.stderr and SECRET not in finished.stdout
    assert json.loads(finished.stdout)["per_source"]["pastes"]["matches"] == 1, (
        finished.stdout + finished.stderr[-4000:]
    )
    store_url = f"{guarded_standin.url}?index_prefix=lt-secrets"
    with open_store(store_url, secrets={settings.ES_API_KEY_ENV: SECRET}) as store:
        (match,) = store.list_matches()
        (sweep,) = store.list_sweeps()
    assert SECRET not in json.dumps([match.__dict__, sweep.__dict__], default=str)
