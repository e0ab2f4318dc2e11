"""Reading the leaked dataset: formats, encodings, headers, ids, and one-line errors."""

from __future__ import annotations

import json

import pytest

from leaktrack.errors import DatasetError
from leaktrack.fingerprints.readers import read_dataset
from leaktrack.synthetic import render_delimited


def write(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "xlsx"])
def test_reads_every_dataset_format_with_all_rows_and_columns(small_leak, tmp_path, fmt):
    path = small_leak.write(tmp_path / f"leak.{fmt}")
    dataset = read_dataset(path)
    assert dataset.columns == small_leak.columns
    assert dataset.rows == small_leak.rows
    assert dataset.ids == small_leak.ids


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniffs_the_delimiter(small_leak, tmp_path, delimiter):
    path = write(tmp_path, "leak.txt", small_leak.to_csv_bytes(delimiter))
    dataset = read_dataset(path)
    assert dataset.columns == small_leak.columns
    assert dataset.rows[5] == small_leak.rows[5]


def test_semicolon_file_with_commas_in_cells_keeps_cells_whole(tmp_path):
    text = "name;facility\nDoe, Jane;Camp A, North\nRoe, Rick;Camp B, South\nPoe, Paul;Camp C, East\n"
    dataset = read_dataset(write(tmp_path, "x.csv", text))
    assert dataset.rows == [
        ["Doe, Jane", "Camp A, North"],
        ["Roe, Rick", "Camp B, South"],
        ["Poe, Paul", "Camp C, East"],
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le"])
def test_reads_unicode_encodings_with_native_script_names(small_leak, tmp_path, encoding):
    text = render_delimited(small_leak.columns, small_leak.rows)
    dataset = read_dataset(write(tmp_path, "leak.csv", text.encode(encoding)))
    assert dataset.columns == small_leak.columns
    assert dataset.rows == small_leak.rows


def test_reads_cp1252_with_diacritics(tmp_path):
    text = "full_name,facility\r\nJosé Müller,Camp Açaí\r\nZoë Brontë,Camp Ñandú\r\nFrançois Lefèvre,Camp Œil\r\n"
    dataset = read_dataset(write(tmp_path, "win.csv", text.encode("cp1252")))
    assert dataset.rows == [
        ["José Müller", "Camp Açaí"],
        ["Zoë Brontë", "Camp Ñandú"],
        ["François Lefèvre", "Camp Œil"],
    ]


def test_reads_cp1251_cyrillic_through_detection(tmp_path):
    rows = [
        ["Мухин Христофор", "Шелехов", "1961-04-02"],
        ["Исаев Аггей", "Москва", "1975-11-30"],
        ["Сазонов Арсений", "Казань", "1990-01-15"],
        ["Устинова Евфросиния", "Самара", "1983-07-09"],
    ] * 5
    text = render_delimited(["имя", "город", "дата"], rows)
    dataset = read_dataset(write(tmp_path, "ru.csv", text.encode("cp1251")))
    assert dataset.columns == ["имя", "город", "дата"]
    assert dataset.rows[0] == rows[0]


def test_first_row_of_data_is_not_taken_for_a_header(small_leak, tmp_path):
    text = render_delimited(None, small_leak.rows)
    dataset = read_dataset(write(tmp_path, "noheader.csv", text))
    assert dataset.columns == [f"col{i}" for i in range(1, 7)]
    assert dataset.rows[0] == small_leak.rows[0]
    assert dataset.ids[0] == "1"


def test_digit_free_first_row_that_recurs_below_is_data(tmp_path):
    text = "Jane Doe,Granted\nRick Roe,Denied\nPaul Poe,Granted\n"
    dataset = read_dataset(write(tmp_path, "x.csv", text))
    assert dataset.columns == ["col1", "col2"]
    assert len(dataset) == 3


def test_id_column_gives_record_ids_and_stays_a_column(small_leak, small_leak_csv):
    dataset = read_dataset(small_leak_csv, id_column="a_number")
    assert dataset.ids == small_leak.column("a_number")
    assert "a_number" in dataset.columns


def test_columns_option_restricts_and_orders_columns(small_leak, small_leak_csv):
    dataset = read_dataset(small_leak_csv, id_column="a_number", columns=["facility", "full_name"])
    assert dataset.columns == ["facility", "full_name"]
    assert dataset.rows[0] == [small_leak.rows[0][5], small_leak.rows[0][1]]
    assert dataset.ids[0] == small_leak.rows[0][0]


def test_row_number_ids_count_blank_rows_so_they_match_the_file(tmp_path):
    text = "name,dob\nJane Doe,1990-01-01\n\nRick Roe,1980-02-02\n"
    dataset = read_dataset(write(tmp_path, "x.csv", text))
    assert dataset.ids == ["1", "3"]


def test_short_rows_are_padded_to_the_header(tmp_path):
    text = "name,dob,facility\nJane Doe,1990-01-01\nRick Roe,1980-02-02,Camp B\n"
    dataset = read_dataset(write(tmp_path, "x.csv", text))
    assert dataset.rows[0] == ["Jane Doe", "1990-01-01", ""]


def test_json_object_holding_a_records_array(tmp_path):
    document = {"exported": "2024-01-01", "records": [{"name": "Jane Doe", "case": {"status": "Granted"}}]}
    dataset = read_dataset(write(tmp_path, "x.json", json.dumps(document)))
    assert dataset.columns == ["name", "case.status"]
    assert dataset.rows == [["Jane Doe", "Granted"]]


def test_jsonl_records_with_different_keys_share_the_union_of_columns(tmp_path):
    text = '{"name": "Jane Doe", "dob": "1990-01-01"}\n\n{"name": "Rick Roe", "facility": "Camp B"}\n'
    dataset = read_dataset(write(tmp_path, "x.jsonl", text))
    assert dataset.columns == ["name", "dob", "facility"]
    assert dataset.rows == [["Jane Doe", "1990-01-01", ""], ["Rick Roe", "", "Camp B"]]


def test_xlsx_dates_and_whole_numbers_read_as_people_type_them(tmp_path):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "dob", "bed"])
    workbook.active.append(["Jane Doe", dt.datetime(1990, 3, 7), 12.0])
    workbook.save(tmp_path / "x.xlsx")
    dataset = read_dataset(tmp_path / "x.xlsx")
    assert dataset.rows == [["Jane Doe", "1990-03-07", "12"]]


def error_of(path, **options) -> str:
    with pytest.raises(DatasetError) as caught:
        read_dataset(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_file_is_a_one_line_error(tmp_path):
    assert "not found" in error_of(tmp_path / "nope.csv")


def test_empty_file_is_a_one_line_error(tmp_path):
    assert "empty" in error_of(write(tmp_path, "e.csv", "  \n\n"))


def test_header_without_records_is_a_one_line_error(tmp_path):
    assert "no records" in error_of(write(tmp_path, "h.csv", "name,dob,facility\n"))


def test_empty_json_array_is_a_one_line_error(tmp_path):
    assert "no records" in error_of(write(tmp_path, "e.json", "[]"))


def test_binary_file_is_a_one_line_error(tmp_path):
    data = bytes(range(256)) * 40
    assert "not text" in error_of(write(tmp_path, "b.csv", data))


def test_corrupt_xlsx_is_a_one_line_error(tmp_path):
    assert "XLSX" in error_of(write(tmp_path, "c.xlsx", b"PK\x03\x04" + b"\x00garbage" * 50))


def test_invalid_json_names_the_line(tmp_path):
    assert "line 3" in error_of(write(tmp_path, "bad.jsonl", '{"a": 1}\n{"a": 2}\n{"a": \n'))


def test_unknown_id_column_lists_the_columns(small_leak_csv):
    message = error_of(small_leak_csv, id_column="alien_no")
    assert "alien_no" in message and "a_number, full_name" in message


def test_unknown_columns_are_named(small_leak_csv):
    message = error_of(small_leak_csv, columns=["full_name", "ssn", "phone"])
    assert "ssn, phone" in message and "columns are:" in message


def test_duplicate_ids_name_one(tmp_path):
    text = "id,name\n7,Jane Doe\n8,Rick Roe\n7,Paul Poe\n"
    assert "duplicate id '7'" in error_of(write(tmp_path, "d.csv", text), id_column="id")


def test_empty_id_is_an_error(tmp_path):
    text = "id,name\n7,Jane Doe\n,Rick Roe\n"
    assert "empty 'id'" in error_of(write(tmp_path, "d.csv", text), id_column="id")


def test_header_names_with_a_digit_are_still_a_header(tmp_path):
    text = "full_name,address_line2,phone1\nJane Doe,Flat 2,555-0100\nRick Roe,Flat 9,555-0199\n"
    dataset = read_dataset(write(tmp_path, "x.csv", text))
    assert dataset.columns == ["full_name", "address_line2", "phone1"]
    assert len(dataset) == 2


def test_utf8_with_a_stray_legacy_byte_keeps_its_native_script_names(tmp_path):
    text = "name,place\nАггей Исаев,Москва\nرقیه معروف,تهران\nJos\xe9 M,Camp\n"
    data = text.encode("utf-8").replace("Jos\xe9".encode(), b"Jos\xe9")  # one cp1252 byte
    dataset = read_dataset(write(tmp_path, "mixed.csv", data))
    assert dataset.rows[0] == ["Аггей Исаев", "Москва"]
    assert dataset.rows[2] == ["Jos\ufffd M", "Camp"]


def test_title_lines_above_the_table_are_not_records(tmp_path):
    text = (
        "Export of 2024-05-01\n\nname,dob,facility\nJane Doe,1990-01-01,Camp A\nRick Roe,1980-02-02,Camp B\n"
    )
    dataset = read_dataset(write(tmp_path, "x.csv", text))
    assert dataset.columns == ["name", "dob", "facility"]
    assert dataset.rows == [["Jane Doe", "1990-01-01", "Camp A"], ["Rick Roe", "1980-02-02", "Camp B"]]
    assert dataset.ids == ["1", "2"]


def test_title_rows_above_an_xlsx_table_are_not_records(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Detention report"])
    workbook.active.append([])
    workbook.active.append(["name", "dob", "facility"])
    workbook.active.append(["Jane Doe", "1990-01-01", "Camp A"])
    workbook.save(tmp_path / "x.xlsx")
    dataset = read_dataset(tmp_path / "x.xlsx")
    assert dataset.columns == ["name", "dob", "facility"]
    assert dataset.rows == [["Jane Doe", "1990-01-01", "Camp A"]]


def test_xlsx_with_a_broken_sheet_is_a_one_line_error(small_leak, tmp_path):
    import io
    import zipfile

    from leaktrack.synthetic import render_xlsx, zip_members

    with zipfile.ZipFile(io.BytesIO(render_xlsx(small_leak.columns, small_leak.rows[:5]))) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c t='s'><v>oops"
    assert "broken.xlsx is not a readable XLSX workbook (ParseError)" in error_of(
        write(tmp_path, "broken.xlsx", zip_members(members))
    )


def test_dataset_with_a_quoted_cell_over_128_kib_is_read(tmp_path):
    # Python's csv module refuses fields over 131,072 characters by default.
    path = tmp_path / "notes.csv"
    path.write_text('id,name,note\n1,Alice Example,"' + "note " * 40_000 + '"\n2,Bob Example,short\n')

    dataset = read_dataset(path)

    assert len(dataset.rows) == 2


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '[{"a": ' + '{"b": ' * 100_000 + "1" + "}" * 100_001 + "]",
        '{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n",
    ],
)
def test_absurdly_nested_json_is_a_dataset_error(tmp_path, text):
    path = tmp_path / ("nested.json" if text.startswith("[") else "nested.jsonl")
    path.write_text(text)

    with pytest.raises(DatasetError, match="nested too deeply"):
        read_dataset(path)


def test_a_column_named_twice_in_columns_is_a_dataset_error(small_leak, tmp_path):
    # Twice the same field would pass for the two fields a match needs: names alone would match.
    path = tmp_path / "leak.csv"
    small_leak.write(path)

    with pytest.raises(DatasetError, match="full_name.*more than once"):
        read_dataset(path, columns=["full_name", "full_name"])


def test_a_dataset_wider_than_the_column_cap_is_refused_with_a_hint(tmp_path):
    # A 5 MB one-line file of a million cells took 14.5 minutes (a quadratic column lookup).
    path = write(tmp_path, "wide.csv", ",".join(f"v{i}" for i in range(200_000)) + "\n")
    message = error_of(path)
    assert "200,000 columns" in message and "--columns" in message


def test_columns_of_a_very_wide_file_can_be_chosen(tmp_path):
    names = ["field_" + "".join(chr(97 + int(d)) for d in str(i)) for i in range(50_000)]
    row = [f"x{i}" for i in range(50_000)]
    path = write(tmp_path, "wide.csv", ",".join(names) + "\n" + ",".join(row) + "\n")
    dataset = read_dataset(path, columns=[names[7], names[49_999]])
    assert dataset.rows == [["x7", "x49999"]]


def test_columns_option_naming_no_column_is_an_error(small_leak_csv):
    assert "names no column" in error_of(small_leak_csv, columns=[])
