"""Alert settings come from the option, else the environment, else the config file's [alerts]."""

from __future__ import annotations

import pytest
from test_alerts import SECRET, Receiver
from test_cli_sweep import invoke, publish, sweep_args, write_sources

from leaktrack.alerts.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from leaktrack.cli.alert_options import alert_settings
from leaktrack.cli.workspace import ConfigError, resolve_workspace


def write_config(home, text: str, mode: int = 0o600) -> None:
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(text)
    (home / "config.toml").chmod(mode)


ALERTS = """[alerts]
channels = ["mailto://desk@example.org", "webhook+https://hooks.example.org/leaks"]
digest = true
review_url = "https://desk.example.org"
webhook_secret = "from-config"
"""


def test_alerts_come_from_the_config_file_when_no_option_is_given(leaktrack_home):
    write_config(leaktrack_home, ALERTS)
    settings = alert_settings(resolve_workspace(), None, None, None, None)
    assert settings.urls == ["mailto://desk@example.org", "webhook+https://hooks.example.org/leaks"]
    assert (settings.digest, settings.quiet) == (True, False)
    assert settings.review_url == "https://desk.example.org"
    assert settings.webhook_secret == "from-config"


def test_an_alert_option_wins_over_the_environment_which_wins_over_the_config_file(
    leaktrack_home, monkeypatch
):
    write_config(leaktrack_home, ALERTS)
    monkeypatch.setenv(
        "LEAKTRACK_ALERTS", "webhook+https://env.example.org/a webhook+https://env.example.org/b"
    )
    monkeypatch.setenv("LEAKTRACK_ALERTS_DIGEST", "no")
    monkeypatch.setenv("LEAKTRACK_WEBHOOK_SECRET", "from-env")
    workspace = resolve_workspace()

    from_env = alert_settings(workspace, None, None, None, None)
    assert from_env.urls == ["webhook+https://env.example.org/a", "webhook+https://env.example.org/b"]
    assert (from_env.digest, from_env.webhook_secret) == (False, "from-env")

    from_options = alert_settings(
        workspace, ["mailto://other@example.org"], True, True, "https://other.example"
    )
    assert from_options.urls == ["mailto://other@example.org"]
    assert (from_options.digest, from_options.quiet, from_options.review_url) == (
        True,
        True,
        "https://other.example",
    )


def test_the_webhook_secret_in_a_config_file_others_can_read_is_refused(leaktrack_home):
    write_config(leaktrack_home, ALERTS, mode=0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        resolve_workspace()


def test_a_digest_that_is_not_true_or_false_is_a_one_line_error(leaktrack_home):
    write_config(leaktrack_home, "[alerts]\ndigest = 'sometimes'\n")
    result = invoke("queue", "list")
    assert result.exit_code == 1
    assert "alerts.digest (config) must be true or false" in result.stderr


def test_config_set_takes_alert_switches_and_channels_as_typed(leaktrack_home):
    assert invoke("config", "set", "alerts.digest", "yes").exit_code == 0
    assert (
        invoke(
            "config", "set", "alerts.channels", "mailto://a@example.org webhook+https://h.example/x"
        ).exit_code
        == 0
    )
    alerts = resolve_workspace().alerts
    assert alerts["digest"] is True
    assert alerts["channels"] == ["mailto://a@example.org", "webhook+https://h.example/x"]
    assert invoke("config", "set", "alerts.quiet", "maybe").exit_code == 2


def test_a_sweep_sends_signed_digest_alerts_to_the_channels_of_the_config_file(
    local_site, leak_fingerprints, tmp_path, leaktrack_home
):
    hook = Receiver()
    try:
        write_config(
            leaktrack_home,
            f'[alerts]\nchannels = ["{hook.url}"]\ndigest = true\nwebhook_secret = "{SECRET}"\n',
        )
        publish(local_site, leak_fingerprints)
        result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints))
    finally:
        hook.close()

    assert result.exit_code == 0, result.output
    (message,) = hook.messages()  # digest: one message for the sweep's two copies
    assert len(message["alerts"]) == 2
    ((headers, body),) = hook.requests
    assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert SECRET not in result.output
