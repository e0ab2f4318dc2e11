"""Normalization: the forms a copy takes must meet the original's tokens, ids and dates."""

import pytest

from leaktrack.fingerprints.normalize import (
    digit_date_readings,
    fold_text,
    id_number,
    looks_like_record_line,
    textual_dates,
    transliterated_tokens,
    value_tokens,
)


def ids_in(value: str) -> list[str]:
    return [t for t in value_tokens(value) if id_number(t)]


def dates_in(value: str) -> set[str]:
    tokens = value_tokens(value)
    return {d for t in tokens for d in digit_date_readings(t)} | set(textual_dates(tokens))


def test_fold_text_removes_case_and_diacritics():
    assert fold_text("JOSÉ Ñúñez Łódź") == "jose nunez łodz"


def test_fold_text_applies_compatibility_forms():
    assert fold_text("ＭＡＲＩＡ ﬁle") == "maria file"


def test_fold_text_of_cyrillic_is_case_folded():
    assert fold_text("АЛЕКСЕЙ") == fold_text("алексей")


@pytest.mark.parametrize("written", ["A-123-456-789", "A123456789", "123456789", "a 123.456.789"])
def test_a_number_formats_share_one_id_number(written):
    assert ids_in(written) == ["123456789"]


def test_short_numbers_are_not_id_numbers():
    assert ids_in("room 12345, floor 3") == []


@pytest.mark.parametrize(
    "written",
    ["1990-03-07", "1990/3/7", "07.03.1990", "03/07/1990", "7 March 1990", "March 7, 1990", "07-Mar-1990"],
)
def test_date_formats_share_the_iso_reading(written):
    assert "1990-03-07" in dates_in(written)


def test_ambiguous_date_is_read_day_first_and_month_first():
    assert dates_in("03/07/1990") == {"1990-03-07", "1990-07-03"}


def test_date_with_day_above_twelve_has_one_reading():
    assert dates_in("25/12/1990") == {"1990-12-25"}


def test_id_numbers_are_not_read_as_dates():
    assert dates_in("A-123-456-789") == set()


def test_whitespace_and_punctuation_noise_give_the_same_tokens():
    assert value_tokens("  Maria   del  Carmen ,") == value_tokens("maria del carmen")


def test_apostrophes_and_hyphens_join_name_parts():
    assert value_tokens("O'Brien García-López") == ["obrien", "garcialopez"]


def test_letters_and_digits_split_into_separate_tokens():
    assert value_tokens("A123456789") == ["a", "123456789"]


def test_cyrillic_name_transliterates_to_latin_tokens():
    assert transliterated_tokens("Алексей Иванов") == [["aleksey", "ivanov"]]


def test_chinese_name_transliterations_include_syllables_and_given_name():
    variants = transliterated_tokens("王小明")
    assert ["wangxiaoming"] in variants
    assert ["wang", "xiao", "ming"] in variants
    assert ["wang", "xiaoming"] in variants


def test_latin_name_without_diacritics_has_no_transliteration():
    assert transliterated_tokens("Maria Lopez") == []


def test_tab_separated_line_looks_like_a_record():
    assert looks_like_record_line("Maria Lopez\tMexico")


def test_prose_line_with_one_comma_does_not_look_like_a_record():
    assert not looks_like_record_line("Hello, world and goodbye")
