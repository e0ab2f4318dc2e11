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
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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


# Roughly a quarter of the records carry a native-script name (Cyrillic, Greek, Arabic,
# Persian, CJK), the rest Latin names, many with diacritics.
ORIGINS = [
    _Origin("es_MX", 14, ("Mexico", "Guatemala", "Honduras", "El Salvador")),
    _Origin("es_ES", 6, ("Venezuela", "Colombia", "Nicaragua")),
    _Origin("pt_BR", 7, ("Brazil", "Angola")),
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


@dataclass
class SyntheticLeak:
    columns: list[str]
    rows: list[list[str]]  # row i has record id str(i + 1)
    native_script: list[bool]  # row i's name is in a non-Latin script

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
        faker = self._faker(origin.locale)
        first, last = faker.first_name(), faker.last_name()
        parts = (last, first) if origin.family_name_first else (first, last)
        return origin.joiner.join(parts)

    def birth_date(self) -> str:
        span = (_LAST_BIRTH_DATE - _FIRST_BIRTH_DATE).days
        return (_FIRST_BIRTH_DATE + dt.timedelta(days=self.rng.randrange(span))).isoformat()

    def a_numbers(self, count: int, exclude: set[str] = frozenset()) -> list[str]:
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
        self, count: int, facilities: list[str], exclude_a_numbers: set[str] = frozenset()
    ) -> tuple[list[list[str]], list[bool]]:
        """``count`` rows in the leak's schema, and whether each name is in a native script."""
        a_numbers = self.a_numbers(count, exclude_a_numbers)
        rows, native = [], []
        for a_number in a_numbers:
            origin = self.origin()
            name = self.name(origin)
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
        return rows, native


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
    rows, native = _PeopleFactory(seed).people(n_records, facilities)
    return SyntheticLeak(columns=list(COLUMNS), rows=rows, native_script=native)


# ---------------------------------------------------------------------------------------------
# Renderers: one table in the formats re-uploads come in


def render_delimited(
    columns: list[str] | None,
    rows: list[list[str]],
    delimiter: str = ",",
    newline: str = "\n",
    quoting: int = csv.QUOTE_MINIMAL,
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
    return out.getvalue()


def zip_members(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
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
        rows, _ = self.people.people(count, self.facilities, self.leak_a_numbers)
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
