"""Normalize text so that the transformations a copy goes through meet the original.

One tokenizer serves the dataset (at build) and documents (at scan), so both sides agree:

1. ``fold_text``: Unicode NFKD (compatibility forms), case folding, diacritics
   (combining marks) stripped.
2. ``token_bytes``: UTF-8, with ``- . / '`` deleted (so ``A-123-456-789``, ``A123456789``
   and ``123.456.789`` become one chunk, ``03/07/1990`` becomes ``03071990``, ``O'Brien``
   becomes ``obrien``) and every other ASCII punctuation/whitespace turned into a space;
   newlines kept so line numbers survive.
3. ``chunk_tokens``: a whitespace chunk split into runs of letters and runs of digits
   (``a123456789`` -> ``a``, ``123456789``), non-ASCII punctuation dropped.

Ids: a digit token of ``MIN_ID_DIGITS`` or more digits is an id-like number.
Dates: a digit token of 6-8 digits is read as a date with the year first (YYYYMMDD) or last
(DDMMYYYY *and* MMDDYYYY: an ambiguous date is indexed and looked up under both readings,
so ``03/07/1990`` meets both ``1990-07-03`` and ``1990-03-07``). Month names and their
abbreviations in English, Spanish, French and Portuguese are read with ordinal days and the
little words around them: ``7 March 1990``, ``March 7th, 1990``, ``7th of March 1990``,
``07-Mar-1990``, ``1990 Mar 07``, ``7 de marzo de 1990``, ``le 1er mars 1990``, ``7 de março de 1990``.
Transliteration: non-Latin values are also indexed in their anyascii Latin form.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from anyascii import anyascii

from . import params

if TYPE_CHECKING:
    import numpy as np


@functools.cache
def _marks_re() -> re.Pattern:
    """Combining marks of the Basic Multilingual Plane (accents, Arabic harakat, ...); made on
    first use: listing them costs ~15 ms of every command's start-up otherwise."""
    return re.compile(
        "["
        + "".join(re.escape(chr(c)) for c in range(0x300, 0x10000) if unicodedata.category(chr(c)) == "Mn")
        + "]"
    )


_DELETED_BYTES = b"-./'"
_NEWLINE = 10
_KEPT_ASCII = set(b"abcdefghijklmnopqrstuvwxyz0123456789\n")
_TOKEN_TABLE = bytes(
    b if (b in _KEPT_ASCII or b >= 0x80) else (b + 32 if 65 <= b <= 90 else 0x20) for b in range(256)
)
_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+")
_ASCII_TOKEN_RE = re.compile(rb"[a-z]+|[0-9]+")
_CAMEL_RE = re.compile(r"[A-Z][a-z]*|[a-z]+|[0-9]+")

# Month names and abbreviations in English, Spanish, French and Portuguese, as folded
# (``fold_text``: no diacritics, so "février" is "fevrier" and "março" is "marco").
_MONTH_NAMES = [
    ("jan", "january", "ene", "enero", "janv", "janvier", "janeiro"),
    ("feb", "february", "febrero", "fev", "fevr", "fevrier", "fevereiro"),
    ("mar", "march", "marzo", "mars", "marco"),
    ("apr", "april", "abr", "abril", "avr", "avril"),
    ("may", "mayo", "mai", "maio"),
    ("jun", "june", "junio", "juin", "junho"),
    ("jul", "july", "julio", "juil", "juillet", "julho"),
    ("aug", "august", "ago", "agosto", "aou", "aout"),
    ("sep", "sept", "september", "septiembre", "setiembre", "set", "septembre", "setembro"),
    ("oct", "october", "octubre", "octobre", "out", "outubro"),
    ("nov", "november", "noviembre", "novembre", "novembro"),
    ("dec", "december", "dic", "diciembre", "decembre", "dez", "dezembro"),
]
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
# Month names that are not everyday words or abbreviations ("may", "set", "out", "mar",
# "Jan"; "mars", "sept" and "marco" are a planet, a number and a first name): a prefilter hit.
PREFILTER_MONTHS = frozenset(m for m in MONTHS if len(m) >= 4 and m not in {"mars", "sept", "marco"})
# Words a spelled date carries between its day, month and year, skipped when reading it:
# ordinal suffixes as tokenized ("7th" -> 7, th; "1er"; "1º" folds to "1o"; "1ª"), and the
# prepositions and articles of "7th of March", "7 de marzo de 1990", "le 7 mars", "7 de março".
DATE_FILLER_WORDS = frozenset("st nd rd th er re ro o a de del of the le el em en day".split())
# A spelled date spans at most this many tokens after fillers are dropped around its month.
_DATE_SIDE_TOKENS = 2


def fold_text(text: str) -> str:
    """Compatibility-decomposed (NFKD: fullwidth, ligatures), case-folded, without
    diacritics. Left decomposed (no NFC): both sides fold alike, and one pass is cheaper.
    ASCII text takes a fast path."""
    if text.isascii():
        return text.lower()
    return _marks_re().sub("", unicodedata.normalize("NFKD", text).casefold())


def token_bytes(folded: str) -> bytes:
    """Folded text as bytes where whitespace-separated chunks are the token carriers."""
    return folded.encode("utf-8", "surrogatepass").translate(_TOKEN_TABLE, _DELETED_BYTES)


def chunk_tokens(chunk: bytes) -> tuple[str, ...]:
    """The letter runs and digit runs of one chunk of ``token_bytes``."""
    if chunk.isalpha() or chunk.isdigit():  # bytes methods: ASCII only, the common case
        return (chunk.decode("ascii"),)
    if chunk.isalnum():  # ASCII letters and digits mixed: A123456789
        return tuple(t.decode("ascii") for t in _ASCII_TOKEN_RE.findall(chunk))
    return tuple(_TOKEN_RE.findall(chunk.decode("utf-8", "replace")))


def value_tokens(value: str) -> list[str]:
    """Tokens of a dataset value or document line, as the scanner sees them."""
    return folded_tokens(fold_text(value))


def folded_tokens(folded: str) -> list[str]:
    """Tokens of text already passed through ``fold_text``."""
    return [t for chunk in token_bytes(folded).split() for t in chunk_tokens(chunk)]


def id_number(token: str) -> str | None:
    """The token itself when it is an id-like digit run: decimal digits (``str.isdecimal``,
    what ``chunk_tokens`` cuts as a run of digits and int() reads), not ``str.isdigit``'s
    wider set, whose dingbat digits ("❶", "➅": NFKD leaves them, where it turns "①" into
    "1") are a run of letters to ``chunk_tokens`` and to the compiled first pass."""
    return token if token.isdecimal() and len(token) >= params.MIN_ID_DIGITS else None


def one_digit_deletions(digits: str) -> set[str]:
    """The number and every number one digit shorter: a one-digit typo of an id number
    (substitution, insertion, deletion, adjacent swap) shares one of these with the true one."""
    return {digits} | {digits[:i] + digits[i + 1 :] for i in range(len(digits))}


@functools.lru_cache(maxsize=1 << 16)  # every date of the years in range: a few dict lookups, not a datetime
def _iso_date(year: int, month: int, day: int) -> str | None:
    if not params.DATE_MIN_YEAR <= year <= params.DATE_MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _two_part_splits(digits: str) -> list[tuple[int, int]]:
    """Ways to read 2-4 digits as two numbers of 1-2 digits each."""
    return [(int(digits[:i]), int(digits[i:])) for i in (1, 2) if 1 <= len(digits) - i <= 2]


def digit_date_readings(token: str) -> tuple[str, ...]:
    """ISO dates a 6-8 digit token can be: YYYYMMDD, DDMMYYYY or MMDDYYYY (all kept)."""
    if not (token.isdecimal() and 6 <= len(token) <= 8):  # (isdigit takes "❶", which int() refuses)
        return ()
    readings: set[str | None] = set()
    for month, day in _two_part_splits(token[4:]):
        readings.add(_iso_date(int(token[:4]), month, day))
    for first, second in _two_part_splits(token[:-4]):
        year = int(token[-4:])
        readings.add(_iso_date(year, second, first))
        readings.add(_iso_date(year, first, second))
    readings.discard(None)
    return tuple(sorted(readings))  # type: ignore[arg-type]


def textual_dates(tokens: list[str]) -> list[str]:
    """ISO dates written with a month name somewhere in a token sequence.

    Read around each month name, fillers skipped (``DATE_FILLER_WORDS``): day before and year
    after ("7 March 1990", "7th of March 1990", "7 de marzo de 1990", "le 1er mars 1990"), day
    and year after ("March 7th, 1990"), year before and day after ("1990 Mar 07")."""
    found = []
    for i, token in enumerate(tokens):
        month = MONTHS.get(token)
        if month is None:
            continue
        before = _date_side(reversed(tokens[max(0, i - 4) : i]))
        after = _date_side(tokens[i + 1 : i + 5])
        for day, year in (
            (before[0], after[0]),
            (after[0], after[1]),
            (after[0], before[0]),
        ):
            if day.isdecimal() and year.isdecimal() and len(day) <= 2 and len(year) == 4:
                iso = _iso_date(int(year), month, int(day))
                if iso:
                    found.append(iso)
    return found


def _date_side(tokens) -> list[str]:
    """The first tokens next to a month name, fillers dropped, padded with empty strings."""
    side = [t for t in tokens if t not in DATE_FILLER_WORDS][:_DATE_SIDE_TOKENS]
    return side + [""] * (_DATE_SIDE_TOKENS - len(side))


# OCR's look-alikes (folded): letters read for digits inside a number, digits read for
# letters inside a word. "1" stands for "l" or "i", so a word gets both readings.
_DIGITISH_RUN = re.compile(r"[0-9olis]+")
_LETTERISH_RUN = re.compile(r"[a-z015]+")
_AS_DIGITS = str.maketrans("olis", "0115")
_AS_LETTERS = (str.maketrans("015", "ols"), str.maketrans("015", "ois"))


@functools.lru_cache(maxsize=1 << 16)
def ocr_readings(chunk: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words, numbers) a chunk of letters and digits may be under OCR's look-alikes
    (``0``/``O``, ``1``/``l``/``I``, ``5``/``S``): ``j0se`` -> ``jose``, ``al23456789`` ->
    ``123456789``. A number needs two real digits and the length of an id or a date, a word
    two real letters, so that an id number's ``A`` prefix or a date stays what it is. Empty
    when there is nothing to read."""
    numbers = {
        run.translate(_AS_DIGITS)
        for run in _DIGITISH_RUN.findall(chunk)
        if len(run) >= params.MIN_ID_DIGITS and sum(ch.isdigit() for ch in run) >= 2 and not run.isdigit()
    }
    words = {
        run.translate(table)
        for run in _LETTERISH_RUN.findall(chunk)
        if sum(ch.isalpha() for ch in run) >= 2 and not run.isalpha()
        for table in _AS_LETTERS
    }
    return tuple(sorted(words)), tuple(sorted(numbers))


_LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_letter_edits(word: str) -> set[str]:
    """Every word one letter away from ``word``: a letter deleted, replaced by a to z, or
    inserted. What OCR does to one letter of a folded name (``asuncien`` for Asunción,
    ``burg`` for Burç, ``ababeil`` for Ababei): the true name is among these."""
    edits = {word[:i] + word[i + 1 :] for i in range(len(word))}
    for i in range(len(word) + 1):
        edits.update(word[:i] + letter + word[i:] for letter in _LATIN_LETTERS)
        if i < len(word):
            edits.update(word[:i] + letter + word[i + 1 :] for letter in _LATIN_LETTERS)
    edits.discard(word)
    return edits


def transliterated_tokens(value: str, native: list[str] | None = None) -> list[list[str]]:
    """Latin token sequences of a non-Latin value (empty for Latin values).

    anyascii writes CJK and Hangul names as run-together syllables (``WangXiaoMing``); a
    copy may split them per syllable or as surname + given name, so those are kept too.
    """
    latin = anyascii(unicodedata.normalize("NFKC", value))
    if latin == value:
        return []
    variants = [value_tokens(latin)]
    syllables = [_CAMEL_RE.findall(word) for word in latin.split()]
    syllables = [parts for parts in syllables if parts]
    if any(len(parts) > 1 for parts in syllables):
        variants.append(value_tokens(" ".join(" ".join(parts) for parts in syllables)))
        variants.append(value_tokens(" ".join(parts[0] + " " + "".join(parts[1:]) for parts in syllables)))
    native = value_tokens(value) if native is None else native
    unique: list[list[str]] = []
    for variant in variants:
        if variant and variant != native and variant not in unique:
            unique.append(variant)
    return unique


def looks_like_record_line(line: str) -> bool:
    """A table row rather than prose (see ``record_lines``)."""
    return bool(record_lines(line.encode("utf-8", "surrogatepass"))[0])


_TAB = 9
_RECORD_SEPARATORS = b",;|"


def record_lines(data: bytes) -> np.ndarray:
    """Per line of UTF-8 ``data`` (as ``data.split(b"\\n")`` cuts it), whether it looks like
    a table row rather than prose: a tab, or ``RECORD_LINE_MIN_SEPARATORS`` commas,
    semicolons or pipes. All lines at once (numpy), no Python object per line."""
    import numpy as np  # on first use: light commands import this module without numpy

    array = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(array == _NEWLINE)

    def per_line(byte: int) -> np.ndarray:
        return np.bincount(
            np.searchsorted(newlines, np.flatnonzero(array == byte)), minlength=len(newlines) + 1
        )

    rows = per_line(_TAB) > 0
    for separator in _RECORD_SEPARATORS:
        rows |= per_line(separator) >= params.RECORD_LINE_MIN_SEPARATORS
    return rows
