"""Read a legacy system's export files (CSV in UTF-8 or GBK, XLSX) as text, exactly as a person sees them.

Each source table of a mapping is one or more files (globs, relative to the legacy folder). Every cell comes
back as stripped text or None; row numbers count the header as row 1, as in a spreadsheet. A line with the
wrong number of fields is kept as a structural problem (source validation reports it) instead of being
dropped. A file that cannot be read at all, or lacks a required column, stops the migration with an error
naming the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ingest.migration.mapping import MappingError, SourceTable
from ingest.readers import TEXT_ENCODINGS

LINEAGE = ("_source_file", "_source_row")


@dataclass
class LegacyFile:
    table: str
    path: Path
    rel: str
    file_format: str
    encoding: str | None
    sha256: str
    rows: int
    columns: list[str]
    missing_optional: list[str] = field(default_factory=list)


@dataclass
class StructuralProblem:
    table: str
    source_file: str
    source_row: int
    problem: str
    raw: str


@dataclass
class LegacyTable:
    name: str
    frame: pd.DataFrame  # text columns as in the files (declared fields always present) + _source_file/_row
    files: list[LegacyFile]
    problems: list[StructuralProblem]

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in LINEAGE]


def read_legacy_table(legacy_dir: Path, name: str, spec: SourceTable) -> LegacyTable:
    paths: list[Path] = []
    for pattern in spec.files:
        found = sorted(p for p in legacy_dir.glob(pattern) if p.is_file())
        if not found:
            raise MappingError(f"{legacy_dir}: no file matches '{pattern}' (source '{name}')")
        paths += [p for p in found if p not in paths]
    frames, files, problems = [], [], []
    for path in paths:
        rel = path.relative_to(legacy_dir).as_posix()
        header, rows, numbers, encoding, bad = _read_file(path, spec)
        header = [h.strip().lstrip("\ufeff") for h in header]
        twice = sorted({h for h in header if h and header.count(h) > 1})
        if twice:
            raise MappingError(f"{path}: column(s) {twice} appear more than once in the header")
        missing = [f for f in spec.fields if f not in header]
        required_missing = [f for f in missing if spec.fields[f].required]
        if required_missing:
            raise MappingError(f"{path}: required column(s) {required_missing} missing from the header "
                               f"(found: {[h for h in header if h]}) (source '{name}')")
        frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
        frame = frame.loc[:, [h for h in header if h]]
        for col in missing:
            frame[col] = None
        frame["_source_file"] = rel
        frame["_source_row"] = numbers
        frames.append(frame)
        problems += [StructuralProblem(name, rel, n, why, raw) for n, why, raw in bad]
        files.append(LegacyFile(name, path, rel, path.suffix.lower().lstrip("."), encoding,
                                hashlib.sha256(path.read_bytes()).hexdigest(), len(rows) + len(bad),
                                [h for h in header if h], missing))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    frame = frame.astype(object).where(frame.notna(), None)
    ordered = [c for c in frame.columns if c not in LINEAGE] + list(LINEAGE)
    return LegacyTable(name, frame[ordered], files, problems)


def _read_file(path: Path, spec: SourceTable):
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path, spec.encoding)
    if suffix == ".xlsx":
        return _read_xlsx(path, spec.sheet)
    raise MappingError(f"{path}: unsupported legacy file type '{suffix}' (supported: .csv, .txt, .xlsx)")


def decode(path: Path, encoding: str | None) -> tuple[str, str]:
    data = path.read_bytes()
    for enc in [encoding] if encoding else TEXT_ENCODINGS:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError) as exc:
            if encoding:
                raise MappingError(f"{path}: cannot be read as {encoding}: {exc}") from exc
    raise MappingError(f"{path}: text is neither UTF-8 nor GBK/GB18030 (tried {', '.join(TEXT_ENCODINGS)}); "
                       "set encoding: in the mapping")


def _read_csv(path: Path, encoding: str | None):
    text, used = decode(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise MappingError(f"{path}: the file is empty (no header row)") from exc
    except csv.Error as exc:
        raise MappingError(f"{path}: not valid CSV: {exc}") from exc
    rows, numbers, bad = [], [], []
    row_number = 1
    try:
        for fields in reader:
            row_number += 1
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                bad.append((row_number, f"expected {len(header)} fields, found {len(fields)}",
                            json.dumps(fields, ensure_ascii=False)))
                continue
            rows.append([cell_text(v) for v in fields])
            numbers.append(row_number)
    except csv.Error as exc:
        raise MappingError(f"{path}: not valid CSV near row {row_number + 1}: {exc}") from exc
    return header, rows, numbers, used, bad


def _read_xlsx(path: Path, sheet: str | None):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise MappingError(f"{path}: not a readable XLSX workbook: {exc}") from exc
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise MappingError(f"{path}: no sheet '{sheet}' (sheets: {wb.sheetnames})")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        values = ws.iter_rows(values_only=True)
        first = next(values, None)
        if first is None:
            raise MappingError(f"{path}: the sheet is empty (no header row)")
        header = [cell_text(h) or "" for h in first]
        rows, numbers = [], []
        for row_number, row in enumerate(values, start=2):
            cells = [cell_text(v) for v in row]
            if all(v is None for v in cells):
                continue
            rows.append((cells + [None] * len(header))[: len(header)])
            numbers.append(row_number)
    finally:
        wb.close()
    return header, rows, numbers, None, []


def cell_text(value) -> str | None:
    """A cell as the text a person reads: numbers without a spurious .0, Excel dates as ISO text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None
