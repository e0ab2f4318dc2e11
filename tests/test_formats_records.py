"""Records over several lines become one line per record, and never two people in one line."""

from __future__ import annotations

import json

import pytest

from leaktrack.fingerprints import build_fingerprint_set, scan_bytes
from leaktrack.fingerprints.documents import extract_texts
from leaktrack.fingerprints.formats.records import FIELD_SEPARATOR, MAX_BLOCK_LINES, join_record_blocks
from leaktrack.synthetic import generate_leak, render_html_table
from leaktrack.synthetic_forms import (
    render_docx,
    render_fixed_width_forms,
    render_html_cards,
    render_html_definition_lists,
    render_html_list,
    render_key_value_blocks,
    render_vcards,
    render_yaml,
)

KEY = bytes(range(32))
LABELS_ES = ["Número A", "Nombre", "Nacionalidad", "Fecha de nacimiento", "Estado", "Centro"]


@pytest.fixture(scope="module")
def fingerprints(small_leak):
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)


@pytest.fixture(scope="module")
def people(small_leak):
    indexes = list(range(50, 80))
    return small_leak.columns, [small_leak.rows[i] for i in indexes], {small_leak.ids[i] for i in indexes}


@pytest.fixture(scope="module")
def strangers():
    other = generate_leak(60, seed=123, n_facilities=40)
    return other.columns, other.rows[:30]


def pretty_json_in_a_paste(columns, rows) -> bytes:
    records = json.dumps([dict(zip(columns, row)) for row in rows], indent=4, ensure_ascii=False)
    return f"found this on a forum:\n\n{records}\n\nenjoy\n".encode()


LAYOUTS = {
    "key_value_colon": lambda c, r: render_key_value_blocks(c, r).encode(),
    "key_value_spanish": lambda c, r: render_key_value_blocks(c, r, labels=LABELS_ES).encode(),
    "key_value_equals": lambda c, r: render_key_value_blocks(c, r, separator=" = ").encode(),
    "key_value_tab": lambda c, r: render_key_value_blocks(c, r, separator="\t").encode(),
    "no_labels": lambda c, r: render_key_value_blocks(c, r, labels=[]).encode(),
    "fixed_width_forms": lambda c, r: render_fixed_width_forms(c, r).encode(),
    "yaml": lambda c, r: render_yaml(c, r).encode(),
    "vcards": lambda c, r: render_vcards(c, r).encode(),
    "pretty_json_in_text": pretty_json_in_a_paste,
    "html_cards": render_html_cards,
    "html_list_items": render_html_list,
    "html_definition_lists": render_html_definition_lists,
    "docx_paragraphs": lambda c, r: render_docx(
        ["text"], [[line] for line in render_key_value_blocks(c, r).split("\n")]
    ),
}
SUFFIX = {
    "html_cards": "html",
    "html_list_items": "html",
    "html_definition_lists": "html",
    "docx_paragraphs": "docx",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_record_block_becomes_one_line_holding_all_its_values(layout, people):
    columns, rows, _ = people
    name = f"people.{SUFFIX.get(layout, 'txt')}"
    text = extract_texts(LAYOUTS[layout](columns, rows[:3]), name).text
    for row in rows[:3]:
        assert any(all(value in line for value in row) for line in text.splitlines()), (row, text)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_scan_finds_records_written_over_several_lines_with_their_ids(layout, people, fingerprints):
    columns, rows, ids = people
    name = f"people.{SUFFIX.get(layout, 'txt')}"
    result = scan_bytes(LAYOUTS[layout](columns, rows), fingerprints, name=name)
    assert set(result.matched_records) == ids


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_record_blocks_of_other_people_stay_clean(layout, strangers, fingerprints):
    columns, rows = strangers
    name = f"others.{SUFFIX.get(layout, 'txt')}"
    result = scan_bytes(LAYOUTS[layout](columns, rows), fingerprints, name=name)
    assert result.verdict == "clean", result.matched_records


def test_facility_addresses_as_key_value_blocks_stay_clean(small_leak, fingerprints):
    facilities = sorted(set(small_leak.column("facility")))[:20]
    blocks = "\n\n".join(
        f"Facility: {name}\nAddress: {100 + n} Main Street\nCity: Springfield\nPhone: 555-01{n:02}"
        for n, name in enumerate(facilities)
    )
    assert scan_bytes(blocks.encode(), fingerprints, name="facilities.txt").verdict == "clean"


# -- the window never glues two people ------------------------------------------------------------


def test_a_label_seen_again_starts_the_next_record_without_a_blank_line():
    text = "Name: Jane Example\nDOB: 1990-03-07\nName: John Sample\nDOB: 1985-01-02\n"
    assert join_record_blocks(text).splitlines() == ["Jane Example | 1990-03-07", "John Sample | 1985-01-02"]


def test_a_heading_after_fields_starts_the_next_record():
    text = "Jane Example\nDOB: 1990-03-07\nID: 123456789\nJohn Sample\nDOB: 1985-01-02\nID: 987654321\n"
    assert join_record_blocks(text).splitlines() == [
        "Jane Example | 1990-03-07 | 123456789",
        "John Sample | 1985-01-02 | 987654321",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Jane Example\t1990-03-07\nJohn Sample\t1985-01-02\nMary Person\t1970-05-06\n",  # two-column table
        "Jane Example: 1990-03-07\nJohn Sample: 1985-01-02\n",  # one person a line, names as "labels"
        "Jane Example 1990-03-07\nJohn Sample 1985-01-02\n\nMary Person 1970-05-06\nBob Other 1960-01-01\n",
        "a_number,full_name\nA-1,Jane\nA-2,John\n",
    ],
    ids=["two_columns", "name_colon_date", "name_date_lines", "csv"],
)
def test_lines_that_are_records_of_their_own_are_never_joined(text):
    assert join_record_blocks(text) == text


def test_paragraphs_of_different_people_in_one_html_container_stay_apart():
    page = "<div><p>Jane Example, born 1990-03-07</p><p>John Sample, born 1985-01-02</p></div>"
    assert extract_texts(page.encode(), "p.html").text.splitlines() == [
        "Jane Example, born 1990-03-07",
        "John Sample, born 1985-01-02",
    ]


def test_a_record_longer_than_the_window_is_left_line_by_line():
    # Two blocks of the same 41 labels: trusted labels, but no record boundary within 40 lines.
    block = "\n".join(f"Label {n}: value {1000 + n}" for n in range(MAX_BLOCK_LINES + 1))
    text = block + "\n\n" + block
    assert join_record_blocks(text) == text
    shorter = "\n".join(block.splitlines()[:MAX_BLOCK_LINES])
    assert len(join_record_blocks(shorter + "\n\n" + shorter).splitlines()) == 3  # the window allows 40


def test_blocks_of_words_only_are_left_line_by_line():
    # A Debian copyright header: fields, but no date, id number, phone or e-mail of a person.
    block = "Format: https://www.debian.org/doc/copyright-format/\nUpstream-Name: java-atk-wrapper\nSource: http://download.gnome.org/"
    text = block + "\n\n" + block + "\n"
    assert join_record_blocks(text) == text


def test_a_block_with_an_email_address_and_no_digits_is_joined():
    text = "Name: Jane Example\nEmail: jane@example.org\n\nName: John Sample\nEmail: john@example.org\n"
    assert join_record_blocks(text).split("\n") == [
        "Jane Example | jane@example.org",
        "",
        "John Sample | john@example.org",
        "",
    ]


def test_html_tables_are_still_rows_not_joined(people):
    columns, rows, _ = people
    text = extract_texts(render_html_table(columns, rows[:3], "t"), "t.html").text
    assert "\t".join(rows[0]) in text.splitlines()
    assert FIELD_SEPARATOR not in text
