"""Configuration resolved once: option > environment > config file > default; secrets kept secret."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.cli.workspace import resolve_workspace

PACKAGE = Path(__file__).resolve().parent.parent


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def shown(*args) -> dict:
    result = run("config", "show", "--json", *args)
    assert result.exit_code == 0, result.output
    return {row["key"]: row for row in json.loads(result.stdout)["settings"]}


def test_config_path_is_in_the_home_folder(leaktrack_home):
    assert run("config", "path").stdout.strip() == str(leaktrack_home / "config.toml")


def test_a_store_comes_from_option_then_environment_then_config_file_then_default(
    leaktrack_home, monkeypatch
):
    assert shown()["store"]["origin"] == "default"
    assert resolve_workspace().store_url == f"sqlite:///{leaktrack_home / 'matches.db'}"

    assert run("config", "set", "store", "sqlite:///from-config.db").exit_code == 0
    assert (shown()["store"]["origin"], shown()["store"]["value"]) == ("config", "sqlite:///from-config.db")

    monkeypatch.setenv("LEAKTRACK_STORE", "sqlite:///from-env.db")
    assert (shown()["store"]["origin"], shown()["store"]["value"]) == ("env", "sqlite:///from-env.db")

    workspace = resolve_workspace(store="sqlite:///from-option.db")
    assert workspace.store_url == f"sqlite:///{Path('from-option.db').absolute()}"


def test_every_command_finds_the_store_the_config_file_names(leaktrack_home, tmp_path):
    assert run("config", "set", "store", f"sqlite:///{tmp_path / 'elsewhere.db'}").exit_code == 0
    result = run("stats")
    assert result.exit_code == 1
    assert str(tmp_path / "elsewhere.db") in result.stderr  # "no match store at ...": it looked there


def test_relative_paths_in_the_config_file_are_relative_to_the_home_folder(leaktrack_home):
    leaktrack_home.mkdir()
    (leaktrack_home / "config.toml").write_text(
        'fingerprints = "case-7/fingerprints.ltfp"\nkey_file = "/secure/case-7.key"\n'
    )
    workspace = resolve_workspace()
    assert workspace.fingerprints == leaktrack_home / "case-7" / "fingerprints.ltfp"
    assert workspace.key_file == Path("/secure/case-7.key")


def test_config_set_stores_a_path_as_meant_where_it_was_typed(leaktrack_home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("config", "set", "sources", "sources.toml").exit_code == 0
    assert resolve_workspace().sources == tmp_path / "sources.toml"


def test_the_home_option_moves_every_file(tmp_path):
    workspace = resolve_workspace(tmp_path / "case-9")
    assert {workspace.fingerprints.parent, workspace.key_file.parent, workspace.crawl_state.parent} == {
        tmp_path / "case-9"
    }
    assert run("--home", tmp_path / "case-9", "config", "path").stdout.strip() == str(
        tmp_path / "case-9" / "config.toml"
    )


def test_the_config_file_is_owner_only_and_keeps_its_comments(leaktrack_home):
    leaktrack_home.mkdir()
    (leaktrack_home / "config.toml").write_text("# case 7, opened by Ana\ncontact = 'old'\n")
    (leaktrack_home / "config.toml").chmod(0o644)

    assert run("config", "set", "contact", "mailto:abuse-desk@example.org").exit_code == 0

    text = (leaktrack_home / "config.toml").read_text()
    assert text.startswith("# case 7, opened by Ana\n")
    assert 'contact = "mailto:abuse-desk@example.org"' in text
    assert stat.S_IMODE((leaktrack_home / "config.toml").stat().st_mode) == 0o600
    assert resolve_workspace().contact == "mailto:abuse-desk@example.org"


def test_a_secret_is_never_taken_from_the_command_line_nor_printed(leaktrack_home):
    refused = run("config", "set", "smtp.password", "hunter2")
    assert refused.exit_code == 2
    assert not (leaktrack_home / "config.toml").exists()

    assert run("config", "set", "smtp.password", input="hunter2\n").exit_code == 0
    assert resolve_workspace().smtp["password"] == "hunter2"
    result = run("config", "show")
    assert "hunter2" not in result.output and "hunter2" not in run("config", "show", "--json").output


def test_a_secret_in_a_config_file_others_can_read_is_refused(leaktrack_home):
    leaktrack_home.mkdir()
    (leaktrack_home / "config.toml").write_text("[smtp]\npassword = 'hunter2'\n")
    (leaktrack_home / "config.toml").chmod(0o644)
    result = run("config", "show")
    assert result.exit_code == 1
    assert "chmod 600" in result.stderr and "hunter2" not in result.output


def test_a_secret_from_the_environment_wins_and_is_not_shown(monkeypatch):
    monkeypatch.setenv("LEAKTRACK_SMTP_PASSWORD", "from-env")
    assert resolve_workspace().smtp["password"] == "from-env"
    assert shown()["smtp.password"]["value"] == "*** (secret, not shown)"


@pytest.mark.parametrize(
    "text, words",
    [
        ("store = [1, 2", "not valid TOML"),
        ("stroe = 'x'", "unknown setting(s) stroe"),
        ("retention_days = 'a'", "whole number"),
    ],
)
def test_a_bad_config_file_is_a_one_line_error(leaktrack_home, text, words):
    leaktrack_home.mkdir()
    (leaktrack_home / "config.toml").write_text(text)
    result = run("queue", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and words in result.stderr and "Traceback" not in result.output


def test_each_file_option_names_its_environment_variable_in_help():
    for command, env in [
        (["scan"], "LEAKTRACK_FINGERPRINTS"),
        (["scan"], "LEAKTRACK_KEY_FILE"),
        (["queue", "list"], "LEAKTRACK_STORE"),
        (["sweep"], "LEAKTRACK_SOURCES"),
    ]:
        assert env in run(*command, "--help").stdout


def test_no_module_below_the_cli_reads_the_environment_or_picks_the_home_folder():
    """Resolve once: only cli/ reads os.environ; the library takes a Workspace or paths."""
    below_cli = [
        path
        for folder in ("fingerprints", "spiders", "index", "takedown", "alerts", "web")
        for path in (PACKAGE / folder).rglob("*.py")
    ] + [PACKAGE / "home.py", PACKAGE / "errors.py", PACKAGE / "credentials.py"]
    readers = {
        str(path.relative_to(PACKAGE))
        for path in below_cli
        if re.search(r"os\.environ|os\.getenv|Path\.home\(\)|expanduser", path.read_text())
    }
    assert readers == set(), sorted(readers)
