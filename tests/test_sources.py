"""The sources file: the issue's minimal example works as written; mistakes are one-line errors."""

from pathlib import Path

import pytest

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import load_sources

ISSUE_EXAMPLE = r"""
allow_private_networks = false   # true only for local testing; default refuses private and loopback addresses

[[sources]]
name = "pastes"
kind = "paste"                   # listing pages that link to pastes
start_urls = ["https://paste.example/archive"]
item_links = "/p/[A-Za-z0-9]+$"  # regex over absolute URLs of links on listing pages (as LinkExtractor allow=)
next_page = "page=\\d+"          # optional: regex of pagination links to follow
raw_url = "https://paste.example/raw/{id}"  # optional

[[sources]]
name = "mirror"
kind = "mirror"                  # pages and 'Index of /' listings; follows links, downloads data files
start_urls = ["https://mirror.example/"]
max_depth = 3

[[sources]]
name = "known-copies"
kind = "urls"                    # fetch exactly these
urls = ["https://files.example/leak.csv"]
"""

EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "examples" / "sources.example.toml"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_issue_example_parses_into_three_sources(tmp_path):
    config = load_sources(write(tmp_path, ISSUE_EXAMPLE))
    pastes, mirror, known = config.sources
    assert config.allow_private_networks is False
    assert (pastes.name, pastes.kind, pastes.item_links, pastes.next_page) == (
        "pastes",
        "paste",
        "/p/[A-Za-z0-9]+$",
        r"page=\d+",
    )
    assert pastes.raw_url == "https://paste.example/raw/{id}"
    assert (mirror.kind, mirror.start_urls, mirror.max_depth) == ("mirror", ["https://mirror.example/"], 3)
    assert (known.kind, known.urls) == ("urls", ["https://files.example/leak.csv"])


def test_sources_obey_robots_txt_unless_told_otherwise(tmp_path):
    config = load_sources(write(tmp_path, ISSUE_EXAMPLE))
    assert all(source.obey_robots_txt for source in config.sources)


def test_shipped_example_file_is_valid_and_has_paste_gist_and_raw_profiles():
    config = load_sources(EXAMPLE_FILE)
    names = {source.name for source in config.sources}
    assert {"pastebin", "gists", "known-copies"} <= names
    assert config.allow_private_networks is False


def test_select_unknown_source_names_the_known_ones(tmp_path):
    config = load_sources(write(tmp_path, ISSUE_EXAMPLE))
    with pytest.raises(SourcesError, match="unknown source 'nope'.*pastes, mirror, known-copies"):
        config.select(["nope"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[sources]]\nname = 'a'\nkind = 'ftp'\nurls = ['https://x.example/']", "kind must be one of"),
        ("[[sources]]\nname = 'a'\nkind = 'paste'\nstart_urls = ['https://x.example/']", "needs item_links"),
        (
            "[[sources]]\nname = 'a'\nkind = 'paste'\nstart_urls = ['https://x.example/']\nitem_links = '(['",
            "not a valid regex",
        ),
        ("[[sources]]\nname = 'a'\nkind = 'urls'\nurls = ['file:///etc/passwd']", "not an http(s) URL"),
        (
            "[[sources]]\nname = 'a'\nkind = 'mirror'\nstart_urls = ['https://x.example/']\nmax_depth = 0",
            "positive integer",
        ),
        (
            "[[sources]]\nname = 'a'\nkind = 'urls'\nurls = ['https://x.example/']\n[[sources]]\nname = 'a'\nkind = 'urls'\nurls = ['https://y.example/']",
            "two sources are named 'a'",
        ),
        ("[[sources]]\nname = 'a'\nkind = 'urls'\nurl = ['https://x.example/']", "unknown key 'url'"),
        (
            "[[sources]]\nname = 'a'\nkind = 'paste'\nstart_urls = ['https://x.example/']\nitem_links = 'p'\nraw_url = 'https://x.example/raw'",
            "raw_url must contain",
        ),
        (
            "[[sources]]\nname = 'a'\nkind = 'paste'\nstart_urls = ['https://x.example/']\nitem_links = 'p'\nraw_url = 'https://x.example/raw/{id}?key={token}'",
            "raw_url has unknown placeholder {token}",
        ),
        (
            "[[sources]]\nname = 'a'\nkind = 'paste'\nstart_urls = ['https://x.example/']\nitem_links = 'p'\nraw_url = 'https://x.example/raw/{id'",
            "raw_url 'https://x.example/raw/{id' is not a valid template",
        ),
        (
            "allow_private_networks = 'yes'\n[[sources]]\nname = 'a'\nkind = 'urls'\nurls = ['https://x.example/']",
            "true or false",
        ),
        ("contact = 'me'", "no [[sources]]"),
        ("[[sources]\nname = ", "not valid TOML"),
    ],
)
def test_invalid_sources_file_raises_one_line_error(tmp_path, text, message):
    with pytest.raises(
        SourcesError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ) as caught:
        load_sources(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_missing_sources_file_is_a_sources_error(tmp_path):
    with pytest.raises(SourcesError, match="sources file not found"):
        load_sources(tmp_path / "absent.toml")


def test_raw_url_with_doubled_braces_keeps_literal_braces(tmp_path):
    text = (
        "[[sources]]\nname = 'a'\nkind = 'paste'\nstart_urls = ['https://x.example/']\n"
        "item_links = 'p'\nraw_url = 'https://x.example/raw/{id}?q={{x}}'"
    )
    (source,) = load_sources(write(tmp_path, text)).sources
    assert source.raw_url.format(id="Ab1") == "https://x.example/raw/Ab1?q={x}"
