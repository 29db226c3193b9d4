"""Check rows of text against a contract, column by column (vectorized), and type the good ones.

A row passes when every column parses as its contract type and meets its rules (required, allowed
values, pattern, min/max). A failing row is rejected with the first failing column and a reason that
lists every problem of the row, each with the column and the offending value.

Timestamps: a value with a UTC offset ("2024-03-01T09:00:00+08:00", "...Z") is converted to UTC; a value
without one is read in the company's time zone (landing.yml) and then converted. The warehouse stores
naive UTC timestamps.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest.contract import Column, Contract
from ingest.readers import RawFile, Reject

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


@dataclass
class CheckedRows:
    good: pd.DataFrame  # typed values, contract columns + _source_row + _row_hash
    rejects: list[Reject]


def _parse(col: Column, text: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series, str]:
    """Parse non-null text as the column's type. Returns (values, bad mask, what was expected)."""
    present = text.notna()
    if col.type == "string":
        return text, pd.Series(False, index=text.index), ""
    if col.type in ("integer", "decimal"):
        values = pd.to_numeric(text, errors="coerce")
        bad = present & values.isna()
        if col.type == "integer":
            bad |= present & values.notna() & (values % 1 != 0)
            return values, bad, "an integer"
        return values, bad, "a number"
    if col.type == "date":
        values = pd.to_datetime(text, format=col.format or "ISO8601", errors="coerce")
        bad = present & (values.isna() | (values.notna() & (values != values.dt.normalize())))
        return values.dt.normalize(), bad, "a date (YYYY-MM-DD)" if not col.format else f"a date ({col.format})"
    if col.type == "timestamp":
        values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        has_offset = present & text.fillna("").str.strip().str.contains(_OFFSET)
        if has_offset.any():
            aware = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
            values[has_offset] = aware.dt.tz_localize(None).astype("datetime64[ns]")
        naive_mask = present & ~has_offset
        if naive_mask.any():
            naive = pd.to_datetime(text[naive_mask], format=col.format or "ISO8601", errors="coerce")
            local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
            values[naive_mask] = local.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
        bad = present & values.isna()
        return values, bad, "a timestamp (ISO 8601)"
    if col.type == "boolean":
        lowered = text.str.strip().str.lower()
        values = pd.Series(
            np.where(lowered.isin(_TRUE), True, np.where(lowered.isin(_FALSE), False, None)),
            index=text.index,
            dtype=object,
        )
        bad = present & values.isna()
        return values, bad, "true or false"
    raise AssertionError(col.type)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DECIMAL_LIMIT = 10**14  # DECIMAL(18,4): 14 digits before the point


def _out_of_range(col: Column, text: pd.Series, values: pd.Series) -> pd.Series:
    """Parsed numbers the raw column cannot store.

    Integers are decided exactly on their text (BIGINT). Decimals reach DECIMAL(18,4) through a double, as on the
    DuckDB path, so a value whose double rounds to 10**14 or more does not fit.
    """
    if col.type == "decimal":
        return values.notna() & ~(values.abs() < _DECIMAL_LIMIT - 0.00005)
    out = pd.Series(False, index=text.index)
    near = values.notna() & ~(values.abs() < 1e18)
    for idx in near[near].index:
        try:
            exact = decimal.Decimal(str(text[idx]).strip())
        except decimal.InvalidOperation:
            out[idx] = True
            continue
        out[idx] = not exact.is_finite() or not (_INT64_MIN <= exact <= _INT64_MAX)
    return out


def _exact_integers(text: pd.Series, ok: pd.Series) -> pd.Series:
    """Integer values parsed exactly from their text (a float64 column would round ids past 2**53)."""
    out = pd.Series(None, index=text.index, dtype=object)
    out[ok] = [_to_int(t) for t in text[ok]]
    return out


def _to_int(t: str) -> int:
    try:
        return int(t)
    except ValueError:
        return int(decimal.Decimal(t.strip()))


def check_rows(raw: RawFile, contract: Contract, timezone: str) -> CheckedRows:
    df = raw.records
    n = len(df)
    problems: list[tuple[str, pd.Series, Callable[[str | None], str]]] = []
    typed: dict[str, pd.Series] = {}
    for col in contract.columns:
        text = df[col.name]
        missing = text.isna()
        if col.required:
            problems.append((col.name, missing, lambda v: "required value is missing"))
        values, bad_type, expected = _parse(col, text, timezone)
        problems.append((col.name, bad_type, lambda v, e=expected: f"'{v}' is not {e}"))
        ok = ~missing & ~bad_type
        if col.type in ("integer", "decimal"):
            # a value the raw table's type cannot hold (BIGINT, DECIMAL(18,4)) is a bad row, not a failed load
            out_of_range = ok & _out_of_range(col, text, values)
            ok &= ~out_of_range
            limit = "a 64-bit integer" if col.type == "integer" else "a number with at most 14 digits before the point"
            problems.append((col.name, out_of_range, lambda v, lim=limit: f"'{v}' does not fit {lim}"))
        if col.allowed_values is not None:
            outside = ok & ~text.isin(col.allowed_values)
            allowed = ", ".join(col.allowed_values)
            problems.append((col.name, outside, lambda v, a=allowed: f"'{v}' is not one of: {a}"))
        if col.pattern is not None:
            no_match = ok & ~text.fillna("").str.fullmatch(col.pattern)
            problems.append((col.name, no_match, lambda v, p=col.pattern: f"'{v}' does not match {p}"))
        if col.min is not None:
            below = ok & (values < col.min)
            problems.append((col.name, below, lambda v, m=col.min: f"'{v}' is below the minimum {m:g}"))
        if col.max is not None:
            above = ok & (values > col.max)
            problems.append((col.name, above, lambda v, m=col.max: f"'{v}' is above the maximum {m:g}"))
        typed[col.name] = _exact_integers(text, ok) if col.type == "integer" else values

    bad_any = np.zeros(n, dtype=bool)
    for _, mask, _ in problems:
        bad_any |= mask.to_numpy(dtype=bool)

    rejects: list[Reject] = []
    bad_positions = np.flatnonzero(bad_any)
    if len(bad_positions):
        masks = [(name, mask.to_numpy(dtype=bool), msg) for name, mask, msg in problems]
        for pos in bad_positions:
            record = df.iloc[pos]
            reasons, first_column = [], None
            for name, mask, msg in masks:
                if mask[pos]:
                    first_column = first_column or name
                    reasons.append(f"{name}: {msg(record[name])}")
            raw_record = json.dumps({k: record[k] for k in contract.column_names}, ensure_ascii=False)
            rejects.append(Reject(raw.row_numbers[pos], first_column, "; ".join(reasons), raw_record))

    keep = ~bad_any
    good = pd.DataFrame({
        name: series[keep].astype("Int64") if contract.column(name).type == "integer" else series[keep]
        for name, series in typed.items()
    })
    good["_source_row"] = np.asarray(raw.row_numbers, dtype=np.int64)[keep]
    good["_row_hash"] = _row_hashes(df[keep], contract)
    return CheckedRows(good.reset_index(drop=True), rejects)


def _row_hashes(text: pd.DataFrame, contract: Contract) -> list[str]:
    """md5 of the row's text values in contract order: equal rows have equal hashes in any file format."""
    if text.empty:
        return []
    columns = text[contract.column_names].fillna("\x00").astype(str)
    joined = columns.iloc[:, 0]
    for k in range(1, columns.shape[1]):  # column by column, not row by row: the same text, much faster
        joined = joined + "\x1f" + columns.iloc[:, k]
    return [hashlib.md5(s.encode("utf-8")).hexdigest() for s in joined]
