"""Read a landing file (CSV in any encoding, XLSX, JSON lines, Parquet) into rows of text.

Every value comes back as text (or None for empty), so one set of contract checks serves every format.
Rows that cannot even be split into fields (a CSV line with the wrong number of fields, a JSON line that
is not an object) come back as structural rejects with their row number; a file that cannot be read at
all raises UnreadableFile naming the file and the problem.

Row numbers follow what a person sees when they open the file: CSV and XLSX count the header as row 1
(the first data row is 2); JSON lines count lines from 1; Parquet counts records from 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ingest.contract import Contract

SUPPORTED_SUFFIXES = (".csv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".json", ".parquet")
# Tried in order when a text file does not say its encoding; GB18030 is a superset of GBK and GB2312.
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


class UnreadableFile(Exception):
    """The file cannot be read at all (encoding, format, missing required columns)."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class Reject:
    row_number: int
    column: str | None
    reason: str
    raw_record: str


@dataclass
class RawFile:
    path: Path
    encoding: str | None
    records: pd.DataFrame  # one column per contract column, object dtype: str or None
    row_numbers: list[int]
    rejects: list[Reject] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.records) + len(self.rejects)


def read_landing_file(path: Path, contract: Contract) -> RawFile:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path, contract)
    if suffix == ".xlsx":
        return _read_xlsx(path, contract)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path, contract)
    if suffix == ".parquet":
        return _read_parquet(path, contract)
    raise UnreadableFile(path, f"unsupported file type '{suffix}' (supported: {', '.join(SUPPORTED_SUFFIXES)})")


def _to_text(value) -> str | None:
    """A cell value as the text a person would type; None for empty."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def _map_header(path: Path, header: list[str], contract: Contract) -> tuple[list[str | None], list[str]]:
    """Map file header names to contract columns (case and surrounding spaces ignored)."""
    wanted = {c.name.lower(): c.name for c in contract.columns}
    mapped: list[str | None] = []
    extra: list[str] = []
    for name in header:
        key = (name or "").strip().lstrip("\ufeff").lower()
        if key in wanted:
            mapped.append(wanted[key])
        else:
            mapped.append(None)
            if key:
                extra.append(name.strip())
    seen = [m for m in mapped if m]
    twice = sorted({m for m in seen if seen.count(m) > 1})
    if twice:
        raise UnreadableFile(path, f"column(s) {twice} appear more than once in the header")
    missing = [c.name for c in contract.columns if c.required and c.name not in seen]
    if missing:
        raise UnreadableFile(
            path, f"required column(s) {missing} missing from the header (found: {[h for h in header if h]})"
        )
    return mapped, extra


def _frame(records: list[dict], contract: Contract) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records, columns=contract.column_names)
    return df.astype(object).where(df.notna(), None)


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(path, f"text is neither UTF-8 nor GBK/GB18030 (tried {', '.join(TEXT_ENCODINGS)})")


def _read_csv(path: Path, contract: Contract) -> RawFile:
    text, encoding = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise UnreadableFile(path, "the file is empty (no header row)") from exc
    except csv.Error as exc:
        raise UnreadableFile(path, f"not valid CSV: {exc}") from exc
    mapped, extra = _map_header(path, header, contract)
    records, numbers, rejects = [], [], []
    row_number = 1
    try:
        for fields in reader:
            row_number += 1
            if not fields or all(not f.strip() for f in fields):
                rejects.append(Reject(row_number, None, "empty row", ""))
                continue
            if len(fields) != len(header):
                rejects.append(
                    Reject(
                        row_number,
                        None,
                        f"expected {len(header)} fields, found {len(fields)}",
                        json.dumps(fields, ensure_ascii=False),
                    )
                )
                continue
            records.append({m: _to_text(v) for m, v in zip(mapped, fields, strict=True) if m})
            numbers.append(row_number)
    except csv.Error as exc:
        raise UnreadableFile(path, f"not valid CSV near row {row_number + 1}: {exc}") from exc
    return RawFile(path, encoding, _frame(records, contract), numbers, rejects, extra)


def _read_xlsx(path: Path, contract: Contract) -> RawFile:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise UnreadableFile(path, f"not a readable XLSX workbook: {exc}") from exc
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise UnreadableFile(path, "the first sheet is empty (no header row)")
        header = [_to_text(h) or "" for h in header_row]
        mapped, extra = _map_header(path, header, contract)
        records, numbers, rejects = [], [], []
        for row_number, values in enumerate(rows, start=2):
            cells = [_to_text(v) for v in values]
            if all(v is None for v in cells):
                continue  # Excel keeps formatted empty rows at the end of a sheet
            cells = (cells + [None] * len(header))[: len(header)]
            records.append({m: v for m, v in zip(mapped, cells, strict=True) if m})
            numbers.append(row_number)
    finally:
        wb.close()
    return RawFile(path, None, _frame(records, contract), numbers, rejects, extra)


def _texts(values: list) -> list[str | None]:
    """_to_text over a column; a column of plain strings (the usual case) takes a quick path."""
    if all(type(v) is str or v is None for v in values):
        return [None if v is None else (v.strip() or None) for v in values]
    return [_to_text(v) for v in values]


def _read_jsonl_quick(text: str, contract: Contract) -> tuple[dict[str, list], list[str]] | None:
    """Every line an object with the same keys, no blank line: parse in one go, column by column.

    Gives exactly what the line-by-line reader gives; None (use that reader) for anything else.
    """
    lines = text.splitlines()
    if not lines or any(not line.strip() for line in lines):
        return None
    try:
        objs = json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError:
        return None
    if len(objs) != len(lines) or not all(type(o) is dict for o in objs):
        return None
    keys = list(objs[0])
    if any(list(o) != keys for o in objs):  # differing keys per line: leave it to the careful reader
        return None
    wanted = {c.name.lower(): c.name for c in contract.columns}
    data, extra = {}, set()
    for key in keys:
        name = wanted.get(str(key).strip().lower())
        if name:
            data[name] = _texts([o[key] for o in objs])
        else:
            extra.add(str(key))
    return data, sorted(extra)


def _read_jsonl(path: Path, contract: Contract) -> RawFile:
    text, encoding = _decode(path)
    quick = _read_jsonl_quick(text, contract)
    if quick is not None:
        data, extra = quick
        missing = [c.name for c in contract.columns if c.required and c.name not in data]
        if missing:
            raise UnreadableFile(path, f"required field(s) {missing} appear in no JSON line")
        n = len(next(iter(data.values()))) if data else len(text.splitlines())
        df = pd.DataFrame({c: data.get(c, [None] * n) for c in contract.column_names}, dtype=object)
        return RawFile(path, encoding, df.where(df.notna(), None), list(range(1, n + 1)), [], extra)
    wanted = {c.name.lower(): c.name for c in contract.columns}
    records, numbers, rejects = [], [], []
    seen_keys: set[str] = set()
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects.append(Reject(line_number, None, f"not valid JSON: {exc.msg}", line[:2000]))
            continue
        if not isinstance(obj, dict):
            rejects.append(Reject(line_number, None, "a JSON line must be an object", line[:2000]))
            continue
        record = {}
        for key, value in obj.items():
            name = wanted.get(str(key).strip().lower())
            if name:
                record[name] = _to_text(value)
            else:
                seen_keys.add(str(key))
        records.append(record)
        numbers.append(line_number)
    if not records and not rejects:
        raise UnreadableFile(path, "the file holds no JSON lines")
    present = set().union(*(r.keys() for r in records)) if records else set()
    missing = [c.name for c in contract.columns if c.required and c.name not in present and records]
    if missing:
        raise UnreadableFile(path, f"required field(s) {missing} appear in no JSON line")
    return RawFile(path, encoding, _frame(records, contract), numbers, rejects, sorted(seen_keys))


def _read_parquet(path: Path, contract: Contract) -> RawFile:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise UnreadableFile(path, f"not a readable Parquet file: {exc}") from exc
    header = table.column_names
    mapped, extra = _map_header(path, header, contract)
    data = {}
    for source_name, name in zip(header, mapped, strict=True):
        if name:
            data[name] = _texts(table.column(source_name).to_pylist())
    df = pd.DataFrame(data, columns=contract.column_names, dtype=object)
    df = df.where(df.notna(), None)
    return RawFile(path, None, df, list(range(1, table.num_rows + 1)), [], extra)
