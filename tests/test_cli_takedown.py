"""The takedown commands through the CLI (contacts, send, due, monitoring)."""

from __future__ import annotations

import json

import pytest
from fixtures_store import found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore

PASTE = "https://pastebin.com/Xy12Ab"
LOCAL = "http://127.0.0.1:9/dump.csv"
ID_PASTE, ID_LOCAL = (match_id_for_url(url) for url in (PASTE, LOCAL))


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def store_url(tmp_path):
    path = tmp_path / "takedown.db"
    with SQLiteStore(path) as store:
        store.upsert_copies(
            [
                found_copy(PASTE, ["case-0001"]),
                found_copy(LOCAL, ["case-0001", "case-0002"], source="mirrors"),
            ]
        )
    return f"sqlite:///{path}"


def test_takedown_contacts_lists_the_platform_with_its_source(store_url):
    result = run("takedown", "contacts", ID_PASTE, "--json", "--store", store_url)
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["contacts"][0]["role"] == "platform"
    assert report["contacts"][0]["url"] == "https://pastebin.com/contact"
    assert "platform table" in report["contacts"][0]["source"]


def test_takedown_contacts_of_a_private_address_says_why_none_was_found(store_url):
    result = run("takedown", "contacts", ID_LOCAL, "--store", store_url)
    assert result.exit_code == 0, result.output
    assert "no contact found" in result.stdout
    assert "127.0.0.1 is not a public address: no hosting network to look up" in result.stdout
    assert "abuse@" not in result.stdout


# -- monitor: rechecks through a real crawl of a local site ------------------------------------


def test_monitor_follows_a_removed_copy_and_reopens_it_when_it_comes_back(
    local_site, leak_fingerprints, tmp_path
):
    from fixtures_sites import fast_settings_args, home_store, text_of

    from leaktrack.index.takedown_records import Notice
    from leaktrack.spiders.sites import add_pastes
    from leaktrack.takedown.schedule import track_after_notice

    csv_bytes = leak_fingerprints.copies["uppercase"].data
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"])})
    local_site.put("/files/leak.csv", csv_bytes)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        'allow_private_networks = true\n\n[[sources]]\nname = "known"\nkind = "urls"\n'
        f'urls = ["{local_site.url("/files/leak.csv")}", "{local_site.url("/raw/leak0")}"]\n'
    )
    crawl = ["--fingerprints", str(leak_fingerprints.path), "--key-file", str(leak_fingerprints.key_file)]
    assert run("sweep", "--sources", str(sources), *crawl, *fast_settings_args()).exit_code == 0
    with home_store() as store:
        for match in store.list_matches():
            store.change_status(match.id, "confirmed", by="t")
            match = store.record_takedown_sent(match.id, to="abuse@x", by="t")
            notice = Notice(
                match.id, match.id, match.status_changed_at, "notice", "hosting", "abuse@x", "s", "t", "t"
            )
            store.add_notice(notice)
            store.save_track(track_after_notice(None, match, notice))
    csv_id = match_id_for_url(local_site.url("/files/leak.csv"))
    monitor = ["takedown", "monitor", "--allow-private-networks", *crawl, *fast_settings_args(), "--json"]

    local_site.remove("/files/leak.csv")
    result = run(*monitor)
    assert result.exit_code == 0, result.output
    steps = {line["match_id"]: (line["verdict"], line["step"]) for line in json.loads(result.stdout)}
    assert steps[csv_id] == ("gone", "monitoring")
    assert steps[match_id_for_url(local_site.url("/raw/leak0"))] == ("still up", "notified")

    local_site.put("/files/leak.csv", csv_bytes)
    result = run(*monitor)
    assert result.exit_code == 0, result.output
    steps = {line["match_id"]: (line["verdict"], line["step"]) for line in json.loads(result.stdout)}
    assert steps[csv_id] == ("still up", "reappeared")
    with home_store() as store:
        assert store.get(csv_id).status == "reappeared"
        assert store.get_track(csv_id).reappeared_at is not None


def test_stats_show_takedown_times_per_host_and_the_notified_copies_still_up(store_url):
    from leaktrack.index.takedown_records import Notice
    from leaktrack.takedown.schedule import track_after_notice

    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        match = store.change_status(ID_PASTE, "confirmed", by="t")
        match = store.record_takedown_sent(match.id, to="https://pastebin.com/contact", by="t")
        notice = Notice("n1", match.id, match.status_changed_at, "notice", "platform", "x", "s", "t", "t")
        store.add_notice(notice)
        store.save_track(track_after_notice(None, match, notice))

    figures = json.loads(run("stats", "--json", "--store", store_url).stdout)["takedown"]
    (host,) = figures["per_host"]
    assert (host["key"], host["notified"], host["removed"]) == ("pastebin.com", 1, 0)
    assert host["hours_to_notice_mean"] > 0
    assert figures["notified_still_up"]["copies"] == 1
    table = run("stats", "--store", store_url).stdout
    assert "Takedowns per host" in table and "pastebin.com" in table


# -- exposure --all: the people affected ---------------------------------------------------------


def test_exposure_all_jsonl_lists_every_record_with_its_copies_and_status(store_url):
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        store.change_status(ID_PASTE, "confirmed", by="t")
        store.change_status(ID_PASTE, "takedown_sent", by="t")
        store.change_status(ID_PASTE, "removed", by="t")
    result = run("exposure", "--all", "--format", "jsonl", "--store", store_url)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_record = {line["record_id"]: line for line in lines}
    assert set(by_record) == {"case-0001", "case-0002"}
    assert by_record["case-0001"]["status"] == "exposed"  # the local copy is still up
    assert {c["url"] for c in by_record["case-0001"]["copies"]} == {PASTE, LOCAL}
    assert by_record["case-0002"]["copies"][0]["copy_status"] == "new"
    removed = next(c for c in by_record["case-0001"]["copies"] if c["url"] == PASTE)
    assert removed["copy_status"] == "removed" and removed["days_up"] > 0
    assert "person" not in by_record["case-0001"]


def test_exposure_all_csv_joins_the_responders_own_dataset_read_locally(store_url, tmp_path):
    dataset = tmp_path / "own.csv"
    dataset.write_text(
        "id,name,phone\ncase-0001,Ana Example,=1+2\ncase-0002,Ben Example,555\ncase-0009,Not Exposed,1\n"
    )
    out = tmp_path / "exposure.csv"
    result = run(
        "exposure", "--all", "--format", "csv", "--dataset", str(dataset), "--id-column", "id",
        "--out", str(out), "--store", store_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import csv
    import stat

    rows = list(csv.DictReader(out.open()))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert {(r["record_id"], r["name"], r["url"]) for r in rows} == {
        ("case-0001", "Ana Example", PASTE),
        ("case-0001", "Ana Example", LOCAL),
        ("case-0002", "Ben Example", LOCAL),
    }
    assert {r["phone"] for r in rows if r["record_id"] == "case-0001"} == {"'=1+2"}
    store_files = tmp_path.glob("takedown.db*")  # the store and its WAL: nothing of the dataset went in
    assert not any(b"Ana Example" in path.read_bytes() for path in store_files)


def test_exposure_without_a_record_id_or_all_is_a_usage_error(store_url):
    result = run("exposure", "--store", store_url)
    assert result.exit_code == 2
    assert "give a record id, or --all" in result.output


# -- exports ---------------------------------------------------------------------------------------


@pytest.fixture
def notified_store_url(store_url):
    from leaktrack.index.takedown_records import Notice
    from leaktrack.takedown.schedule import track_after_notice

    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        store.change_status(ID_PASTE, "confirmed", by="t")
        match = store.record_takedown_sent(ID_PASTE, to="https://pastebin.com/contact", by="t")
        notice = Notice(
            "n1", match.id, match.status_changed_at, "notice", "platform", "https://pastebin.com/contact",
            "leaktrack platform table (pastebin.com)", "platform_privacy_form.txt.j2", "t", None,
        )  # fmt: skip
        store.add_notice(notice)
        store.save_track(track_after_notice(None, match, notice))
    return store_url


def test_export_lumen_has_one_record_per_notice_with_the_copy_as_infringing_url(notified_store_url):
    result = run("takedown", "export", "lumen", "--sender", "Data Office", "--store", notified_store_url)
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record["type"] == "Private Information"
    assert record["works"][0]["infringing_urls"] == [{"url": PASTE}]
    assert (record["sender_name"], record["recipient_name"]) == (
        "Data Office",
        "https://pastebin.com/contact",
    )
    assert "case-0001" not in result.stdout


def test_export_misp_builds_an_event_with_paste_and_url_objects_locally(notified_store_url):
    result = run("takedown", "export", "misp", "--store", notified_store_url)
    assert result.exit_code == 0, result.output
    event = json.loads(result.stdout)["Event"]
    objects = {obj["name"]: obj for obj in event["Object"]}
    assert set(objects) == {"paste", "url"}  # found by "pastes" source; the other copy is a plain URL
    urls = {a["value"] for obj in event["Object"] for a in obj["Attribute"] if a["object_relation"] == "url"}
    assert urls == {PASTE, LOCAL}
    assert event["distribution"] in (0, "0")
    assert "case-0001" not in result.stdout


def test_export_tickets_csv_lists_every_copy_with_its_last_notice(notified_store_url, tmp_path):
    import csv

    out = tmp_path / "tickets.csv"
    result = run("takedown", "export", "tickets", "--out", str(out), "--store", notified_store_url)
    assert result.exit_code == 0, result.output
    rows = {row["url"]: row for row in csv.DictReader(out.open())}
    assert rows[PASTE]["last_notice_to"] == "https://pastebin.com/contact"
    assert rows[PASTE]["next_step"] == "notified"
    assert rows[LOCAL]["notices_sent"] == "0"


# -- purge -----------------------------------------------------------------------------------------


def test_purge_dry_run_counts_and_the_real_purge_deletes_old_dismissed_matches_and_is_audited(store_url):
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        store.change_status(ID_LOCAL, "dismissed", by="t")  # status_changed_at: now
    dry = run(
        "purge", "--older-than", "90d", "--what", "dismissed", "--dry-run", "--json", "--store", store_url
    )
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["counts"] == {"dismissed": 0}  # dismissed today: kept

    future = run(
        "purge", "--older-than", "1", "--what", "dismissed", "--dry-run", "--json", "--store", store_url
    )
    assert json.loads(future.stdout)["counts"] == {"dismissed": 0}
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        store._db.execute(  # dismissed 100 days ago
            "UPDATE matches SET status_changed_at = '2020-01-01T00:00:00.000000+00:00' WHERE id = ?",
            (ID_LOCAL,),
        )
        assert store.list_audit() == []
    dry = run(
        "purge", "--older-than", "90d", "--what", "dismissed", "--dry-run", "--json", "--store", store_url
    )
    assert json.loads(dry.stdout)["counts"] == {"dismissed": 1}
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        assert store.get(ID_LOCAL).status == "dismissed"  # the dry run deleted nothing
        assert store.list_audit() == []

    result = run("purge", "--older-than", "90d", "--what", "dismissed", "--by", "alice", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert "dismissed: purged 1" in result.stdout
    with SQLiteStore(store_url.removeprefix("sqlite:///")) as store:
        assert [m.id for m in store.list_matches()] == [ID_PASTE]
        (entry,) = store.list_audit()
    assert (entry.user, entry.action, entry.details["counts"]) == ("alice", "purge", {"dismissed": 1})


def test_purge_of_crawl_state_forgets_urls_last_seen_before_the_cut(store_url, leaktrack_home):
    from datetime import UTC, datetime, timedelta

    from leaktrack.home import CRAWL_STATE_FILE
    from leaktrack.spiders.state import CrawlState, SeenUrl

    leaktrack_home.mkdir(parents=True, exist_ok=True)
    state = CrawlState(leaktrack_home / CRAWL_STATE_FILE)
    state.remember(SeenUrl("https://old.example/1", "pastes", "a" * 64, None, None, False))
    state.remember(SeenUrl("https://new.example/2", "pastes", "b" * 64, None, None, False))
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    state._db.execute("UPDATE seen_urls SET last_seen = ? WHERE url = 'https://old.example/1'", (old,))
    state.close()

    result = run("purge", "--older-than", "90d", "--what", "crawl-state", "--json", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"crawl-state": 1}
    state = CrawlState(leaktrack_home / CRAWL_STATE_FILE)
    assert (state.has_seen("https://old.example/1"), state.has_seen("https://new.example/2")) == (False, True)
    state.close()


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--older-than", "soon"], "use a number of days like 90d"),
        (["--older-than", "9d", "--what", "logs"], "choose from"),
    ],
)
def test_purge_with_a_bad_age_or_kind_is_a_one_line_error(store_url, args, text):
    result = run("purge", *args, "--store", store_url)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and text in result.stderr
    assert "Traceback" not in result.output


def test_purge_of_evidence_removes_old_files_of_gone_copies_and_keeps_those_still_up(tmp_path):
    from dataclasses import replace

    path = tmp_path / "ev.db"
    gone_file, up_file = tmp_path / "gone.warc", tmp_path / "up.warc"
    gone_file.write_bytes(b"evidence"), up_file.write_bytes(b"evidence")
    with SQLiteStore(path) as store:
        gone, up = store.upsert_copies(
            [
                replace(found_copy(PASTE, ["case-0001"]), evidence_path=str(gone_file)),
                replace(found_copy(LOCAL, ["case-0001"]), evidence_path=str(up_file)),
            ]
        )
        for step in ("confirmed", "takedown_sent", "removed"):
            store.change_status(gone.id, step, by="t")
    result = run(
        "purge", "--older-than", "90d", "--what", "evidence", "--json", "--store", f"sqlite:///{path}"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"evidence": 1}
    assert (gone_file.exists(), up_file.exists()) == (False, True)
