"""``queue review`` shows what matched, as the desk does: highlighted lines when kept."""

from __future__ import annotations

import shutil

from desk_site import KEPT_URL, make_site
from typer.testing import CliRunner

from leaktrack.cli.app import app


def test_review_shows_the_kept_line_with_each_matched_field_labelled(
    tmp_path, small_leak, leak_fingerprints, leaktrack_home
):
    site = make_site(tmp_path, small_leak, leak_fingerprints)
    shutil.copytree(site.evidence_dir, leaktrack_home / "evidence")

    result = CliRunner().invoke(
        app,
        ["queue", "review", "--source", "pastes", "--store", f"sqlite:///{site.store_path}"],
        input="s\ns\n",
    )

    assert result.exit_code == 0, result.output
    assert KEPT_URL in result.output
    assert f"{site.kept_field_value}[" in result.output  # the value, then its column's label
    assert "fields that matched" in result.output


def test_review_without_a_kept_copy_shows_the_fields_but_no_values(
    tmp_path, small_leak, leak_fingerprints, leaktrack_home
):
    site = make_site(tmp_path, small_leak, leak_fingerprints)
    shutil.copytree(site.evidence_dir, leaktrack_home / "evidence")

    result = CliRunner().invoke(
        app,
        ["queue", "review", "--source", "mirrors", "--store", f"sqlite:///{site.store_path}"],
        input="s\n",
    )

    assert result.exit_code == 0, result.output
    assert "full_name" in result.output
    assert site.kept_field_value not in result.output
