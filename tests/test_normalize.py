"""Normalization: the forms a copy takes must meet the original's tokens, ids and dates."""

import pytest

from leaktrack.fingerprints.normalize import (
    digit_date_readings,
    fold_text,
    id_number,
    looks_like_record_line,
    ocr_readings,
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


@pytest.mark.parametrize(
    "written",
    ["7th of March 1990", "March 7th, 1990", "born 7 March 1990", "Tuesday, 7 March 1990", "7 Mar. 1990"],
)
def test_english_dates_with_ordinal_days_and_words_around_them_are_read(written):
    assert dates_in(written) == {"1990-03-07"}


@pytest.mark.parametrize(
    "written", ["7 de marzo de 1990", "el 7 de marzo del 1990", "7 mar 1990", "nacido el 7 de Marzo, 1990"]
)
def test_spanish_spelled_dates_are_read(written):
    assert dates_in(written) == {"1990-03-07"}


@pytest.mark.parametrize("written", ["le 7 mars 1990", "né le 7 mars 1990", "7 MARS 1990"])
def test_french_spelled_dates_are_read(written):
    assert dates_in(written) == {"1990-03-07"}


@pytest.mark.parametrize("written", ["7 de março de 1990", "nascido em 7 de março de 1990", "7 MARÇO 1990"])
def test_portuguese_spelled_dates_are_read(written):
    assert dates_in(written) == {"1990-03-07"}


@pytest.mark.parametrize(
    "written", ["1er mars 1990", "1º de marzo de 1990", "1st March 1990", "1ª março 1990"]
)
def test_first_of_the_month_written_as_an_ordinal_is_read(written):
    assert dates_in(written) == {"1990-03-01"}


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("12 janvier 1971", "1971-01-12"),
        ("3 février 1985", "1985-02-03"),
        ("19 août 2003", "2003-08-19"),
        ("30 décembre 1960", "1960-12-30"),
        ("2 de fevereiro de 1977", "1977-02-02"),
        ("15 de outubro de 1999", "1999-10-15"),
        ("9 de setiembre de 1966", "1966-09-09"),
        ("21 de diciembre de 2001", "2001-12-21"),
        ("4 de dezembro de 1955", "1955-12-04"),
    ],
)
def test_month_names_of_every_language_have_their_number(written, iso):
    assert dates_in(written) == {iso}


def test_a_month_name_without_day_and_year_is_no_date():
    assert dates_in("March 2024 release, 12 items") == set()


@pytest.mark.parametrize(
    ("chunk", "words", "numbers"),
    [
        ("j0se", ("jose",), ()),
        ("al23456789", (), ("123456789",)),
        ("19s00307", (), ("19500307",)),
        ("gi11e5", ("giiies", "gilles"), ()),
    ],
)
def test_ocr_look_alikes_are_read_as_letters_in_words_and_digits_in_numbers(chunk, words, numbers):
    assert ocr_readings(chunk) == (words, numbers)


@pytest.mark.parametrize("chunk", ["a513653999", "19900307", "maria", "a1"])
def test_a_number_prefix_a_date_or_a_plain_word_has_no_ocr_reading(chunk):
    assert ocr_readings(chunk) == ((), ())
