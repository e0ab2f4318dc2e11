"""Matching the forms a copy takes beyond the leak's own: names in another order, split over
labelled fields or abbreviated, dates spelled out in four languages, records written as one
block line ("Name: X | DOB: Y", as the formats wing joins a multi-line record)."""

import random

import pytest

from leaktrack.fingerprints import build_fingerprint_set, holds_dataset_values, scan_text
from leaktrack.fingerprints.formats.images import ocr_text_to_lines
from leaktrack.fingerprints.normalize import fold_text, token_bytes
from leaktrack.fingerprints.scan import _scanner_for
from leaktrack.synthetic import (
    DATE_LANGUAGES,
    FIELD_LABELS,
    PersonName,
    given_then_upper_surname,
    initials_and_surname,
    other_name_order,
    spelled_date,
    surname_comma_given,
    surnames_swapped,
)

KEY = bytes(range(32))
SAMPLE = 40


@pytest.fixture(scope="module")
def fingerprints(small_leak):
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)


def people(leak, seed=0, double_surname=False):
    """Row indexes of a sample of people whose names are written with spaces."""
    pool = [
        i
        for i, n in enumerate(leak.names)
        if n.joiner == " " and (" " in n.family) == double_surname and len(n.full.split()) >= 2
    ]
    return sorted(random.Random(seed).sample(pool, min(SAMPLE, len(pool))))


def cell(leak, i, column):
    return leak.rows[i][leak.columns.index(column)]


def matched(text, fingerprints):
    return set(scan_text(text, fingerprints).matched_records)


def ids(indexes):
    return {str(i + 1) for i in indexes}


def test_surname_comma_given_name_with_birth_date_spelled_out_is_matched(small_leak, fingerprints):
    rows = people(small_leak)
    text = "\n".join(
        f"{surname_comma_given(small_leak.names[i])} (born {spelled_date(cell(small_leak, i, 'date_of_birth'), 'en')})"
        for i in rows
    )
    assert matched(text, fingerprints) == ids(rows)


@pytest.mark.parametrize("language", DATE_LANGUAGES)
def test_birth_date_spelled_out_in_each_language_is_matched(language, small_leak, fingerprints):
    rows = people(small_leak, seed=1)
    text = "\n".join(
        f"{small_leak.names[i].full}; {spelled_date(cell(small_leak, i, 'date_of_birth'), language, i)}"
        for i in rows
    )
    assert matched(text, fingerprints) == ids(rows)


@pytest.mark.parametrize("form", [other_name_order, given_then_upper_surname])
def test_name_in_another_order_or_case_with_birth_date_is_matched(form, small_leak, fingerprints):
    rows = people(small_leak, seed=2)
    text = "\n".join(f"{form(small_leak.names[i])}\t{cell(small_leak, i, 'date_of_birth')}" for i in rows)
    assert matched(text, fingerprints) == ids(rows)


@pytest.mark.parametrize("form", [surnames_swapped, surname_comma_given, other_name_order])
def test_double_surnames_in_either_order_are_matched(form, small_leak, fingerprints):
    rows = people(small_leak, seed=3, double_surname=True)
    assert rows, "the small leak has people with two family names"
    text = "\n".join(f"{form(small_leak.names[i])} - {cell(small_leak, i, 'date_of_birth')}" for i in rows)
    assert matched(text, fingerprints) == ids(rows)


def test_name_split_over_labelled_fields_of_one_block_is_matched(small_leak, fingerprints):
    rows = people(small_leak, seed=4)
    text = "\n".join(
        f"Surname: {small_leak.names[i].family} | Given names: {small_leak.names[i].given} | "
        f"Born: {spelled_date(cell(small_leak, i, 'date_of_birth'), 'en', 2)}"
        for i in rows
    )
    assert matched(text, fingerprints) == ids(rows)


@pytest.mark.parametrize("language", sorted(FIELD_LABELS))
def test_labels_in_each_language_do_not_hurt_a_block_line(language, small_leak, fingerprints):
    rows = people(small_leak, seed=5)
    labels = FIELD_LABELS[language]
    text = "\n".join(
        " | ".join(f"{label}: {value}" for label, value in zip(labels, small_leak.rows[i])) for i in rows
    )
    assert matched(text, fingerprints) == ids(rows)


def test_initials_and_surname_with_birth_date_are_matched(small_leak, fingerprints):
    rows = people(small_leak, seed=6)
    text = "\n".join(
        f"{initials_and_surname(small_leak.names[i])}, {cell(small_leak, i, 'date_of_birth')}" for i in rows
    )
    found = matched(text, fingerprints)
    assert found <= ids(rows)
    assert len(found) >= 0.9 * len(rows)


def test_initials_and_surname_with_common_fields_only_are_not_matched(small_leak, fingerprints):
    rows = people(small_leak, seed=7)
    text = "\n".join(
        f"{initials_and_surname(small_leak.names[i])}, {cell(small_leak, i, 'nationality')}, "
        f"{cell(small_leak, i, 'case_status')}, {cell(small_leak, i, 'facility')}"
        for i in rows
    )
    assert matched(text, fingerprints) == set()


def test_fields_of_two_people_in_one_block_line_do_not_combine(small_leak, fingerprints):
    rows = people(small_leak, seed=8)
    pairs = list(zip(rows[::2], rows[1::2]))
    # One's family name and birth date, the other's given name and facility.
    text = "\n".join(
        f"Surname: {small_leak.names[a].family} | Given names: {small_leak.names[b].given} | "
        f"Born: {cell(small_leak, a, 'date_of_birth')} | Facility: {cell(small_leak, b, 'facility')}"
        for a, b in pairs
    )
    assert matched(text, fingerprints) == set()


def test_a_month_name_alone_holds_no_dataset_value(fingerprints):
    assert not holds_dataset_values("March 2024 newsletter, 07-Mar-2024 edition", fingerprints)


def test_ocr_line_whose_a_number_has_a_space_beside_a_hyphen_is_matched(small_leak, fingerprints):
    rows = people(small_leak, seed=10)
    lines = []
    for n, i in enumerate(rows):
        a_number = cell(small_leak, i, "a_number")  # A-123-456-789
        spaced = a_number[:9] + (" -", "- ", " - ")[n % 3] + a_number[10:]
        lines.append(
            f"oo  {spaced}  {cell(small_leak, i, 'nationality')}  {cell(small_leak, i, 'date_of_birth')}"
        )
    assert matched(ocr_text_to_lines("\n".join(lines)), fingerprints) == ids(rows)


def test_letters_ocr_reads_for_digits_in_a_birth_date_are_read_as_digits(small_leak, fingerprints):
    rows = [i for i in people(small_leak, seed=11) if "0" in cell(small_leak, i, "date_of_birth")]
    lines = [
        f"{small_leak.names[i].full}  {cell(small_leak, i, 'date_of_birth').replace('0', 'O').replace('1', 'l')}"
        for i in rows
    ]
    assert matched("\n".join(lines), fingerprints) == ids(rows)


def test_digits_ocr_reads_for_letters_in_a_name_are_read_as_letters(small_leak, fingerprints):
    rows = [
        i
        for i in people(small_leak, seed=12)
        if set("oOlIsS") & set(small_leak.names[i].given) and fold_text(small_leak.names[i].given).isascii()
    ]
    look_alikes = str.maketrans({"o": "0", "O": "0", "l": "1", "I": "1", "s": "5", "S": "5"})
    lines = [
        f"{small_leak.names[i].given.translate(look_alikes)} {small_leak.names[i].family}  "
        f"{cell(small_leak, i, 'date_of_birth')}"
        for i in rows
    ]
    assert matched("\n".join(lines), fingerprints) == ids(rows)


def test_month_names_that_are_everyday_words_do_not_make_a_line_a_candidate(fingerprints):
    text = "You may set it out of order, as we did a year ago in Mar and Dec.\n" * 3
    assert _scanner_for(fingerprints).candidate_lines(token_bytes(fold_text(text))) == []


# -- Initials and a surname many records share ---------------------------------------------------
SHARED_SURNAME_PEOPLE = 12  # more than the prefilter's rare-value limit (PREFILTER_MAX_DF)


@pytest.fixture(scope="module")
def shared_surname_leak(small_leak):
    """The small leak and twelve more people named J... Sezer (Jale, Jülide, ...), each born
    on another day: their surname and their ``J. Sezer`` are shared by twelve records."""
    rng = random.Random(13)
    given = [
        "Jale",
        "Jülide",
        "Jan",
        "Janset",
        "Jale Nur",
        "Jerfi",
        "Jülide Su",
        "Jiyan",
        "Jasmin",
        "Jülfem",
        "Jan Ali",
        "Jaklin",
    ]
    facilities = sorted(set(small_leak.column("facility")))
    rows = [list(row) for row in small_leak.rows]
    for n, first in enumerate(given[:SHARED_SURNAME_PEOPLE]):
        born = f"{1950 + 4 * n}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        a_number = f"A-{rng.randrange(10**8, 10**9):09d}"
        rows.append([a_number, f"{first} Sezer", "Turkey", born, "Pending interview", rng.choice(facilities)])
    columns = small_leak.columns
    assert columns == ["a_number", "full_name", "nationality", "date_of_birth", "case_status", "facility"]
    ids = [str(i) for i in range(1, len(rows) + 1)]
    return rows, build_fingerprint_set(columns, rows, ids, KEY)


def initials(full_name):
    """``J. N. Sezer`` for Jale Nur Sezer."""
    *given, family = full_name.split()
    return initials_and_surname(PersonName(" ".join(given), family))


def sezer_rows(shared_surname_leak):
    rows, _ = shared_surname_leak
    return [(str(i + 1), row) for i, row in enumerate(rows) if row[1].endswith(" Sezer")]


def test_initial_and_a_surname_many_records_share_match_with_birth_date_and_facility(shared_surname_leak):
    _, fingerprints = shared_surname_leak
    people = sezer_rows(shared_surname_leak)
    text = "\n".join(f"{initials(row[1])}, {row[3]}, {row[2]}, {row[5]}" for _, row in people)
    assert matched(text, fingerprints) == {record for record, _ in people}


def test_one_line_of_an_initial_a_shared_surname_and_a_birth_date_is_matched(shared_surname_leak):
    _, fingerprints = shared_surname_leak
    record, row = sezer_rows(shared_surname_leak)[5]
    assert row[1] == "Jerfi Sezer"
    assert matched(f"Detained: J. Sezer, {row[3]}, {row[2]}\n", fingerprints) == {record}


def test_initial_and_a_shared_surname_with_a_birth_date_none_of_them_has_is_not_matched(shared_surname_leak):
    _, fingerprints = shared_surname_leak
    people = sezer_rows(shared_surname_leak)
    born = {row[3] for _, row in people}
    others = [d for d in (f"19{y}-06-1{d}" for y in range(50, 99) for d in range(9)) if d not in born]
    text = "\n".join(
        f"{initials(row[1])}, {others[n]}, Turkey, {row[5]}" for n, (_, row) in enumerate(people)
    )
    assert matched(text, fingerprints) == set()


def test_another_initial_with_a_shared_surname_and_a_birth_date_is_not_matched(shared_surname_leak):
    _, fingerprints = shared_surname_leak
    people = sezer_rows(shared_surname_leak)
    text = "\n".join(f"K{initials(row[1])[1:]}, {row[3]}, {row[2]}, {row[5]}" for _, row in people)
    assert matched(text, fingerprints) == set()


# -- letters OCR misreads inside names -------------------------------------------------------------


def misread_one_letter(word, rng):
    """The word with one letter read as another (Asunción -> Asuncién, Burç -> Burg)."""
    at = rng.randrange(len(word))
    return word[:at] + ("e" if word[at].lower() != "e" else "a") + word[at + 1 :]


def ocr_rows(leak, seed):
    """``LAST, First<TAB>spelled birth date<TAB>nationality`` with one letter of each given
    name misread, as a screenshot's OCR gives them (Latin names of at least 4 letters)."""
    rng = random.Random(seed)
    rows = [
        i for i in people(leak, seed=seed) if len(leak.names[i].given) >= 4 and " " not in leak.names[i].given
    ]
    rows = [i for i in rows if fold_text(leak.names[i].given).isascii()]
    lines = [
        f"{leak.names[i].family.upper()}, {misread_one_letter(leak.names[i].given, rng)}\t"
        f"{spelled_date(cell(leak, i, 'date_of_birth'), 'en')}\t{cell(leak, i, 'nationality')}"
        for i in rows
    ]
    return rows, "\n".join(lines) + "\n"


def test_a_name_with_one_letter_misread_by_ocr_is_matched_with_its_birth_date(small_leak, fingerprints):
    rows, text = ocr_rows(small_leak, seed=14)
    assert len(rows) >= 10
    lines = text.count("\n") + 1
    found = set(scan_text(text, fingerprints, ocr_line_ranges=[(0, lines)]).matched_records)
    assert found == ids(rows)


def test_one_misread_letter_is_absorbed_in_text_read_by_ocr_only(small_leak, fingerprints):
    rows, text = ocr_rows(small_leak, seed=14)
    typed = set(scan_text(text, fingerprints).matched_records)
    assert typed < ids(rows)  # a typed name with a wrong letter is another name


def test_a_misread_name_with_another_birth_date_is_not_matched(small_leak, fingerprints):
    rows, text = ocr_rows(small_leak, seed=15)
    shifted = "\n".join(
        line.replace(spelled_date(cell(small_leak, i, "date_of_birth"), "en"), "1st of January 1931")
        for i, line in zip(rows, text.splitlines())
    )
    lines = shifted.count("\n") + 1
    assert scan_text(shifted, fingerprints, ocr_line_ranges=[(0, lines)]).matched_records == []
