"""Evidence of a sweep's matches: the report of what matched, and the WARC capture when kept."""

from __future__ import annotations

import os
import stat

from fixtures_sites import sources_for, sweep_with, urls_source
from warcio.archiveiterator import ArchiveIterator

from leaktrack.index import match_id_for_url
from leaktrack.spiders.evidence import evidence_path_for, load_evidence, warc_path_for


def _sweep_one(local_site, leak_fingerprints, crawl_settings, keep: bool):
    sample = leak_fingerprints.copies["excerpt_10_rows"]
    local_site.put("/files/a.csv", sample.data)
    sweep_with(
        sources_for(urls_source(local_site, ["/files/a.csv"])),
        leak_fingerprints,
        crawl_settings,
        keep_evidence=keep,
    )
    return sample, match_id_for_url(local_site.url("/files/a.csv"))


def test_a_kept_capture_is_an_owner_only_warc_of_the_response_as_fetched(
    local_site, crawl_settings, leak_fingerprints, leaktrack_home
):
    sample, match_id = _sweep_one(local_site, leak_fingerprints, crawl_settings, keep=True)
    warc = warc_path_for(leaktrack_home / "evidence", match_id)

    assert stat.S_IMODE(os.stat(warc).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(warc.parent).st_mode) == 0o700
    with open(warc, "rb") as stream:  # records stream: read each one before taking the next
        responses = [
            (
                r.rec_headers.get_header("WARC-Target-URI"),
                r.http_headers.get_statuscode(),
                r.content_stream().read(),
            )
            for r in ArchiveIterator(stream)
            if r.rec_type == "response"
        ]
    assert responses == [(local_site.url("/files/a.csv"), "200", sample.data)]


def test_a_kept_report_marks_the_matched_fields_of_every_exposed_record_in_its_line(
    local_site, crawl_settings, leak_fingerprints, leaktrack_home
):
    sample, match_id = _sweep_one(local_site, leak_fingerprints, crawl_settings, keep=True)
    report = load_evidence(leaktrack_home / "evidence", match_id)

    assert {r.record_id for r in report.records} == set(sample.expected_records)
    lines = sample.data.decode("utf-8").split("\n")
    for record in report.records:
        kept = report.lines[record.line]  # the line as extracted (CSV cells joined by tabs)
        assert all(kept[m.start : m.end] in lines[record.line] for m in record.marks)
        assert record.marks and {m.column for m in record.marks} == set(record.fields)
        assert 0 < record.confidence <= 1
    assert stat.S_IMODE(os.stat(evidence_path_for(leaktrack_home / "evidence", match_id)).st_mode) == 0o600


def test_without_keep_evidence_the_report_names_fields_and_records_but_holds_no_plaintext(
    local_site, crawl_settings, leak_fingerprints, leaktrack_home, small_leak
):
    sample, match_id = _sweep_one(local_site, leak_fingerprints, crawl_settings, keep=False)
    path = evidence_path_for(leaktrack_home / "evidence", match_id)
    report = load_evidence(leaktrack_home / "evidence", match_id)

    assert {r.record_id for r in report.records} == set(sample.expected_records)
    assert all(r.fields and not r.marks for r in report.records) and not report.lines
    assert not warc_path_for(leaktrack_home / "evidence", match_id).exists()
    text = path.read_text()
    leaked = {value for row in small_leak.rows for value in row if len(value) >= 4}
    assert not [value for value in leaked if value in text]
