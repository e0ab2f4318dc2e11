"""The platform table: every entry says where its channel was checked and when, and it is used
for the host and its subdomains only."""

from __future__ import annotations

from datetime import date

import pytest

from leaktrack.takedown.platforms import _table, platform_contact, platform_key, table_problems


def test_every_platform_entry_names_the_page_it_was_checked_on_and_the_date():
    assert table_problems() == []
    for key, entry in _table().items():
        assert isinstance(entry["checked"], date), key
        assert entry["checked"] <= date.today(), key
        assert entry["source"].startswith("https://"), key


def test_the_table_covers_paste_sites_code_hosts_and_file_hosts():
    kinds = {entry["kind"] for entry in _table().values()}
    assert {"paste site", "code host", "file host"} <= kinds


@pytest.mark.parametrize(
    "entry, problem",
    [
        (
            {"name": "X", "kind": "paste site", "url": "https://x.example/report"},
            "missing ['checked', 'source']",
        ),
        (
            {
                "name": "X",
                "kind": "paste site",
                "checked": "2026-11-30",
                "source": "https://x.example/",
                "email": "a@x.example",
            },
            "checked must be a TOML date",
        ),
        (
            {
                "name": "X",
                "kind": "paste site",
                "checked": date(2026, 11, 30),
                "source": "https://x.example/",
            },
            "neither url nor email",
        ),
        (
            {
                "name": "X",
                "kind": "forum",
                "checked": date(2026, 11, 30),
                "source": "https://x.example/",
                "email": "a@x.example",
            },
            "kind 'forum' is not one of",
        ),
        (
            {
                "name": "X",
                "kind": "paste site",
                "checked": date(2026, 11, 30),
                "source": "https://x.example/",
                "email": "a@x",
                "phone": "1",
            },
            "unknown ['phone']",
        ),
    ],
)
def test_an_entry_without_its_check_or_its_channel_is_reported(entry, problem):
    (found,) = table_problems({"x.example": entry})
    assert problem in found


def test_a_platform_contact_carries_the_check_date_and_page():
    contact = platform_contact("gist.githubusercontent.com")
    assert contact is not None and contact.role == "platform" and contact.name == "GitHub"
    entry = _table()["githubusercontent.com"]
    assert f"checked {entry['checked']} at {entry['source']}" in contact.source


def test_a_host_only_resembling_a_platform_is_not_one():
    assert platform_key("gitlab.com.evil.example") is None
    assert platform_key("notgithub.com") is None
    assert platform_key("gist.github.com") == "github.com"
