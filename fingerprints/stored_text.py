"""Short texts kept from fetched pages (titles, link text, file names, URL path segments):
do they quote values of the leaked dataset?

The store, exports and logs keep no plaintext of the leak, so such a text is withheld when it
holds a rare dataset value (a name token, an id number, a date). ``scan.holds_dataset_values``
reads a text the way the scanner reads documents (same folding, chunking and keyed lookup);
short texts also carry values in disguises that documents rarely use, so each is read in
these forms too, through the same lookup:

- split on punctuation and letter-case changes: ``Varga.Ilona``, ``Varga_Ilona``,
  ``VargaIlona`` -> ``Varga Ilona`` (the scanner deletes ``-./'`` inside a chunk, which joins
  the two names into one unknown token);
- digit groups joined across spaces, with and without a short letter prefix:
  ``A 227 904 006`` -> ``A227904006``, ``227904006``;
- a run-together lower-case word cut in two where both halves are dataset values:
  ``vargailona`` -> ``varga ilona`` (only halves of at least ``MIN_PART_LETTERS`` letters).

Uses only ``FingerprintSet``'s public members and ``scan.holds_dataset_values``; imports no
Scrapy and no store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from .fingerprint_set import FingerprintSet
from .scan import holds_dataset_values

# The shortest half of a run-together word that counts as a name token (shorter halves would
# match by chance: "al", "li").
MIN_PART_LETTERS = 3
# Texts longer than this are documents, not titles: scanned, never stored whole.
MAX_STORED_TEXT_CHARS = 2000

_PUNCTUATION_RE = re.compile(r"[\W_]+")
_CASE_CHANGE_RE = re.compile(r"(?<=[^\W\d_])(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])|(?<=\D)(?=\d)|(?<=\d)(?=\D)")
_DIGIT_GROUPS_RE = re.compile(r"(?<![^\W\d_])(?:([^\W\d_]{1,2})\s+)?(\d+(?:\s+\d+)+)(?!\d)")
_LOWER_WORD_RE = re.compile(r"[^\W\d_]{6,}")


def stored_text_forms(text: str) -> Iterator[str]:
    """``text`` and the forms of it that a dataset value may hide in (see above)."""
    yield text
    split = _PUNCTUATION_RE.sub(" ", text)
    yield split
    yield _CASE_CHANGE_RE.sub(" ", split)
    for found in _DIGIT_GROUPS_RE.finditer(split):
        digits = re.sub(r"\s+", "", found.group(2))
        yield digits
        if found.group(1):
            yield found.group(1) + digits


def holds_dataset_values_in_stored_text(text: str | None, fingerprints: FingerprintSet) -> bool:
    """Whether a text to be kept from a fetched page holds a rare value of the dataset, in any
    of the forms above. A text too long to be a title is treated as holding one."""
    if not text:
        return False
    if len(text) > MAX_STORED_TEXT_CHARS:
        return True
    if any(holds_dataset_values(form, fingerprints) for form in stored_text_forms(text)):
        return True
    return any(_is_two_values(word, fingerprints) for word in _LOWER_WORD_RE.findall(text))


def _is_two_values(word: str, fingerprints: FingerprintSet) -> bool:
    """``vargailona``: a cut where both halves are dataset values."""
    cuts = range(MIN_PART_LETTERS, len(word) - MIN_PART_LETTERS + 1)
    return any(
        holds_dataset_values(word[:cut], fingerprints) and holds_dataset_values(word[cut:], fingerprints)
        for cut in cuts
    )


def url_text_parts(url: str) -> list[str]:
    """The readable parts of a URL a page links to or was fetched from: its path segments and
    query, percent-decoded (``/p/Varga.Ilona%20passport.pdf`` -> ``Varga.Ilona passport.pdf``)."""
    parts = urlsplit(url)
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    return segments + ([unquote(parts.query)] if parts.query else [])


def url_holds_dataset_values(url: str, fingerprints: FingerprintSet) -> bool:
    """Whether a URL's path segments or query quote a rare value of the dataset."""
    return any(holds_dataset_values_in_stored_text(part, fingerprints) for part in url_text_parts(url))


WITHHELD_PART = "[withheld]"
# A URL inside a log line or a reason, up to an archive member separator ("::"), a ": " or a space.
_URL_IN_TEXT_RE = re.compile(r"[a-z][a-z0-9+.-]*://[^\s<>\"']+?(?=::|:\s|[\s<>\"')]|$)", re.IGNORECASE)
# An archive member or attachment name after "::" (``<url>::<member>::<member>: <reason>``).
_MEMBER_IN_TEXT_RE = re.compile(r"::(.+?)(?=::|:\s|\)|$)", re.MULTILINE)
# A quoted name in an error message (``Bad CRC-32 for file 'Varga.Ilona.csv'``).
_QUOTED_IN_TEXT_RE = re.compile(r"'([^'\n]{1,300})'|\"([^\"\n]{1,300})\"")


def withhold_url_parts(url: str, fingerprints: FingerprintSet) -> str:
    """``url`` with each path segment, the host, the query and the fragment that quote a rare
    dataset value replaced by ``WITHHELD_PART``: for logs and messages, which need to say which
    copy, not to reach it (the store keeps the copy's URL verbatim: it is its address)."""
    parts = urlsplit(url)

    def kept(piece: str) -> str:
        return WITHHELD_PART if holds_dataset_values_in_stored_text(unquote(piece), fingerprints) else piece

    netloc = parts.netloc
    if parts.hostname and holds_dataset_values_in_stored_text(parts.hostname, fingerprints):
        netloc = WITHHELD_PART
    path = "/".join(kept(segment) if segment else segment for segment in parts.path.split("/"))
    query = kept(parts.query) if parts.query else ""
    fragment = kept(parts.fragment) if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def withhold_names_in_text(text: str, fingerprints: FingerprintSet) -> str:
    """A log line with the parts of each URL and each archive member name (``::name``) that
    quote a rare dataset value withheld. The rest is left alone: a log line's own words
    ("REDIRECT_MAX_TIMES", "memusage/max") share tokens with name columns by chance."""
    if not text:
        return text
    text = _URL_IN_TEXT_RE.sub(lambda found: withhold_url_parts(found.group(0), fingerprints), text)
    return _MEMBER_IN_TEXT_RE.sub(lambda found: "::" + _kept_piece(found.group(1), fingerprints), text)


def withhold_dataset_values(text: str, fingerprints: FingerprintSet) -> str:
    """An error message or ``skipped`` reason about a fetched document with no dataset value
    left in plaintext: ``withhold_names_in_text``, then quoted names (as error messages quote a
    file name) are withheld too."""
    text = withhold_names_in_text(text, fingerprints)
    return _QUOTED_IN_TEXT_RE.sub(
        lambda found: "'" + _kept_piece(found.group(1) or found.group(2), fingerprints) + "'", text
    )


def _kept_piece(piece: str, fingerprints: FingerprintSet) -> str:
    return WITHHELD_PART if holds_dataset_values_in_stored_text(piece, fingerprints) else piece
