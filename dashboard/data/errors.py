"""One error type for bad source data, so every failure names file, column and row."""

from __future__ import annotations

from pathlib import Path


class SourceDataError(Exception):
    """A source file that cannot be trusted: the build stops and keeps the previous data."""

    def __init__(self, file: Path | str, message: str, *, column: str | None = None, row: int | None = None):
        self.file = str(file)
        self.column = column
        self.row = row
        where = [f"file {self.file}"]
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {message}")


def read_text_strict(path: Path) -> str:
    """Decode as UTF-8 (BOM allowed) and say where it fails, rather than guessing an encoding."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceDataError(
            path, f"is not valid UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}); re-save it as UTF-8",
            row=line,
        ) from None


def to_number(series, path: Path, column: str, *, header_rows: int = 1):
    """Parse published numbers ("1,234.50", "£12", "-", blank) and name the first cell that is not one."""
    import numpy as np
    import pandas as pd

    text = series.astype("string").str.strip()
    cleaned = text.str.replace(",", "", regex=False).str.replace("£", "", regex=False)
    cleaned = cleaned.mask(cleaned.isin(["", "-", "NA", "N/A", "na", "null", "NULL"]))
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = numbers.isna() & cleaned.notna()
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        # Readers number rows by the frame's index (the file's data rows, from 0), which still names the
        # right line after rows were filtered out (e.g. a Fingertips API file's breakdown rows).
        label = series.index[position]
        line = int(label) if isinstance(label, int | np.integer) else position
        raise SourceDataError(
            path, f"expected a number, found {text.iloc[position]!r}", column=column, row=line + header_rows + 1,
        )
    return numbers.astype("float64")


def check_complete_rows(text: str, path: Path) -> None:
    """Refuse a row with a different number of fields from the header, naming it and the first column it lacks.

    A file cut mid-row (an interrupted download or copy) still parses: pandas quietly fills the missing
    fields (with "" when empty cells are kept as text), and the damage surfaces later as a blank total, a
    schema failure on an output or a bare IndexError, none of which names the file. Counting fields with
    the csv module costs ~60 ms for a year of payments. Rows are numbered as elsewhere: the header is row 1,
    blank lines (which pandas skips) are not counted.
    """
    import csv
    import io

    records = (record for record in csv.reader(io.StringIO(text)) if record)
    header = next(records, None)
    if header is None:
        return
    for position, record in enumerate(records):
        if len(record) < len(header):
            raise SourceDataError(
                path, f"row has {len(record)} of the header's {len(header)} fields; the file looks cut short or "
                "the row is broken (re-download or re-export it)",
                column=header[len(record)].replace("\ufeff", "").strip(), row=position + 2)
        if len(record) > len(header):
            raise SourceDataError(path, f"row has {len(record)} fields but the header has {len(header)}",
                                  row=position + 2)
