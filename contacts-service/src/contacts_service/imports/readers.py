"""Reading an import file a chunk at a time, from a byte offset (CSV and vCard).

Each read starts at the offset where the last chunk ended and returns the new one, so a
job can stop after any chunk and the next run continues there; nothing holds the file
in memory beyond one chunk.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

BOM = b"\xef\xbb\xbf"
csv.field_size_limit(1024 * 1024)


class FileProblem(ValueError):
    """The file cannot be read as the format it was uploaded as."""


class _Lines:
    """Decoded lines of a binary file from an offset, counting the bytes handed out.

    ``csv.reader`` pulls lines only as a record needs them, so after N records
    ``position`` is exactly where record N+1 starts.
    """

    def __init__(self, f: BinaryIO, position: int) -> None:
        self.f = f
        self.position = position
        f.seek(position)

    def __iter__(self) -> Iterator[str]:
        while line := self.f.readline():
            if self.position == 0 and line.startswith(BOM):
                line = line[len(BOM) :]
                self.position += len(BOM)
            self.position += len(line)
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FileProblem(f"the file is not UTF-8 text ({exc.reason})") from None


def csv_header(path: Path, delimiter: str) -> tuple[list[str], int]:
    """The header's column names and the offset of the first data row."""
    with path.open("rb") as f:
        lines = _Lines(f, 0)
        try:
            header = next(csv.reader(lines, delimiter=delimiter), None)
        except csv.Error as exc:
            raise FileProblem(f"the header is not valid CSV: {exc}") from None
        if not header or not any(h.strip() for h in header):
            raise FileProblem("the file has no header row")
        return [h.strip() for h in header], lines.position


def csv_records(
    path: Path, delimiter: str, position: int, limit: int
) -> tuple[list[list[str]], int]:
    """Up to ``limit`` records from ``position`` (blank lines skipped), and the new offset."""
    out: list[list[str]] = []
    with path.open("rb") as f:
        lines = _Lines(f, position)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            while len(out) < limit:
                record = next(reader, None)
                if record is None:
                    break
                if any(cell.strip() for cell in record):
                    out.append(record)
        except csv.Error as exc:
            raise FileProblem(f"invalid CSV near line {reader.line_num}: {exc}") from None
        return out, lines.position


def csv_count(path: Path, delimiter: str, position: int) -> int:
    """How many data records the file holds from ``position`` (one pass, in C)."""
    with path.open("rb") as f:
        try:
            return sum(
                1
                for r in csv.reader(_Lines(f, position), delimiter=delimiter)
                if any(cell.strip() for cell in r)
            )
        except csv.Error as exc:
            raise FileProblem(f"invalid CSV: {exc}") from None
