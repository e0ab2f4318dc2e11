"""Synthetic leaks, altered copies of them and look-alike documents that are not copies.

Every person here is invented by Faker: tests, benchmarks and ``leaktrack demo`` never touch
real personal data. Everything is deterministic under its seed.

- ``generate_leak``: a table shaped like the asylum-case leak (A-number, multinational name in
  Latin and native scripts, nationality, date of birth, case status, detention facility).
- ``transformed_copies``: the leak as re-uploads alter it (other delimiters and formats,
  subsets, reordering, re-casing, typos, transliteration, reformatted dates, embedded in a
  paste), each with the row numbers of the records it exposes.
- ``negative_samples``: documents a matcher must NOT flag: other people in the same schema,
  the same facilities, common names from the same countries, code, logs, configs, prose.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import html
import io
import json
import random
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from anyascii import anyascii
from faker import Faker

COLUMNS = ["a_number", "full_name", "nationality", "date_of_birth", "case_status", "facility"]

CASE_STATUSES = [
    "Pending interview",
    "Interview scheduled",
    "Granted",
    "Denied",
    "Appeal pending",
    "Removal ordered",
]


@dataclass(frozen=True)
class _Origin:
    locale: str
    weight: int  # relative share of the leak's records
    nationalities: tuple[str, ...]
    family_name_first: bool = False
    joiner: str = " "
    # Share of people who carry two family names (Spanish and Portuguese naming customs).
    double_surname_share: float = 0.0


# Roughly a quarter of the records carry a native-script name (Cyrillic, Greek, Arabic,
# Persian, CJK), the rest Latin names, many with diacritics.
ORIGINS = [
    _Origin("es_MX", 14, ("Mexico", "Guatemala", "Honduras", "El Salvador"), double_surname_share=0.5),
    _Origin("es_ES", 6, ("Venezuela", "Colombia", "Nicaragua"), double_surname_share=0.5),
    _Origin("pt_BR", 7, ("Brazil", "Angola"), double_surname_share=0.3),
    _Origin("fr_FR", 7, ("Haiti", "Cameroon", "Democratic Republic of the Congo", "Guinea")),
    _Origin("tr_TR", 7, ("Turkey",)),
    _Origin("vi_VN", 5, ("Vietnam",), family_name_first=True),
    _Origin("ro_RO", 5, ("Romania", "Moldova")),
    _Origin("pl_PL", 4, ("Belarus", "Poland")),
    _Origin("cs_CZ", 3, ("Czech Republic",)),
    _Origin("en_US", 8, ("Nigeria", "Ghana", "Eritrea", "Ethiopia", "Somalia")),
    _Origin("hu_HU", 3, ("Hungary",), family_name_first=True),
    _Origin("de_DE", 4, ("Albania", "Kosovo")),
    _Origin("ru_RU", 5, ("Russia", "Kazakhstan", "Uzbekistan")),
    _Origin("uk_UA", 4, ("Ukraine",)),
    _Origin("el_GR", 2, ("Greece",)),
    _Origin("ar_AA", 6, ("Syria", "Iraq", "Sudan", "Egypt", "Yemen")),
    _Origin("fa_IR", 5, ("Iran", "Afghanistan")),
    _Origin("zh_CN", 3, ("China",), family_name_first=True, joiner=""),
    _Origin("ja_JP", 2, ("Japan",), family_name_first=True),
]

_FACILITY_KINDS = [
    "Detention Center",
    "Processing Center",
    "Reception Centre",
    "Holding Facility",
    "Service Processing Center",
    "Correctional Center",
    "Family Residential Center",
]

_FIRST_BIRTH_DATE = dt.date(1950, 1, 1)
_LAST_BIRTH_DATE = dt.date(2012, 12, 31)


@dataclass(frozen=True)
class PersonName:
    """A name's parts, so that copies can write it in another order or abbreviated."""

    given: str
    family: str
    family_name_first: bool = False
    joiner: str = " "

    @property
    def full(self) -> str:
        """As the leak writes it: in the order of the person's naming custom."""
        parts = (self.family, self.given) if self.family_name_first else (self.given, self.family)
        return self.joiner.join(parts)


@dataclass
class SyntheticLeak:
    columns: list[str]
    rows: list[list[str]]  # row i has record id str(i + 1)
    native_script: list[bool]  # row i's name is in a non-Latin script
    names: list[PersonName] = field(default_factory=list)  # row i's name in parts

    @property
    def ids(self) -> list[str]:
        return [str(i) for i in range(1, len(self.rows) + 1)]

    def column(self, name: str) -> list[str]:
        position = self.columns.index(name)
        return [row[position] for row in self.rows]

    def a_numbers_of(self, ids: set[str]) -> set[str]:
        """The A-numbers of records given by row id (to check a scan run with ``--id-column a_number``)."""
        a_numbers = self.column("a_number")
        return {a_numbers[int(i) - 1] for i in ids}

    def to_csv_bytes(self, delimiter: str = ",") -> bytes:
        return render_delimited(self.columns, self.rows, delimiter).encode("utf-8")

    def write(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the leak as csv, tsv, json, jsonl or xlsx (default: from the file suffix)."""
        path = Path(path)
        fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
        renderers: dict[str, Callable[[], bytes]] = {
            "csv": self.to_csv_bytes,
            "tsv": lambda: self.to_csv_bytes("\t"),
            "json": lambda: render_json(self.columns, self.rows),
            "jsonl": lambda: render_json_lines(self.columns, self.rows),
            "xlsx": lambda: render_xlsx(self.columns, self.rows),
        }
        if fmt not in renderers:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(renderers)}")
        path.write_bytes(renderers[fmt]())
        return path


@dataclass
class Sample:
    kind: str
    filename: str
    data: bytes
    expected_records: set[str] = field(default_factory=set)  # 1-based row numbers of the leak


# ---------------------------------------------------------------------------------------------
# People


class _PeopleFactory:
    """Names, nationalities and birth dates from one seeded Faker per locale."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._fakers: dict[str, Faker] = {}
        self._seed = seed
        self._weights = [origin.weight for origin in ORIGINS]

    def _faker(self, locale: str) -> Faker:
        if locale not in self._fakers:
            faker = Faker(locale)
            faker.seed_instance(f"{self._seed}-{locale}")
            self._fakers[locale] = faker
        return self._fakers[locale]

    def origin(self) -> _Origin:
        return self.rng.choices(ORIGINS, weights=self._weights)[0]

    def name(self, origin: _Origin) -> str:
        return self.person_name(origin).full

    def person_name(self, origin: _Origin) -> PersonName:
        faker = self._faker(origin.locale)
        given, family = faker.first_name(), faker.last_name()
        if origin.double_surname_share and self.rng.random() < origin.double_surname_share:
            second = faker.last_name()
            if second != family:
                family = f"{family} {second}"
        return PersonName(given, family, origin.family_name_first, origin.joiner)

    def birth_date(self) -> str:
        span = (_LAST_BIRTH_DATE - _FIRST_BIRTH_DATE).days
        return (_FIRST_BIRTH_DATE + dt.timedelta(days=self.rng.randrange(span))).isoformat()

    def a_numbers(self, count: int, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
        numbers: list[str] = []
        taken = set(exclude)
        while len(numbers) < count:
            for value in self.rng.sample(range(10**8, 10**9), count - len(numbers)):
                a_number = format_a_number(value)
                if a_number not in taken:
                    taken.add(a_number)
                    numbers.append(a_number)
        return numbers

    def people(
        self, count: int, facilities: list[str], exclude_a_numbers: set[str] | frozenset[str] = frozenset()
    ) -> tuple[list[list[str]], list[bool], list[PersonName]]:
        """``count`` rows in the leak's schema, whether each name is in a native script, and
        each name in parts."""
        a_numbers = self.a_numbers(count, exclude_a_numbers)
        rows, native, names = [], [], []
        for a_number in a_numbers:
            origin = self.origin()
            person = self.person_name(origin)
            name = person.full
            names.append(person)
            rows.append(
                [
                    a_number,
                    name,
                    self.rng.choice(origin.nationalities),
                    self.birth_date(),
                    self.rng.choice(CASE_STATUSES),
                    self.rng.choice(facilities),
                ]
            )
            native.append(not is_latin_script(name))
        return rows, native, names


def format_a_number(value: int) -> str:
    digits = f"{value:09d}"
    return f"A-{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def is_latin_script(text: str) -> bool:
    return all(ord(ch) < 0x250 or not ch.isalpha() for ch in text)


def facility_names(count: int, seed: int) -> list[str]:
    faker = Faker("en_US")
    faker.seed_instance(f"{seed}-facilities")
    rng = random.Random(f"{seed}-facilities")
    names: list[str] = []
    while len(names) < count:
        name = f"{faker.city()} {rng.choice(_FACILITY_KINDS)}"
        if name not in names:
            names.append(name)
    return names


def generate_leak(n_records: int = 6000, seed: int = 0, n_facilities: int = 100) -> SyntheticLeak:
    """A leak of ``n_records`` invented asylum cases held in ``n_facilities`` facilities."""
    facilities = facility_names(n_facilities, seed)
    rows, native, names = _PeopleFactory(seed).people(n_records, facilities)
    return SyntheticLeak(columns=list(COLUMNS), rows=rows, native_script=native, names=names)


# ---------------------------------------------------------------------------------------------
# Renderers: one table in the formats re-uploads come in


def render_delimited(
    columns: list[str] | None,
    rows: list[list[str]],
    delimiter: str = ",",
    newline: str = "\n",
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    if columns:
        writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def render_json(columns: list[str], rows: list[list[str]]) -> bytes:
    records = [dict(zip(columns, row)) for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8")


def render_json_lines(columns: list[str], rows: list[list[str]]) -> bytes:
    lines = (json.dumps(dict(zip(columns, row)), ensure_ascii=False) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_html_table(columns: list[str], rows: list[list[str]], title: str) -> bytes:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>td { padding: 2px 6px; }</style>"
        "<script>window.analytics = {id: 'UA-000000-1'};</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Posted anonymously. Mirror of the published list.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"
        "<footer>Page 1 of 1</footer></body></html>"
    )
    return page.encode("utf-8")


def render_markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_fixed_width(columns: list[str], rows: list[list[str]], title: str) -> str:
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:
        return "   ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

    separator = "   ".join("-" * width for width in widths)
    report = [title, "=" * len(title), "", line([c.upper() for c in columns]), separator]
    report += [line(row) for row in rows]
    report += ["", f"{len(rows)} records", ""]
    return "\n".join(report)


def render_xlsx(columns: list[str], rows: list[list[str]], sheet_title: str = "Sheet1") -> bytes:
    import openpyxl  # slow to import; only XLSX needs it

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return _without_save_time(out.getvalue())


# openpyxl stamps the save time into docProps/core.xml and every zip member's date, so two
# generations from one seed either side of a clock tick differed; the bytes must follow the seed.
_SAVE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _without_save_time(xlsx: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as saved, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as fixed:
        for member in saved.infolist():
            data = saved.read(member)
            if member.filename == "docProps/core.xml":
                data = _SAVE_TIME.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed.writestr(
                zipfile.ZipInfo(member.filename, date_time=_FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def zip_members(members: dict[str, bytes]) -> bytes:
    """A zip of ``members``, dated _FIXED_ZIP_TIME (a name alone would take the clock's time,
    and two generations from one seed either side of a tick would differ)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime 0: the same input gives the same bytes


# ---------------------------------------------------------------------------------------------
# Cell alterations seen in re-uploads


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def one_character_typo(text: str, rng: random.Random) -> str:
    """Drop, double, swap or replace one character (never the only one)."""
    if len(text) < 2:
        return text
    i = rng.randrange(len(text) - 1)
    edit = rng.choice(("drop", "double", "swap", "replace"))
    if edit == "drop":
        return text[:i] + text[i + 1 :]
    if edit == "double":
        return text[:i] + text[i] + text[i:]
    if edit == "swap" and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    replacement = rng.choice("0123456789") if text[i].isdigit() else rng.choice("aeiounrst")
    if replacement == text[i]:
        replacement = "x"
    return text[:i] + replacement + text[i + 1 :]


def whitespace_noise(text: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        text = text.replace(" ", "  ", 1)
    return " " * rng.randrange(2) + text + " " * rng.randrange(3)


def a_number_digits(a_number: str) -> str:
    return a_number.replace("A-", "").replace("-", "")


def long_form_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def day_month_year(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")


_SPELLED_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}
DATE_LANGUAGES = tuple(_SPELLED_MONTHS)


def english_ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def spelled_date(iso: str, language: str, style: int = 0) -> str:
    """A birth date written out in ``language`` (en, es, fr, pt), in one of its usual styles
    (``style`` modulo the number of styles): "7th of March 1990", "7 de marzo de 1990", ..."""
    day = dt.date.fromisoformat(iso)
    month = _SPELLED_MONTHS[language].split()[day.month - 1]
    d, y = day.day, day.year
    styles = {
        "en": [
            f"{d} {month} {y}",
            f"{month} {english_ordinal(d)}, {y}",
            f"{english_ordinal(d)} of {month} {y}",
        ],
        "es": [f"{d} de {month} de {y}", f"{'1º' if d == 1 else d} de {month.capitalize()} de {y}"],
        "fr": [f"{'1er' if d == 1 else d} {month} {y}", f"le {d} {month} {y}"],
        "pt": [f"{d} de {month} de {y}", f"{'1º' if d == 1 else d} de {month} de {y}"],
    }[language]
    return styles[style % len(styles)]


# Name forms a re-upload writes instead of the leak's (Latin-style names with a space).


def surname_comma_given(name: PersonName) -> str:
    """``HERNÁDEZ GÁLVEZ, Silvano``: family name first, in capitals, then a comma."""
    return f"{name.family.upper()}, {name.given}"


def given_then_upper_surname(name: PersonName) -> str:
    """``Silvano HERNÁDEZ GÁLVEZ``: given name first whatever the custom, family in capitals."""
    return f"{name.given} {name.family.upper()}"


def other_name_order(name: PersonName) -> str:
    """The order the person's custom does not use: ``Hernádez Gálvez Silvano``, ``Laura Pataki``."""
    parts = (name.given, name.family) if name.family_name_first else (name.family, name.given)
    return name.joiner.join(parts)


def initials_and_surname(name: PersonName) -> str:
    """``A. J. Leão``: the given names as initials, then the family name."""
    initials = " ".join(f"{word[0]}." for word in name.given.split())
    return f"{initials} {name.family}"


def surnames_swapped(name: PersonName) -> str:
    """Two family names in the other order, family first: ``GÁLVEZ HERNÁDEZ, Silvano``."""
    first, second = name.family.split(" ", 1)
    return f"{second} {first}, {name.given}"


# ---------------------------------------------------------------------------------------------
# Transformed copies


def _subset_size(leak: SyntheticLeak, wanted: int) -> int:
    """``wanted`` rows, but at most a quarter of a small leak so precision stays measurable."""
    return max(1, min(wanted, len(leak.rows) // 4))


def _pick(leak: SyntheticLeak, rng: random.Random, size: int, among: list[int] | None = None) -> list[int]:
    """Sorted 0-based indexes of ``size`` distinct rows (from ``among`` when given)."""
    pool = among if among is not None else range(len(leak.rows))
    return sorted(rng.sample(list(pool), min(size, len(pool))))


def _ids(indexes: list[int]) -> set[str]:
    return {str(i + 1) for i in indexes}


def _rows(leak: SyntheticLeak, indexes: list[int]) -> list[list[str]]:
    return [list(leak.rows[i]) for i in indexes]


def _project(leak: SyntheticLeak, rows: list[list[str]], names: list[str]) -> list[list[str]]:
    positions = [leak.columns.index(n) for n in names]
    return [[row[p] for p in positions] for row in rows]


def _map_column(
    leak: SyntheticLeak, rows: list[list[str]], name: str, fn: Callable[[str], str]
) -> list[list[str]]:
    position = leak.columns.index(name)
    return [row[:position] + [fn(row[position])] + row[position + 1 :] for row in rows]


_RENAMED_KEYS = {
    "a_number": "alien_no",
    "full_name": "name",
    "nationality": "country",
    "date_of_birth": "dob",
    "case_status": "status",
    "facility": "location",
}


def _csv_copy(kind: str, leak: SyntheticLeak, indexes: list[int], **render) -> Sample:
    text = render_delimited(leak.columns, _rows(leak, indexes), **render)
    return Sample(kind, f"{kind}.csv", text.encode("utf-8"), _ids(indexes))


def _verbatim(leak, rng):
    return Sample("verbatim", "asylum_cases.csv", leak.to_csv_bytes(), set(leak.ids))


def _semicolons(leak, rng):
    return _csv_copy("semicolon_delimited", leak, _pick(leak, rng, _subset_size(leak, 500)), delimiter=";")


def _pipes(leak, rng):
    return _csv_copy("pipe_delimited", leak, _pick(leak, rng, _subset_size(leak, 500)), delimiter="|")


def _tabs(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    text = render_delimited(leak.columns, _rows(leak, indexes), "\t")
    return Sample("tab_delimited", "tab_delimited.tsv", text.encode("utf-8"), _ids(indexes))


def _crlf(leak, rng):
    return _csv_copy("crlf_line_endings", leak, _pick(leak, rng, _subset_size(leak, 500)), newline="\r\n")


def _quoted(leak, rng):
    return _csv_copy(
        "all_cells_quoted", leak, _pick(leak, rng, _subset_size(leak, 300)), quoting=csv.QUOTE_ALL
    )


def _no_header(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    text = render_delimited(None, _rows(leak, indexes))
    return Sample("no_header", "dump.txt", text.encode("utf-8"), _ids(indexes))


def _reordered(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    order = ["facility", "full_name", "case_status", "date_of_birth", "a_number", "nationality"]
    text = render_delimited(order, _project(leak, _rows(leak, indexes), order))
    return Sample("reordered_columns", "reordered.csv", text.encode("utf-8"), _ids(indexes))


def _name_and_id(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    names = ["full_name", "a_number"]
    text = render_delimited(names, _project(leak, _rows(leak, indexes), names))
    return Sample("name_and_id_only", "names_ids.csv", text.encode("utf-8"), _ids(indexes))


def _name_facility_dob(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    names = ["full_name", "facility", "date_of_birth"]
    text = render_delimited(names, _project(leak, _rows(leak, indexes), names))
    return Sample("name_facility_dob", "where_they_are.csv", text.encode("utf-8"), _ids(indexes))


def _ten_rows(leak, rng):
    start = rng.randrange(max(1, len(leak.rows) - 9))
    return _csv_copy("excerpt_10_rows", leak, list(range(start, min(start + 10, len(leak.rows)))))


def _hundred_rows(leak, rng):
    return _csv_copy("subset_100_rows", leak, _pick(leak, rng, _subset_size(leak, 100)))


def _shuffled(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 1000))
    shuffled = list(indexes)
    rng.shuffle(shuffled)
    text = render_delimited(leak.columns, _rows(leak, shuffled))
    return Sample("shuffled_rows", "shuffled.csv", text.encode("utf-8"), _ids(indexes))


def _cased(kind: str, fn: Callable[[str], str]):
    def build(leak, rng):
        indexes = _pick(leak, rng, _subset_size(leak, 500))
        rows = [[fn(cell) for cell in row] for row in _rows(leak, indexes)]
        text = render_delimited(leak.columns, rows)
        return Sample(kind, f"{kind}.csv", text.encode("utf-8"), _ids(indexes))

    return build


def _no_diacritics_noisy(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    rows = [[whitespace_noise(strip_diacritics(cell), rng) for cell in row] for row in _rows(leak, indexes)]
    text = render_delimited(leak.columns, rows)
    return Sample("diacritics_stripped_whitespace_noise", "cleaned.csv", text.encode("utf-8"), _ids(indexes))


def _typos(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    rows = [
        [one_character_typo(c, rng) if rng.random() < 0.10 else c for c in row]
        for row in _rows(leak, indexes)
    ]
    text = render_delimited(leak.columns, rows)
    return Sample("typos_10pct_cells", "retyped.csv", text.encode("utf-8"), _ids(indexes))


def _json_renamed(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    keys = [_RENAMED_KEYS[c] for c in leak.columns]
    return Sample("json_renamed_keys", "records.json", render_json(keys, _rows(leak, indexes)), _ids(indexes))


def _jsonl_renamed(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    keys = [_RENAMED_KEYS[c] for c in leak.columns]
    return Sample(
        "jsonl_renamed_keys", "records.jsonl", render_json_lines(keys, _rows(leak, indexes)), _ids(indexes)
    )


def _html(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    page = render_html_table(leak.columns, _rows(leak, indexes), "Detainee list")
    return Sample("html_table", "list.html", page, _ids(indexes))


def _markdown(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    text = "# Leaked list\n\nSee below.\n\n" + render_markdown_table(leak.columns, _rows(leak, indexes))
    return Sample("markdown_table", "README.md", text.encode("utf-8"), _ids(indexes))


def _fixed_width(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    text = render_fixed_width(leak.columns, _rows(leak, indexes), "CASE STATUS REPORT")
    return Sample("fixed_width_report", "report.txt", text.encode("utf-8"), _ids(indexes))


def _xlsx(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 500))
    return Sample("xlsx", "cases.xlsx", render_xlsx(leak.columns, _rows(leak, indexes)), _ids(indexes))


def _zipped(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 1000))
    csv_bytes = render_delimited(leak.columns, _rows(leak, indexes)).encode("utf-8")
    data = zip_members({"export/readme.txt": b"Mirror. Spread it.\n", "export/cases.csv": csv_bytes})
    return Sample("zipped_csv", "cases.zip", data, _ids(indexes))


def _gzipped(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 1000))
    csv_bytes = render_delimited(leak.columns, _rows(leak, indexes)).encode("utf-8")
    return Sample("gzipped_csv", "cases.csv.gz", gzip_bytes(csv_bytes), _ids(indexes))


def _utf16(leak, rng):
    # What Excel's "Unicode text" export writes: UTF-16 with a BOM, tab-separated.
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    text = render_delimited(leak.columns, _rows(leak, indexes), "\t", newline="\r\n")
    return Sample("utf16_tab_export", "export.txt", text.encode("utf-16"), _ids(indexes))


def _cp1252(leak, rng):
    encodable = [i for i, row in enumerate(leak.rows) if _encodes(",".join(row), "cp1252")]
    if not encodable:
        raise ValueError("no record of this leak can be written in cp1252")
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=encodable)
    text = render_delimited(leak.columns, _rows(leak, indexes), newline="\r\n")
    return Sample("cp1252_csv", "cases_win.csv", text.encode("cp1252"), _ids(indexes))


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _transliterated(leak, rng):
    native = [i for i, is_native in enumerate(leak.native_script) if is_native] or None  # tiny leaks
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=native)
    rows = _map_column(leak, _rows(leak, indexes), "full_name", anyascii)
    text = render_delimited(leak.columns, rows)
    return Sample("transliterated_names", "latin.csv", text.encode("utf-8"), _ids(indexes))


def _dates_dmy(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    rows = _map_column(leak, _rows(leak, indexes), "date_of_birth", day_month_year)
    rows = _map_column(leak, rows, "a_number", lambda a: "A" + a_number_digits(a))
    text = render_delimited(leak.columns, rows)
    return Sample("dates_dmy_a_number_compact", "reformatted.csv", text.encode("utf-8"), _ids(indexes))


def _dates_long(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    rows = _map_column(leak, _rows(leak, indexes), "date_of_birth", long_form_date)
    rows = _map_column(leak, rows, "a_number", a_number_digits)
    text = render_delimited(leak.columns, rows)
    return Sample("dates_long_a_number_digits", "reformatted2.csv", text.encode("utf-8"), _ids(indexes))


def _embedded(leak, rng):
    size = min(40, len(leak.rows))
    start = rng.randrange(len(leak.rows) - size + 1)
    indexes = list(range(start, start + size))
    before = unrelated_paste_text(rng, lines=120)
    after = unrelated_paste_text(rng, lines=120)
    rows = render_delimited(None, _rows(leak, indexes))
    text = f"{before}\n--- found this on a forum, posting before it gets deleted ---\n{rows}---\n{after}"
    return Sample("embedded_in_paste", "paste.txt", text.encode("utf-8"), _ids(indexes))


COPY_BUILDERS: list[Callable[[SyntheticLeak, random.Random], Sample]] = [
    _verbatim,
    _semicolons,
    _pipes,
    _tabs,
    _crlf,
    _quoted,
    _no_header,
    _reordered,
    _name_and_id,
    _name_facility_dob,
    _ten_rows,
    _hundred_rows,
    _shuffled,
    _cased("uppercase", str.upper),
    _cased("lowercase", str.lower),
    _no_diacritics_noisy,
    _typos,
    _json_renamed,
    _jsonl_renamed,
    _html,
    _markdown,
    _fixed_width,
    _xlsx,
    _zipped,
    _gzipped,
    _utf16,
    _cp1252,
    _transliterated,
    _dates_dmy,
    _dates_long,
    _embedded,
]


def transformed_copies(leak: SyntheticLeak, seed: int = 0) -> list[Sample]:
    """One altered copy of ``leak`` per kind, with the row ids each exposes."""
    return [build(leak, random.Random(f"{seed}-{build.__name__}")) for build in COPY_BUILDERS]


# ---------------------------------------------------------------------------------------------
# Unrelated text: the filler around an embedded excerpt, and the negatives


_LOG_LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
_LOG_EVENTS = [
    "GET /api/v2/items?page={n} 200 {ms}ms",
    "POST /login 302 {ms}ms",
    "worker-{n} heartbeat ok",
    "cache miss key=session:{n}",
    "retrying job {n} after timeout ({ms}ms)",
    "db pool size={n} in_use={ms}",
]

_WORDS = (
    "the a of and to in is was for on that with as it by from at this be are have not or but "
    "server config update release note meeting weather football recipe guide review price "
    "download install version support thread reply post forum user account music video"
).split()


def _log_line(rng: random.Random, day: dt.datetime) -> str:
    stamp = (day + dt.timedelta(seconds=rng.randrange(86400))).strftime("%Y-%m-%d %H:%M:%S")
    event = rng.choice(_LOG_EVENTS).format(n=rng.randrange(1, 5000), ms=rng.randrange(1, 900))
    return f"{stamp} {rng.choice(_LOG_LEVELS):5} {event}"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randrange(6, 16))]
    return " ".join(words).capitalize() + "."


def unrelated_paste_text(rng: random.Random, lines: int = 100) -> str:
    """Paste-site filler: prose paragraphs and application logs."""
    day = dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randrange(600))
    out = []
    for _ in range(lines):
        out.append(_log_line(rng, day) if rng.random() < 0.5 else _sentence(rng))
    return "\n".join(out)


class _NegativeFactory:
    """Documents in the leak's neighbourhood that expose none of its records."""

    def __init__(self, leak: SyntheticLeak, seed: int):
        self.leak = leak
        self.facilities = sorted(set(leak.column("facility")))
        self.people = _PeopleFactory(seed + 1_000_003)  # other people than the leak's
        self.leak_a_numbers = set(leak.column("a_number"))
        self.faker = Faker("en_US")
        self.faker.seed_instance(f"{seed}-negatives")

    def other_people(self, count: int) -> list[list[str]]:
        rows, _, _ = self.people.people(count, self.facilities, self.leak_a_numbers)
        self.leak_a_numbers.update(row[0] for row in rows)  # never reuse across negatives either
        return rows

    def other_people_csv(self, rng, n):
        text = render_delimited(COLUMNS, self.other_people(rng.randrange(20, 400)), rng.choice(",;\t|"))
        return Sample("other_people_same_schema", f"neg{n}.csv", text.encode("utf-8"))

    def other_people_json(self, rng, n):
        rows = self.other_people(rng.randrange(20, 200))
        return Sample("other_people_json", f"neg{n}.json", render_json(COLUMNS, rows))

    def other_people_html(self, rng, n):
        rows = self.other_people(rng.randrange(20, 200))
        return Sample("other_people_html", f"neg{n}.html", render_html_table(COLUMNS, rows, "Case list"))

    def facility_directory(self, rng, n):
        rows = [
            [
                f,
                self.faker.street_address(),
                self.faker.city(),
                self.faker.phone_number(),
                str(rng.randrange(50, 2500)),
            ]
            for f in self.facilities
        ]
        text = render_delimited(["facility", "address", "city", "phone", "capacity"], rows)
        return Sample("facility_directory", f"neg{n}.csv", text.encode("utf-8"))

    def common_names(self, rng, n):
        origin = rng.choice(ORIGINS)
        names = sorted({self.people.name(origin) for _ in range(rng.randrange(30, 200))})
        text = f"Most common names: {origin.nationalities[0]}\n\n" + "\n".join(names) + "\n"
        return Sample("common_names", f"neg{n}.txt", text.encode("utf-8"))

    def names_with_nationality(self, rng, n):
        rows = []
        for _ in range(rng.randrange(30, 200)):
            origin = self.people.origin()
            rows.append([self.people.name(origin), rng.choice(origin.nationalities)])
        text = render_delimited(["name", "nationality"], rows)
        return Sample("names_with_nationality", f"neg{n}.csv", text.encode("utf-8"))

    def source_code(self, rng, n):
        functions = []
        for _ in range(rng.randrange(3, 12)):
            name = "_".join(rng.choice(_WORDS[20:]) for _ in range(2))
            functions.append(
                f"def {name}(items, limit={rng.randrange(1, 100)}):\n"
                f'    """{_sentence(rng)}"""\n'
                f"    result = [x for x in items if x.get('{rng.choice(COLUMNS)}')]\n"
                f"    return result[:limit]\n"
            )
        return Sample("source_code", f"neg{n}.py", ("import csv\n\n\n" + "\n\n".join(functions)).encode())

    def logs(self, rng, n):
        day = dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randrange(600))
        text = "\n".join(_log_line(rng, day) for _ in range(rng.randrange(50, 600)))
        return Sample("logs", f"neg{n}.log", text.encode())

    def config_yaml(self, rng, n):
        text = (
            f"service:\n  name: {rng.choice(_WORDS[20:])}\n  port: {rng.randrange(1024, 65535)}\n"
            f"database:\n  url: postgres://app@db:5432/app\n  pool: {rng.randrange(1, 50)}\n"
            f"export:\n  columns: [{', '.join(COLUMNS)}]\n  delimiter: ','\n"
        )
        return Sample("config_yaml", f"neg{n}.yaml", text.encode())

    def config_ini(self, rng, n):
        text = (
            f"[server]\nhost = 0.0.0.0\nport = {rng.randrange(1024, 65535)}\n\n"
            f"[report]\ntitle = {rng.choice(self.facilities)} weekly capacity\nformat = csv\n"
        )
        return Sample("config_ini", f"neg{n}.ini", text.encode())

    def config_json(self, rng, n):
        config = {
            "version": rng.randrange(1, 9),
            "features": rng.sample(_WORDS, 5),
            "facilities": rng.sample(self.facilities, min(5, len(self.facilities))),
            "statuses": CASE_STATUSES,
        }
        return Sample("config_json", f"neg{n}.json", json.dumps(config, indent=2).encode())

    def prose(self, rng, n):
        paragraphs = [
            self.faker.paragraph(nb_sentences=rng.randrange(3, 8)) for _ in range(rng.randrange(3, 12))
        ]
        return Sample("prose", f"neg{n}.txt", "\n\n".join(paragraphs).encode())

    def news_article(self, rng, n):
        facility = rng.choice(self.facilities)
        origin = rng.choice(ORIGINS)
        person = self.people.name(origin)
        text = (
            f"Conditions at {facility} draw criticism\n\n"
            f"Advocates said on Tuesday that detainees at {facility} from {origin.nationalities[0]} "
            f"wait months for an interview. {person}, who asked that her case number not be published, "
            f"said her status is still '{rng.choice(CASE_STATUSES)}'.\n\n"
            + "\n\n".join(self.faker.paragraph(nb_sentences=4) for _ in range(rng.randrange(2, 6)))
        )
        return Sample("news_article", f"neg{n}.txt", text.encode("utf-8"))

    def kinds(self) -> list[Callable[[random.Random, int], Sample]]:
        """Each kind once, other people in the leak's own schema twice: the hardest negative."""
        return [
            self.other_people_csv,
            self.other_people_json,
            self.other_people_html,
            self.facility_directory,
            self.common_names,
            self.names_with_nationality,
            self.source_code,
            self.logs,
            self.config_yaml,
            self.config_ini,
            self.config_json,
            self.prose,
            self.news_article,
            self.other_people_csv,
        ]


def negative_samples(leak: SyntheticLeak, seed: int = 0, count: int = 150) -> list[Sample]:
    """``count`` documents that expose none of ``leak``'s records, cycling through the kinds."""
    factory = _NegativeFactory(leak, seed)
    kinds = factory.kinds()
    return [kinds[n % len(kinds)](random.Random(f"{seed}-negative-{n}"), n) for n in range(count)]


# ---------------------------------------------------------------------------------------------
# Copies in the other forms a re-upload takes: names reordered or abbreviated, dates spelled
# out, records over several lines, office documents, PDFs, screenshots, mail, archives.
# (The document writers are in ``synthetic_forms``; these pick the rows and the alterations.)

# Field labels of a record written one field a line, per language, in COLUMNS order.
FIELD_LABELS = {
    "en": ["A-Number", "Name", "Nationality", "Date of birth", "Status", "Facility"],
    "es": ["Número A", "Nombre", "Nacionalidad", "Fecha de nacimiento", "Estado", "Centro"],
    "fr": ["Numéro A", "Nom", "Nationalité", "Né(e) le", "Statut", "Centre"],
    "pt": ["Número A", "Nome", "Nacionalidade", "Data de nascimento", "Situação", "Centro"],
}
# Screenshots and scanned pages are OCR'd (seconds a page): fewer rows than text forms.
_IMAGE_ROWS = 120
_NAME_FIRST = ["full_name", "a_number", "nationality", "date_of_birth", "case_status", "facility"]


def _spaced_names(leak: SyntheticLeak) -> list[int]:
    """Rows whose name is written with a space between its parts (all but Chinese here)."""
    return [i for i, name in enumerate(leak.names) if name.joiner == " "] or list(range(len(leak.rows)))


def _cell(leak: SyntheticLeak, index: int, column: str) -> str:
    return leak.rows[index][leak.columns.index(column)]


def _text_sample(kind: str, filename: str, text: str, indexes: list[int]) -> Sample:
    return Sample(kind, filename, text.encode("utf-8"), _ids(indexes))


def _last_first_spelled_dates(leak, rng):
    """The form that was found 1 row in 6 to 1 in 20: ``GARCIA, Juan (born 7 March 1990)``."""
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=_spaced_names(leak))
    lines = [
        f"{surname_comma_given(leak.names[i])} (born {spelled_date(_cell(leak, i, 'date_of_birth'), 'en', rng.randrange(3))})"
        for i in indexes
    ]
    return _text_sample(
        "last_first_spelled_dates", "names.txt", "Names and birthdays:\n\n" + "\n".join(lines) + "\n", indexes
    )


def _spelled_dates_es_fr_pt(leak, rng):
    indexes = _pick(leak, rng, _subset_size(leak, 300))
    rows = [
        [
            _cell(leak, i, "full_name"),
            _cell(leak, i, "nationality"),
            spelled_date(_cell(leak, i, "date_of_birth"), rng.choice(("es", "fr", "pt")), rng.randrange(2)),
            _cell(leak, i, "facility"),
        ]
        for i in indexes
    ]
    text = render_delimited(["nombre", "pays", "data de nascimento", "centre"], rows, ";")
    return _text_sample("spelled_dates_es_fr_pt", "liste.csv", text, indexes)


def _name_orders(leak, rng):
    """Family name first, given name first, ``LAST, First``, ``First LAST``, with a numeric date."""
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=_spaced_names(leak))
    forms = (other_name_order, given_then_upper_surname, surname_comma_given)
    lines = [
        f"{rng.choice(forms)(leak.names[i])}\t{day_month_year(_cell(leak, i, 'date_of_birth'))}\t"
        f"{_cell(leak, i, 'nationality')}"
        for i in indexes
    ]
    return _text_sample("name_orders", "names.tsv", "\n".join(lines) + "\n", indexes)


def _initials(leak, rng):
    """Given names as initials (``J. García``), with birth date, nationality and facility."""
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=_spaced_names(leak))
    rows = [
        [
            initials_and_surname(leak.names[i]),
            _cell(leak, i, "date_of_birth"),
            _cell(leak, i, "nationality"),
            _cell(leak, i, "facility"),
        ]
        for i in indexes
    ]
    text = render_delimited(["name", "dob", "nationality", "facility"], rows)
    return _text_sample("initials_and_surname", "initials.csv", text, indexes)


def _double_surnames(leak, rng):
    """Two family names, first or last, in either order, with a date spelled in Spanish."""
    double = [i for i, name in enumerate(leak.names) if name.joiner == " " and " " in name.family]
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=double or None)
    forms = (surnames_swapped, surname_comma_given, other_name_order)
    lines = [
        f"{rng.choice(forms)(leak.names[i])} - {spelled_date(_cell(leak, i, 'date_of_birth'), 'es')}"
        for i in indexes
    ]
    return _text_sample("double_surnames_either_order", "apellidos.txt", "\n".join(lines) + "\n", indexes)


def _key_value_blocks(language: str, separator: str):
    def build(leak, rng):
        from .synthetic_forms import render_key_value_blocks

        indexes = _pick(leak, rng, _subset_size(leak, 300))
        labels = FIELD_LABELS.get(language, [])
        text = render_key_value_blocks(leak.columns, _rows(leak, indexes), labels, separator)
        kind = f"key_value_blocks_{language}" if labels else "key_value_blocks_unlabelled"
        return _text_sample(kind, f"{kind}.txt", text, indexes)

    build.__name__ = f"_key_value_blocks_{language}"
    return build


def _split_name_forms(leak, rng):
    """One field a line, the family and given names in fields of their own, date spelled out."""
    indexes = _pick(leak, rng, _subset_size(leak, 300), among=_spaced_names(leak))
    blocks = [
        f"Surname: {leak.names[i].family.upper()}\nGiven names: {leak.names[i].given}\n"
        f"Born: {spelled_date(_cell(leak, i, 'date_of_birth'), 'en', rng.randrange(3))}\n"
        f"Nationality: {_cell(leak, i, 'nationality')}"
        for i in indexes
    ]
    return _text_sample("key_value_split_name", "forms.txt", "\n\n".join(blocks) + "\n", indexes)


def _rendered(
    kind: str, filename: str, size: int, render: Callable[[list[str], list[list[str]]], bytes | str]
):
    """A copy whose rows (name first) are written by one of ``synthetic_forms``'s writers."""

    def build(leak, rng):
        indexes = _pick(leak, rng, _subset_size(leak, size))
        data = render(_NAME_FIRST, _project(leak, _rows(leak, indexes), _NAME_FIRST))
        return Sample(kind, filename, data.encode("utf-8") if isinstance(data, str) else data, _ids(indexes))

    build.__name__ = f"_{kind}"
    return build


def _form_writer(name: str, *args, **kwargs) -> Callable:
    """``synthetic_forms.<name>`` with extra arguments, imported when first called."""

    def render(columns, rows):
        from . import synthetic_forms

        return getattr(synthetic_forms, name)(columns, rows, *args, **kwargs)

    return render


def _csv_attached(wrap: Callable[[dict[str, bytes]], bytes]) -> Callable:
    return lambda columns, rows: wrap({"cases.csv": render_delimited(columns, rows).encode("utf-8")})


def _eml(members):
    from .synthetic_forms import render_eml

    return render_eml(members, body="The list is attached.")


def _seven_zip(members):
    from .synthetic_forms import render_7z

    return render_7z(members)


def _tar_bz2(members):
    from .synthetic_forms import render_tar

    return render_tar(members, "bz2")


def _base64_csv(columns, rows):
    from .synthetic_forms import render_base64_paste

    return render_base64_paste(render_delimited(columns, rows).encode("utf-8"))


def _screenshot_names_and_dates(leak, rng):
    """A screenshot of ``LAST, First`` names, spelled birth dates and nationalities: no id
    number to lean on, so what OCR does to names and dates decides."""
    from .synthetic_forms import render_table_image

    indexes = _pick(leak, rng, _subset_size(leak, _IMAGE_ROWS), among=_latin_names(leak))
    rows = [
        [
            surname_comma_given(leak.names[i]),
            spelled_date(_cell(leak, i, "date_of_birth"), "en", rng.randrange(3)),
            _cell(leak, i, "nationality"),
        ]
        for i in indexes
    ]
    return Sample(
        "screenshot_names_and_dates",
        "names.png",
        render_table_image(["name", "born", "country"], rows),
        _ids(indexes),
    )


def _latin_names(leak: SyntheticLeak) -> list[int]:
    """Rows whose name is in Latin letters (the screenshots' OCR reads Latin script)."""
    return [i for i in _spaced_names(leak) if not leak.native_script[i]]


FORM_COPY_BUILDERS: list[Callable[[SyntheticLeak, random.Random], Sample]] = [
    _last_first_spelled_dates,
    _spelled_dates_es_fr_pt,
    _name_orders,
    _initials,
    _double_surnames,
    _key_value_blocks("en", ": "),
    _key_value_blocks("es", " = "),
    _key_value_blocks("fr", "\t"),
    _key_value_blocks("pt", ": "),
    _key_value_blocks("none", ""),
    _split_name_forms,
    _rendered("html_cards", "cards.html", 300, _form_writer("render_html_cards")),
    _rendered("html_list_items", "list.html", 300, _form_writer("render_html_list")),
    _rendered("html_definition_lists", "dl.html", 300, _form_writer("render_html_definition_lists")),
    _rendered("yaml_records", "people.yaml", 300, _form_writer("render_yaml")),
    _rendered("vcards", "people.vcf", 300, _form_writer("render_vcards")),
    _rendered("fixed_width_forms", "forms.txt", 300, _form_writer("render_fixed_width_forms")),
    _rendered("pdf_table", "list.pdf", 300, _form_writer("render_pdf")),
    _rendered("docx_table", "list.docx", 300, _form_writer("render_docx")),
    _rendered("odt_table", "list.odt", 300, _form_writer("render_odt")),
    _rendered("ods_sheet", "list.ods", 300, _form_writer("render_ods")),
    _rendered("xls_sheet", "list.xls", 300, _form_writer("render_xls")),
    _rendered("seven_zip_csv", "list.7z", 300, _csv_attached(_seven_zip)),
    _rendered("tar_bz2_csv", "list.tar.bz2", 300, _csv_attached(_tar_bz2)),
    _rendered("eml_csv_attached", "list.eml", 300, _csv_attached(_eml)),
    _rendered("base64_csv_paste", "paste.txt", 300, _base64_csv),
    _rendered("screenshot_png", "list.png", _IMAGE_ROWS, _form_writer("render_table_image")),
    _rendered("screenshot_jpeg", "list.jpg", _IMAGE_ROWS, _form_writer("render_table_image", "JPEG")),
    _rendered("scanned_pdf", "scan.pdf", _IMAGE_ROWS, _form_writer("render_scanned_pdf")),
    _screenshot_names_and_dates,
]
# Kinds whose text comes from OCR (their own recall target).
OCR_KINDS = frozenset({"screenshot_png", "screenshot_jpeg", "scanned_pdf", "screenshot_names_and_dates"})


def form_copies(leak: SyntheticLeak, seed: int = 0, kinds: set[str] | None = None) -> list[Sample]:
    """One copy of ``leak`` per form of ``FORM_COPY_BUILDERS`` (or of those named in
    ``kinds``, by builder name without its underscore), with the row ids each exposes."""
    builders = [b for b in FORM_COPY_BUILDERS if kinds is None or b.__name__.lstrip("_") in kinds]
    return [build(leak, random.Random(f"{seed}-{build.__name__}")) for build in builders]


# Look-alikes in the same forms: other invented people written as the copies above write the
# leak's (their A-numbers never the leak's), and the facility directory as key-value blocks.
NEGATIVE_FORMS = [
    "last_first_spelled_dates",
    "name_orders",
    "initials",
    "double_surnames",
    "key_value_blocks_en",
    "key_value_blocks_fr",
    "split_name_forms",
    "html_cards",
    "pdf_table",
    "docx_table",
    "eml_csv_attached",
    "screenshot_png",
]


class _FormNegativeFactory(_NegativeFactory):
    def other_people_leak(self, count: int) -> SyntheticLeak:
        rows, native, names = self.people.people(count, self.facilities, self.leak_a_numbers)
        self.leak_a_numbers.update(row[0] for row in rows)
        return SyntheticLeak(list(COLUMNS), rows, native, names)

    def in_form(self, form: str) -> Callable[[random.Random, int], Sample]:
        build = next(b for b in FORM_COPY_BUILDERS if b.__name__.lstrip("_") == form)

        def negative(rng, n):
            sample = build(self.other_people_leak(4 * rng.randrange(20, 80)), rng)
            return Sample(f"other_people_{sample.kind}", f"neg{n}-{sample.filename}", sample.data)

        return negative

    def facility_key_value_blocks(self, rng, n):
        from .synthetic_forms import render_key_value_blocks

        rows = [
            [f, self.faker.street_address(), self.faker.city(), self.faker.phone_number()]
            for f in self.facilities
        ]
        text = render_key_value_blocks(["Facility", "Address", "City", "Phone"], rows)
        return Sample("facility_key_value_blocks", f"neg{n}.txt", text.encode("utf-8"))

    def kinds(self) -> list[Callable[[random.Random, int], Sample]]:
        return [self.in_form(form) for form in NEGATIVE_FORMS] + [self.facility_key_value_blocks]


def form_negative_samples(leak: SyntheticLeak, seed: int = 0, count: int = 26) -> list[Sample]:
    """``count`` documents in the forms of ``form_copies`` that expose none of ``leak``'s
    records, cycling through the kinds."""
    factory = _FormNegativeFactory(leak, seed + 17)
    kinds = factory.kinds()
    return [kinds[n % len(kinds)](random.Random(f"{seed}-form-negative-{n}"), n) for n in range(count)]
