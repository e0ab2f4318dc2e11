"""The generated manual pages match the code they are generated from."""

from leaktrack.cli import docs


def test_cli_reference_and_settings_tables_are_up_to_date():
    stale = [str(path.relative_to(docs.PACKAGE)) for path in docs.out_of_date()]
    assert not stale, (
        f"{', '.join(stale)} out of date with the commands' help or the settings modules: "
        f"run `{docs.REGENERATE}` (from any folder, with the venv's python) and commit the result"
    )


def test_every_command_is_in_the_cli_reference():
    reference = docs.cli_reference()
    for command in ("leaktrack queue export", "leaktrack config set", "leaktrack scan", "leaktrack sweep"):
        assert f"`{command}`" in reference
    assert "| 6 | input unreadable" in reference


def test_settings_tables_carry_each_setting_with_its_comment():
    table = docs.settings_reference()
    assert "| `LEAKTRACK_INCREMENTAL` | `True` | Skip already-seen pastes" in table
    assert "| `store` | `LEAKTRACK_STORE` |" in table
