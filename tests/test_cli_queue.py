"""The takedown queue, notices, exposure and stats commands, through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest
from fixtures_sites import home_store
from fixtures_store import found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import ExitCode
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore

PASTE = "https://pastebin.com/Xy12Ab"
GIST = "https://gist.github.com/someone/5f5f5f"
MIRROR = "https://files.example.net/dump.csv"
ID_PASTE, ID_GIST, ID_MIRROR = (match_id_for_url(url) for url in (PASTE, GIST, MIRROR))


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def store_url(tmp_path):
    """A store with three new copies: the gist exposes the most records, the paste the fewest."""
    path = tmp_path / "queue.db"
    with SQLiteStore(path) as store:
        store.upsert_copies(
            [
                found_copy(
                    PASTE, ["case-0001"], source="pastes", minutes=0, title="roster of detention centres"
                ),
                found_copy(GIST, ["case-0001", "case-0002", "case-0003"], source="gists", minutes=10),
                found_copy(MIRROR, ["case-0002", "case-0004"], source="mirrors", minutes=20),
            ]
        )
    return f"sqlite:///{path}"


def status_of(store_url: str, match_id: str) -> str:
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        return store.get(match_id).status


def assert_one_line_error(result, exit_code: int, text: str) -> None:
    assert result.exit_code == exit_code
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert text in result.stderr


# -- queue list -------------------------------------------------------------------------


def test_queue_list_shows_most_records_first(store_url):
    result = run("queue", "list", "--store", store_url)
    assert result.exit_code == 0
    positions = [result.output.index(match_id) for match_id in (ID_GIST, ID_MIRROR, ID_PASTE)]
    assert positions == sorted(positions)


def test_queue_list_json_applies_source_min_records_and_limit(store_url):
    by_source = json.loads(run("queue", "list", "--source", "pastes", "--json", "--store", store_url).stdout)
    assert [m["id"] for m in by_source] == [ID_PASTE]
    at_least_two = json.loads(
        run("queue", "list", "--min-records", "2", "--json", "--store", store_url).stdout
    )
    assert [m["id"] for m in at_least_two] == [ID_GIST, ID_MIRROR]
    first = json.loads(run("queue", "list", "--limit", "1", "--json", "--store", store_url).stdout)
    assert [m["id"] for m in first] == [ID_GIST]


def test_queue_list_filters_by_status(store_url):
    run("queue", "confirm", ID_MIRROR, "--store", store_url)
    listed = json.loads(run("queue", "list", "--status", "confirmed", "--json", "--store", store_url).stdout)
    assert [m["id"] for m in listed] == [ID_MIRROR]


def test_queue_list_refuses_an_unknown_status(store_url):
    result = run("queue", "list", "--status", "gone", "--store", store_url)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "gone" in result.output


# -- queue show -------------------------------------------------------------------------


def test_queue_show_prints_evidence_records_history_and_abuse_contact(store_url):
    run("queue", "confirm", ID_GIST, "--note", "names visible", "--by", "alice", "--store", store_url)
    result = run("queue", "show", ID_GIST, "--store", store_url)
    assert result.exit_code == 0
    for expected in (GIST, "case-0003", "names visible", "alice", "GitHub", "support.github.com"):
        assert expected in result.output


def test_queue_show_json_carries_history_and_abuse_contact(store_url):
    run("queue", "confirm", ID_PASTE, "--by", "alice", "--store", store_url)
    shown = json.loads(run("queue", "show", ID_PASTE, "--json", "--store", store_url).stdout)
    assert shown["status"] == "confirmed"
    assert [(h["from"], h["to"], h["by"]) for h in shown["history"]] == [("new", "confirmed", "alice")]
    assert shown["abuse_contact"]["name"] == "Pastebin"


def test_queue_show_guesses_no_mailbox_for_an_unlisted_host(store_url):
    """abuse@ made up from the host name can be wrong or reach the uploader (issue 12): none is shown."""
    shown = json.loads(run("queue", "show", ID_MIRROR, "--json", "--store", store_url).stdout)
    assert shown["abuse_contact"] is None


def test_queue_show_of_an_unknown_id_is_a_one_line_error(store_url):
    assert_one_line_error(
        run("queue", "show", "feedfacefeedface", "--store", store_url), ExitCode.NOT_FOUND, "feedfacefeedface"
    )


# -- confirm / dismiss --------------------------------------------------------------------


def test_queue_confirm_moves_several_matches_and_records_who_and_why(store_url):
    result = run(
        "queue", "confirm", ID_PASTE, ID_GIST, "--note", "checked", "--by", "alice", "--store", store_url
    )
    assert result.exit_code == 0
    history = json.loads(run("queue", "show", ID_GIST, "--json", "--store", store_url).stdout)["history"]
    assert (history[0]["by"], history[0]["note"]) == ("alice", "checked")
    assert status_of(store_url, ID_PASTE) == status_of(store_url, ID_GIST) == "confirmed"


def test_queue_confirm_records_the_user_when_by_is_not_given(store_url, monkeypatch):
    monkeypatch.setenv("USER", "responder7")
    run("queue", "confirm", ID_PASTE, "--store", store_url)
    history = json.loads(run("queue", "show", ID_PASTE, "--json", "--store", store_url).stdout)["history"]
    assert history[0]["by"] == "responder7"


def test_queue_dismiss_marks_a_false_match(store_url):
    result = run("queue", "dismiss", ID_MIRROR, "--note", "not our data", "--store", store_url)
    assert result.exit_code == 0
    assert status_of(store_url, ID_MIRROR) == "dismissed"


def test_a_disallowed_transition_is_a_one_line_error_and_changes_nothing(store_url):
    run("queue", "dismiss", ID_PASTE, "--store", store_url)
    result = run("takedown", "sent", ID_PASTE, "--to", "x@example.org", "--store", store_url)
    assert_one_line_error(result, ExitCode.REFUSED, "cannot move a match from 'dismissed' to 'takedown_sent'")
    assert status_of(store_url, ID_PASTE) == "dismissed"


def test_confirm_with_one_unknown_id_confirms_the_others_and_exits_non_zero(store_url):
    result = run("queue", "confirm", ID_PASTE, "feedfacefeedface", ID_GIST, "--store", store_url)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "Error: feedfacefeedface" in result.stderr
    assert "Traceback" not in result.output
    assert status_of(store_url, ID_PASTE) == status_of(store_url, ID_GIST) == "confirmed"


# -- review ---------------------------------------------------------------------------------


def test_review_applies_piped_keys_to_matches_in_queue_order(store_url):
    result = run("queue", "review", "--by", "bob", "--store", store_url, input="c\nd\ns\n")
    assert result.exit_code == 0
    assert status_of(store_url, ID_GIST) == "confirmed"
    assert status_of(store_url, ID_MIRROR) == "dismissed"
    assert status_of(store_url, ID_PASTE) == "new"
    assert "2 decided" in result.output


def test_review_quits_on_q_and_leaves_the_rest_new(store_url):
    result = run("queue", "review", "--store", store_url, input="c\nq\n")
    assert result.exit_code == 0
    assert status_of(store_url, ID_GIST) == "confirmed"
    assert status_of(store_url, ID_MIRROR) == status_of(store_url, ID_PASTE) == "new"


def test_review_stops_at_the_end_of_piped_input(store_url):
    result = run("queue", "review", "--store", store_url, input="d\n")
    assert result.exit_code == 0
    assert status_of(store_url, ID_GIST) == "dismissed"
    assert status_of(store_url, ID_MIRROR) == "new"


def test_review_open_shows_the_evidence_not_the_live_copy_and_asks_again(store_url):
    result = run("queue", "review", "--source", "pastes", "--store", store_url, input="o\nc\n")
    assert result.exit_code == 0
    assert PASTE in result.output
    assert "No copy of the document was kept" in result.output
    assert status_of(store_url, ID_PASTE) == "confirmed"


def test_review_includes_reappeared_copies_but_not_confirmed_ones(store_url):
    run("queue", "confirm", ID_GIST, ID_MIRROR, "--store", store_url)
    run("takedown", "sent", ID_MIRROR, "--to", "abuse@example.net", "--store", store_url)
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        store.change_status(ID_MIRROR, "removed", by="recheck")
        store.upsert_copies([found_copy(MIRROR, ["case-0002"], minutes=999)])
    result = run("queue", "review", "--store", store_url, input="s\ns\n")
    assert ID_MIRROR in result.output and ID_PASTE in result.output
    assert ID_GIST not in result.output


# -- export and search --------------------------------------------------------------------


def test_export_jsonl_streams_every_match_with_the_evidence_fields(store_url):
    result = run("queue", "export", "--store", store_url)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["id"] for row in rows) == sorted([ID_PASTE, ID_GIST, ID_MIRROR])
    required = {
        "id",
        "url",
        "source",
        "status",
        "matched_records",
        "matched_count",
        "containment",
        "first_seen",
        "last_seen",
        "content_sha256",
    }
    assert all(required <= set(row) for row in rows)


def test_export_csv_to_a_file_is_owner_only_and_filters_by_status(store_url, tmp_path):
    run("queue", "confirm", ID_GIST, "--store", store_url)
    out = tmp_path / "confirmed.csv"
    result = run(
        "queue", "export", "--format", "csv", "--status", "confirmed", "--out", str(out), "--store", store_url
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(row["id"], row["matched_records"]) for row in rows] == [
        (ID_GIST, "case-0001;case-0002;case-0003")
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_queue_search_finds_a_match_by_a_title_word(store_url):
    found = json.loads(run("queue", "search", "detention", "--json", "--store", store_url).stdout)
    assert [m["id"] for m in found] == [ID_PASTE]


# -- takedown -------------------------------------------------------------------------------


def test_takedown_draft_carries_the_evidence_but_no_record_ids_or_title(store_url):
    result = run("takedown", "draft", ID_GIST, "--sender", "Data Protection Office", "--store", store_url)
    assert result.exit_code == 0
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        match = store.get(ID_GIST)
    for evidence in (
        GIST,
        match.content_sha256,
        match.first_seen.strftime("%Y-%m-%d"),
        "3",
        "Data Protection Office",
    ):
        assert evidence in result.stdout
    assert "case-000" not in result.stdout


def test_takedown_draft_leaves_out_a_title_that_may_quote_the_leak(store_url):
    result = run("takedown", "draft", ID_PASTE, "--store", store_url)
    assert result.exit_code == 0
    assert "roster" not in result.stdout


def test_takedown_draft_renders_a_custom_template(store_url, tmp_path):
    template = tmp_path / "short.j2"
    template.write_text("Remove {{ url }} ({{ records_exposed }} records, sha256 {{ content_sha256 }})\n")
    result = run("takedown", "draft", ID_MIRROR, "--template", str(template), "--store", store_url)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Remove {MIRROR} (2 records, sha256 ")


def test_takedown_draft_with_an_unknown_template_variable_is_a_one_line_error(store_url, tmp_path):
    template = tmp_path / "names.j2"
    template.write_text("Names: {{ names }}\n")
    result = run("takedown", "draft", ID_MIRROR, "--template", str(template), "--store", store_url)
    assert_one_line_error(result, 1, "names")


def test_takedown_draft_with_a_missing_template_is_a_one_line_error(store_url, tmp_path):
    result = run(
        "takedown", "draft", ID_MIRROR, "--template", str(tmp_path / "nope.j2"), "--store", store_url
    )
    assert_one_line_error(result, 1, "not found")


def test_takedown_draft_to_a_file_is_owner_only(store_url, tmp_path):
    out = tmp_path / "notice.txt"
    result = run("takedown", "draft", ID_PASTE, "--out", str(out), "--store", store_url)
    assert result.exit_code == 0
    assert PASTE in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "Pastebin" in result.stderr


def test_takedown_sent_records_recipient_and_ticket(store_url):
    run("queue", "confirm", ID_GIST, "--store", store_url)
    result = run(
        "takedown", "sent", ID_GIST, "--to", "privacy@github.example", "--ref", "GH-77", "--store", store_url
    )
    assert result.exit_code == 0
    shown = json.loads(run("queue", "show", ID_GIST, "--json", "--store", store_url).stdout)
    assert (shown["status"], shown["takedown_to"], shown["takedown_ref"]) == (
        "takedown_sent",
        "privacy@github.example",
        "GH-77",
    )
    assert shown["days_outstanding"] == 0


# -- exposure and stats ---------------------------------------------------------------------


def test_exposure_lists_every_copy_of_a_record_with_its_status(store_url):
    run("queue", "dismiss", ID_MIRROR, "--store", store_url)
    exposed = json.loads(run("exposure", "case-0002", "--json", "--store", store_url).stdout)
    assert [(m["id"], m["status"]) for m in exposed] == [(ID_MIRROR, "dismissed"), (ID_GIST, "new")]


def test_exposure_of_a_record_in_no_copy_says_so(store_url):
    result = run("exposure", "case-9999", "--store", store_url)
    assert result.exit_code == 0
    assert "in no copy" in result.output


def test_stats_json_counts_statuses_sources_records_and_copies_up(store_url):
    run("queue", "dismiss", ID_PASTE, "--store", store_url)
    numbers = json.loads(run("stats", "--json", "--store", store_url).stdout)
    assert numbers == {
        "by_status": {"new": 2, "dismissed": 1},
        "by_source": {"pastes": 1, "gists": 1, "mirrors": 1},
        "records_exposed": 4,
        "copies_still_up": 2,
        "takedown": {
            "per_host": [],
            "per_source": [],
            "notified_still_up": {"copies": 0, "days_up_median": None, "days_up_max": None},
        },
    }


def test_stats_table_shows_copies_still_up(store_url):
    result = run("stats", "--store", store_url)
    assert result.exit_code == 0
    assert "copies still up" in result.output


# -- which store ----------------------------------------------------------------------------


def test_commands_use_an_owner_only_store_in_the_home_folder_by_default(leaktrack_home):
    home_store().close()  # what a sweep does first
    result = run("stats", "--json")
    assert result.exit_code == 0
    store_file = leaktrack_home / "matches.db"
    assert stat.S_IMODE(store_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", [["queue", "list"], ["stats"], ["exposure", "1"], ["queue", "show", "x"]])
def test_review_commands_refuse_a_store_that_does_not_exist_instead_of_creating_it(tmp_path, command):
    """A mistyped --store must not show an empty queue as if nothing had been found."""
    path = tmp_path / "typo.db"
    assert_one_line_error(run(*command, "--store", f"sqlite:///{path}"), 1, "no match store at")
    assert not path.exists()


def test_the_store_url_can_come_from_the_environment(store_url, monkeypatch):
    monkeypatch.setenv("LEAKTRACK_STORE", store_url)
    assert len(json.loads(run("queue", "list", "--json").stdout)) == 3


def test_an_unknown_store_scheme_is_a_one_line_error():
    assert_one_line_error(run("queue", "list", "--store", "mongodb://db/leaks"), 1, "unknown store URL")


def test_a_store_file_that_is_not_a_database_is_a_one_line_error(tmp_path):
    garbage = tmp_path / "matches.db"
    garbage.write_bytes(b"these are not the pages of an SQLite database " * 200)
    assert_one_line_error(run("queue", "list", "--store", f"sqlite:///{garbage}"), 1, str(garbage))


def test_a_store_path_that_is_a_folder_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("stats", "--store", f"sqlite:///{tmp_path}"), 1, "is a folder")


def test_review_refuses_a_decision_on_a_match_changed_while_it_was_shown(store_url):
    """A real `leaktrack queue review` process; another user dismisses the match meanwhile."""
    review = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leaktrack.cli.app",
            "queue",
            "review",
            "--source",
            "gists",
            "--store",
            store_url,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    shown = b""
    while b"[c/d/s/o/q]" not in shown:
        byte = review.stdout.read(1)
        assert byte, "review ended before asking"
        shown += byte
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        store.change_status(ID_GIST, "dismissed", by="someone-else")
    _, errors = review.communicate(b"c\n", timeout=60)
    assert review.returncode == 0
    assert b"changed since it was shown" in errors
    assert status_of(store_url, ID_GIST) == "dismissed"


# -- QA: hostile input ----------------------------------------------------------------------


def test_a_long_refusal_of_a_status_change_stays_on_one_line(store_url):
    run("queue", "confirm", ID_GIST, "--store", store_url)
    result = run("queue", "confirm", ID_GIST, "--note", "again", "--store", store_url)
    assert (
        len(f"Error: {ID_GIST}: cannot move a match from 'confirmed' to 'confirmed'")
        < 80
        < len(result.stderr)
    )
    assert_one_line_error(result, ExitCode.REFUSED, "(allowed: dismissed, takedown_sent)")


def test_queue_list_and_show_print_urls_and_titles_literally_not_as_markup(tmp_path):
    url = "https://paste.example.org/[x]/raw"
    path = tmp_path / "m.db"
    with SQLiteStore(path) as store:
        store.upsert_copies(
            [found_copy(url, ["case-0001"], source="[red]src", title="[bold]list of names[/bold]")]
        )
    listed = CliRunner().invoke(
        app, ["queue", "list", "--store", f"sqlite:///{path}"], env={"COLUMNS": "200"}
    )
    shown = run("queue", "show", match_id_for_url(url), "--store", f"sqlite:///{path}")
    assert url in listed.output and "[red]src" in listed.output
    assert url in shown.output and "[bold]list of names[/bold]" in shown.output and "[red]src" in shown.output


@pytest.mark.parametrize("option, expected", [("--limit", 3), ("--min-records", 0)])
def test_queue_list_takes_a_number_too_large_for_the_store(store_url, option, expected):
    """Beyond SQLite's largest integer: as many as there are, not an OverflowError."""
    result = run("queue", "list", option, "99999999999999999999", "--json", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == expected


def test_queue_search_takes_a_limit_too_large_for_the_store(store_url):
    result = run(
        "queue", "search", "roster", "--limit", "99999999999999999999", "--json", "--store", store_url
    )
    assert result.exit_code == 0, result.output
    assert [m["id"] for m in json.loads(result.stdout)] == [ID_PASTE]


def test_exposure_of_a_record_id_that_is_not_utf8_is_a_one_line_error(store_url):
    not_utf8 = b"case-\xff".decode("utf-8", "surrogateescape")  # what Python makes of such a shell argument
    assert_one_line_error(run("exposure", not_utf8, "--store", store_url), 1, "not valid UTF-8")
    assert_one_line_error(run("queue", "show", not_utf8, "--store", store_url), 1, "not valid UTF-8")


def test_queue_search_title_shows_the_searched_text_literally(store_url):
    assert "Matches for '[bold]roster'" in run("queue", "search", "[bold]roster", "--store", store_url).output


@pytest.mark.parametrize(
    "template_bytes, says",
    [
        (b"\xff\xfeRemove {{ url }}", "not valid UTF-8"),
        (b'{% include "other.j2" %}', "other.j2"),
        (b"{{ 1 / 0 }}", "division by zero"),
    ],
    ids=["not-utf8", "missing-include", "runtime-error"],
)
def test_takedown_draft_with_a_broken_custom_template_is_a_one_line_error(
    store_url, tmp_path, template_bytes, says
):
    template = tmp_path / "notice.j2"
    template.write_bytes(template_bytes)
    result = run("takedown", "draft", ID_MIRROR, "--template", str(template), "--store", store_url)
    assert_one_line_error(result, 1, says)


def test_takedown_custom_template_cannot_reach_python_internals(store_url, tmp_path):
    """Sandboxed: a template cannot walk from a string to the objects holding the record ids."""
    template = tmp_path / "probe.j2"
    template.write_text("{{ url.__class__.__mro__[1].__subclasses__() }}")
    result = run("takedown", "draft", ID_GIST, "--template", str(template), "--store", store_url)
    assert "case-000" not in result.output and "<class" not in result.output
    assert_one_line_error(result, 1, "takedown template")


def test_takedown_sent_to_nobody_is_refused_and_changes_nothing(store_url):
    run("queue", "confirm", ID_GIST, "--store", store_url)
    assert_one_line_error(run("takedown", "sent", ID_GIST, "--to", "  ", "--store", store_url), 1, "--to")
    assert status_of(store_url, ID_GIST) == "confirmed"


def test_an_empty_file_at_the_store_path_is_a_one_line_error(tmp_path):
    """0 bytes is what a store emptied by a full disk or a bad copy looks like: never a new store."""
    path = tmp_path / "m.db"
    path.touch()
    assert_one_line_error(run("stats", "--store", f"sqlite:///{path}"), 1, "empty file")
    assert path.stat().st_size == 0


@pytest.mark.parametrize("where", ["dangling-link", "name-too-long"])
def test_a_store_that_cannot_be_created_is_a_one_line_error(tmp_path, where):
    path = tmp_path / "m.db"
    if where == "dangling-link":
        path.symlink_to(tmp_path / "missing-folder" / "m.db")
    else:
        path = tmp_path / ("a" * 300 + ".db")
    assert_one_line_error(run("stats", "--store", f"sqlite:///{path}"), 1, "match store")


def test_a_copy_on_a_bare_ip_address_gets_no_guessed_abuse_mailbox(tmp_path):
    """abuse@0.1 (the last two parts of 203.0.113.10) is no one's mailbox: say the contact is unknown."""
    url = "http://203.0.113.10:8080/dump.csv"
    path = tmp_path / "m.db"
    with SQLiteStore(path) as store:
        store.upsert_copies([found_copy(url, ["case-0001"])])
    shown = json.loads(
        run("queue", "show", match_id_for_url(url), "--json", "--store", f"sqlite:///{path}").stdout
    )
    assert shown["abuse_contact"] is None


def test_a_store_missing_one_of_its_tables_is_a_one_line_error(store_url):
    import sqlite3

    with sqlite3.connect(store_url.removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE history")
    assert_one_line_error(run("queue", "show", ID_GIST, "--store", store_url), 1, "no such table: history")


@pytest.fixture
def null_device(tmp_path):
    """A private copy of /dev/null (mode 0o666), so a test can never change the real one."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    device.chmod(0o666)
    return device


def test_export_to_a_device_leaves_the_device_mode_alone(store_url, null_device):
    """`--out /dev/null` as root must not make /dev/null owner-only (tested on a private copy of it)."""
    assert run("queue", "export", "--out", str(null_device), "--store", store_url).exit_code == 0
    assert stat.S_IMODE(null_device.stat().st_mode) == 0o666


def test_a_device_given_as_the_store_keeps_its_mode(null_device):
    """`--store sqlite:////dev/null` as root must not make /dev/null owner-only (on a private copy)."""
    run("stats", "--store", f"sqlite:///{null_device}")
    assert stat.S_IMODE(null_device.stat().st_mode) == 0o666


def test_takedown_draft_with_a_sender_that_is_not_utf8_is_a_one_line_error(store_url, tmp_path):
    sender = b"Office \xff".decode("utf-8", "surrogateescape")
    out = tmp_path / "notice.txt"
    result = run("takedown", "draft", ID_GIST, "--sender", sender, "--out", str(out), "--store", store_url)
    assert_one_line_error(result, 1, "--sender is not valid UTF-8")


def test_queue_show_prints_emoji_codes_in_a_title_as_text(tmp_path):
    url = "https://paste.example.org/emoji"
    path = tmp_path / "m.db"
    with SQLiteStore(path) as store:
        store.upsert_copies([found_copy(url, ["case-0001"], title="ids :cat: and :fire: here")])
    assert (
        "ids :cat: and :fire: here"
        in run("queue", "show", match_id_for_url(url), "--store", f"sqlite:///{path}").output
    )


@pytest.mark.parametrize(
    "command", [("queue", "export"), ("takedown", "draft", ID_GIST)], ids=["export", "draft"]
)
def test_writing_output_over_the_store_itself_is_refused_and_loses_nothing(store_url, command):
    store_path = store_url.removeprefix("sqlite:///")
    result = run(*command, "--out", store_path, "--store", store_url)
    assert_one_line_error(result, 1, "match store")
    assert status_of(store_url, ID_GIST) == "new"


def test_writing_output_over_a_fingerprint_file_is_refused(store_url, tmp_path):
    fingerprints = tmp_path / "fingerprints.ltfp"
    fingerprints.write_bytes(b"LTFP\x01\x00" + b"\x00" * 100)
    result = run("queue", "export", "--out", str(fingerprints), "--store", store_url)
    assert_one_line_error(result, 1, "fingerprint file")
    assert fingerprints.read_bytes().startswith(b"LTFP")


def test_a_mistyped_store_url_never_shows_its_password():
    result = run("queue", "list", "--store", "htps://ana:s3cr3t-pw@es.example.org:9200")
    assert_one_line_error(result, 1, "unknown store URL")
    assert "s3cr3t-pw" not in result.output


def test_csv_export_defuses_a_title_that_a_spreadsheet_would_run_as_a_formula(tmp_path):
    """A page title is written by whoever posted the copy: '=HYPERLINK(...)' must stay text in Excel."""
    url = "https://paste.example.org/formula"
    path = tmp_path / "m.db"
    with SQLiteStore(path) as store:
        store.upsert_copies([found_copy(url, ["case-0001"], title='=HYPERLINK("http://evil.example","x")')])
    exported = run("queue", "export", "--format", "csv", "--store", f"sqlite:///{path}").stdout
    (row,) = csv.DictReader(io.StringIO(exported))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","x")'
    jsonl = run("queue", "export", "--store", f"sqlite:///{path}").stdout
    assert json.loads(jsonl)["title"].startswith("=HYPERLINK")  # JSON keeps the title as it was
