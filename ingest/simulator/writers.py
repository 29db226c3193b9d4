"""Write landing files byte for byte the same for the same input: CSV (UTF-8 or GBK), XLSX, JSON lines and
Parquet. No wall clock and no unordered iteration reaches the bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.contract import Contract
from ingest.simulator.layout import LandingFile

FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def _csv_text(f: LandingFile, header: bool = True) -> str:
    """CSV text of a (ready) file or chunk; raw_lines are numbered within this text (1 = its first line)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    frame = f.frame
    if header:
        writer.writerow(list(frame.columns))
    writer.writerows(frame.itertuples(index=False, name=None))
    text = buf.getvalue()
    if f.raw_lines:
        lines = text.split("\n")
        for row_number, line in f.raw_lines.items():
            lines[row_number - 1] = line
        text = "\n".join(lines)
    return text


def write_csv(path: Path, f: LandingFile, encoding: str = "utf-8") -> None:
    path.write_bytes(_csv_text(f).encode(encoding))


def write_xlsx(path: Path, f: LandingFile, contract: Contract) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "scorelink-simulator"
    ws = wb.create_sheet(contract.entity)
    frame = f.frame
    ws.append(list(frame.columns))
    booleans = [c.type == "boolean" for c in contract.columns]
    for row in frame.itertuples(index=False, name=None):
        ws.append([(v == "true") if (is_bool and v is not None) else v for v, is_bool in zip(row, booleans, strict=True)])
    raw = io.BytesIO()
    wb.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
            zout.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def _json_value(kind: str, value):
    if value is None:
        return None
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "decimal":
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "boolean":
        return value == "true"
    return value


_JSON_UNSAFE = r'["\\\x00-\x1f]'  # characters json.dumps escapes (ensure_ascii=False)


def _all_safe(text: np.ndarray) -> bool:
    """True when no cell holds a character json.dumps would escape (one regex pass over all the text)."""
    try:
        joined = " ".join(text.tolist())
    except TypeError:  # a cell that is not text: decide cell by cell
        return False
    return re.search(_JSON_UNSAFE, joined) is None


def _json_column(values: pd.Series, kind: str) -> np.ndarray:
    """Each cell of a column as json.dumps would write it (after _json_value), vectorized.

    Text that needs no escaping is quoted directly; the rest, and every number or boolean, goes through
    json.dumps once per distinct value. Byte for byte what the row-by-row writer produced.
    """
    out = np.full(len(values), "null", dtype=object)
    present = values.notna().to_numpy()
    if not present.any():
        return out
    cells = values[present]
    if kind in ("string", "date", "timestamp"):
        text = cells.to_numpy(dtype=object)
        if not _all_safe(text):
            text = cells.astype(str).to_numpy(dtype=object)
        if _all_safe(text):
            out[present] = '"' + text + '"'
            return out
        text = pd.Series(text)
        unsafe = text.str.contains(_JSON_UNSAFE, regex=True).to_numpy()
        quoted = ('"' + text + '"').to_numpy(dtype=object)
        if unsafe.any():
            quoted[unsafe] = [json.dumps(v, ensure_ascii=False) for v in text[unsafe]]
        out[present] = quoted
    else:
        uniques = pd.unique(cells)
        encoded = {v: json.dumps(_json_value(kind, v), ensure_ascii=False) for v in uniques}
        out[present] = cells.map(encoded).to_numpy(dtype=object)
    return out


def _jsonl_text(f: LandingFile, contract: Contract) -> str:
    kinds = [c.type for c in contract.columns]
    frame = f.frame
    names = list(frame.columns)
    plain = all(k in ("string", "date", "timestamp") for k in kinds)
    keys = [json.dumps(name, ensure_ascii=False).replace("%", "%%") for name in names]
    template = "{" + ", ".join(f"{key}: %s" for key in keys) + "}"
    columns = [_json_column(frame[name], "string" if plain else kind) for name, kind in zip(names, kinds, strict=True)]
    return "".join(template % row + "\n" for row in zip(*columns, strict=True))


def write_jsonl(path: Path, f: LandingFile, contract: Contract) -> None:
    path.write_bytes(_jsonl_text(f, contract).encode("utf-8") if len(f.frame) else b"\n")


def write_parquet(path: Path, f: LandingFile, contract: Contract) -> None:
    arrays = []
    frame = f.frame
    for col in contract.columns:
        values = frame[col.name]
        present = values.notna().to_numpy()
        if col.type == "date":
            arr = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
            arr[present] = values[present].to_numpy().astype("datetime64[D]")
            arrays.append(pa.array(arr, type=pa.date32(), mask=~present))
        elif col.type in ("decimal", "integer"):
            nums = np.zeros(len(values))
            nums[present] = values[present].astype(float).to_numpy()
            typ = pa.float64() if col.type == "decimal" else pa.int64()
            arrays.append(pa.array(nums if col.type == "decimal" else nums.astype(np.int64), type=typ, mask=~present))
        else:
            arrays.append(pa.array(values.tolist(), type=pa.string()))
    table = pa.Table.from_arrays(arrays, names=contract.column_names)
    pq.write_table(table, path, compression="snappy")


CHUNK_ROWS = 200_000  # CSV and JSON lines files are formatted and written this many rows at a time


def write_file(landing: Path, f: LandingFile, contract: Contract, chunk_rows: int = CHUNK_ROWS) -> Path:
    """Write one landing file; its text is built now (a chunk of rows at a time for CSV and JSON lines) and
    dropped once written, so memory holds one chunk's text whatever the file's size."""
    path = landing / f.rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if f.fmt in ("csv", "csv-gbk", "jsonl") and len(f):
        encoding = "gbk" if f.fmt == "csv-gbk" else "utf-8"
        with path.open("wb") as out:
            for start in range(0, len(f), chunk_rows):
                part = f.ready(start, start + chunk_rows)
                text = _jsonl_text(part, contract) if f.fmt == "jsonl" else _csv_text(part, header=start == 0)
                out.write(text.encode(encoding))
                del part, text
        return path
    f = f.ready()
    if f.fmt == "csv":
        write_csv(path, f)
    elif f.fmt == "csv-gbk":
        write_csv(path, f, encoding="gbk")
    elif f.fmt == "xlsx":
        write_xlsx(path, f, contract)
    elif f.fmt == "jsonl":
        write_jsonl(path, f, contract)
    elif f.fmt == "parquet":
        write_parquet(path, f, contract)
    else:
        raise ValueError(f"unknown format {f.fmt}")
    return path
