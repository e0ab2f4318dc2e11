"""A real Scrapy crawl of a local mirror picks up every document format the formats wing
reads, by link ending, and by magic bytes when the server mislabels a document as HTML."""

from __future__ import annotations

import pytest
from fixtures_sites import home_store, mirror_source, sources_for, sweep_with

from leaktrack.fingerprints.formats import images
from leaktrack.spiders.sites import add_mirror
from leaktrack.synthetic_forms import (
    drawable,
    render_7z,
    render_docx,
    render_eml,
    render_mbox,
    render_ods,
    render_odt,
    render_pdf,
    render_table_image,
    render_xls,
)

DOCUMENTS = {
    "lists/roster.pdf": lambda c, r: render_pdf(c, r, rows_per_page=4),
    "lists/roster.docx": render_docx,
    "lists/roster.odt": render_odt,
    "sheets/roster.ods": render_ods,
    "sheets/roster.xls": render_xls,
    "archives/roster.7z": lambda c, r: render_7z({"roster.csv": _csv(c, r)}),
    "mail/fwd.eml": lambda c, r: render_eml({"roster.csv": _csv(c, r)}),
    "mail/list.mbox": lambda c, r: render_mbox([render_eml({"roster.csv": _csv(c, r)})]),
}
SCREENSHOTS = {
    "shots/roster.png": lambda c, r: render_table_image(c, r, "PNG"),
    "shots/roster.jpg": lambda c, r: render_table_image(c, r, "JPEG"),
    "shots/roster.webp": lambda c, r: render_table_image(c, r, "WEBP"),
}


def _csv(columns, rows) -> bytes:
    return ("\n".join(",".join(row) for row in [columns, *rows]) + "\n").encode()


def stored_matches() -> dict[str, set[str]]:
    with home_store() as store:
        return {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}


def test_mirror_sweep_picks_up_every_document_format(
    local_site, crawl_settings, leak_fingerprints, small_leak
):
    columns = small_leak.columns
    usable = [i for i, row in enumerate(small_leak.rows) if drawable(row[1]) and row[1].isascii()]
    files, wanted = {}, {}
    forms = {**DOCUMENTS, **(SCREENSHOTS if images.ocr_available() else {})}
    for number, (path, render) in enumerate(sorted(forms.items())):
        indexes = usable[number * 6 : number * 6 + 6]
        files[path] = render(columns, [small_leak.rows[i] for i in indexes])
        wanted[local_site.url("/mirror/" + path)] = {small_leak.ids[i] for i in indexes}
    # A PDF behind a link without a file ending, served as text/html.
    mislabelled = [small_leak.rows[i] for i in usable[-6:]]
    files["download/latest"] = render_pdf(columns, mislabelled)
    wanted[local_site.url("/mirror/download/latest")] = {small_leak.ids[i] for i in usable[-6:]}
    add_mirror(local_site, files)
    local_site.put(
        "/mirror/download/latest", files["download/latest"], content_type="text/html; charset=utf-8"
    )

    summary = sweep_with(
        sources_for(mirror_source(local_site, max_depth=3)), leak_fingerprints, crawl_settings
    )

    assert summary.per_source["mirror"]["errors"] == 0
    for path in forms:
        assert local_site.requests_for("/mirror/" + path), path
    found = stored_matches()
    for url, ids in wanted.items():
        if url.endswith(tuple(SCREENSHOTS)):  # OCR: most rows, never a wrong one
            assert found.get(url, set()) <= ids and len(found.get(url, set())) >= 4, url
        else:
            assert found.get(url) == ids, url


@pytest.mark.parametrize("path", ["lists/empty.pdf", "sheets/other.xls"])
def test_mirror_documents_of_other_people_store_nothing(path, local_site, crawl_settings, leak_fingerprints):
    from leaktrack.synthetic import generate_leak

    other = generate_leak(40, seed=321, n_facilities=40)
    render = render_pdf if path.endswith(".pdf") else render_xls
    add_mirror(local_site, {path: render(other.columns, [r for r in other.rows if drawable(r[1])][:20])})
    sweep_with(sources_for(mirror_source(local_site)), leak_fingerprints, crawl_settings)
    assert local_site.requests_for("/mirror/" + path)
    assert stored_matches() == {}


def test_a_zip_trap_on_a_mirror_is_stored_as_a_match_flagged_partly_read(
    local_site, crawl_settings, leak_fingerprints, small_leak
):
    # The leak CSV behind 1,001 one-byte members: the archive-member limit trips, yet what was
    # read before it holds the records (issue 8: a trap must not hide the whole archive).
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(1001):
            archive.writestr(f"pad/{i:04}.txt", b"x")
        archive.writestr("zz-last/cases.csv", small_leak.to_csv_bytes())
    add_mirror(local_site, {"archives/trap.zip": buffer.getvalue()})

    sweep_with(sources_for(mirror_source(local_site)), leak_fingerprints, crawl_settings)

    with home_store() as store:
        (match,) = store.list_matches(limit=None)
    assert match.url == local_site.url("/mirror/archives/trap.zip")
    assert set(match.matched_records) == set(small_leak.ids)
    assert match.partly_read
