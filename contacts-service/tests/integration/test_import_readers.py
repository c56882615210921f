"""Reading import files a chunk at a time from byte offsets gives the same rows as one read
(no database: the offsets are what make a job resumable after any chunk)."""

import pytest
from contacts_service.imports import readers, vcard
from contacts_service.imports.mapping import column_of, resolve, to_item

CSV = (
    "\ufeffname,email,notes\r\n"
    'Ada,ada@example.com,"one\nline, two"\r\n'
    "\r\n"
    'Grace,grace@example.com,"quote ""inside"""\r\n'
    "Élodie,elodie@example.com,unicode\r\n"
    "Last,last@example.com,no newline at the end"
)


def read_all(path, position, size):
    out = []
    while True:
        records, position = readers.csv_records(path, ",", position, size)
        if not records:
            return out
        out += records


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_csv_chunks_from_offsets_equal_one_read(tmp_path, size):
    path = tmp_path / "f.csv"
    path.write_text(CSV, encoding="utf-8")
    columns, start = readers.csv_header(path, ",")
    assert columns == ["name", "email", "notes"]
    rows = read_all(path, start, size)
    assert rows == [
        ["Ada", "ada@example.com", "one\nline, two"],
        ["Grace", "grace@example.com", 'quote "inside"'],
        ["Élodie", "elodie@example.com", "unicode"],
        ["Last", "last@example.com", "no newline at the end"],
    ]
    assert readers.csv_count(path, ",", start) == 4


def test_mapping_errors_point_back_to_their_column():
    columns = ["Mail", "Work mail", "Street", "Town", "Score"]
    targets = resolve(columns, {"Mail": "emails[1]", "Work mail": "emails[2]",
                                "Street": "addresses[2].street", "Town": "address.city",
                                "Score": "custom.score"})  # fmt: skip
    item, origin = to_item(["a@x.example", "", "Main St", "Paris", "7"], targets, columns, {})
    assert item == {
        "emails": [{"email": "a@x.example"}],
        "addresses": [{"city": "Paris"}, {"street": "Main St"}],
        "custom": {"score": "7"},
    }
    assert column_of("emails.0.email", origin) == "Mail"
    assert column_of("addresses.1.street", origin) == "Street"
    assert column_of("addresses.0", origin) == "Town"
    assert column_of("custom.score", origin) == "Score"
    assert column_of("item", origin) is None


@pytest.mark.parametrize("size", [1, 2, 10])
def test_vcard_chunks_from_offsets_equal_one_read(tmp_path, size):
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\n Lovelace\r\nEND:VCARD\r\n\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nN:Hopper;Grace;;;\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nFN:Third\r\nEND:VCARD"
    )
    path = tmp_path / "f.vcf"
    path.write_text(text)
    cards, position = [], 0
    while True:
        chunk, position = vcard.read_cards(path, position, size)
        if not chunk:
            break
        cards += chunk
    assert [c.first("FN").value if c.first("FN") else c.first("N").value for c in cards] == [
        "AdaLovelace",
        "Hopper;Grace;;;",
        "Third",
    ]
    assert vcard.count_cards(path) == 3


def test_a_vcard_cut_inside_a_card_is_a_file_problem(tmp_path):
    path = tmp_path / "f.vcf"
    path.write_text("BEGIN:VCARD\r\nFN:Ada\r\n")
    with pytest.raises(readers.FileProblem):
        vcard.read_cards(path, 0, 10)
