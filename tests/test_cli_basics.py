from typer.testing import CliRunner

from leaktrack import __version__
from leaktrack.cli.app import app


def test_version_option_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__


def test_unknown_command_exits_non_zero_without_traceback():
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
