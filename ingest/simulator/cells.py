"""Turn simulated values into the text a company export holds: ISO dates, naive ISO timestamps, fixed
decimals, true/false, and None for empty. Works on numpy arrays and on lists of Python values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.contract import Contract


def _obj(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    return arr


def dates(values) -> np.ndarray:
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        days, where = np.unique(values.astype("datetime64[D]"), return_inverse=True)  # few distinct days
        text = np.datetime_as_string(days).astype(object)[where.reshape(-1)]
        text[np.isnat(values)] = None
        return text
    return _obj([None if v is None else v.isoformat() for v in values])


def stamps(values) -> np.ndarray:
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s").astype(object)
        text[np.isnat(values)] = None
        return text
    return _obj([None if v is None else v.strftime("%Y-%m-%dT%H:%M:%S") for v in values])


def decimals(values, places: int = 2) -> np.ndarray:
    arr = (
        np.array([np.nan if v is None else v for v in values], dtype=float)
        if not isinstance(values, np.ndarray)
        else values.astype(float)
    )
    missing = np.isnan(arr)
    rounded = np.round(np.where(missing, 0.0, arr), places) + 0.0
    distinct, where = np.unique(rounded, return_inverse=True)  # format each distinct value once
    text = np.char.mod(f"%.{places}f", distinct).astype(object)[where.reshape(-1)]
    text[missing] = None
    return text


def integers(values) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":  # no None possible: numpy writes the digits
        return values.astype(str).astype(object)
    return _obj([None if v is None else str(int(v)) for v in values])


def booleans(values) -> np.ndarray:
    return _obj([None if v is None else ("true" if v else "false") for v in values])


def texts(values) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":  # numpy text: no None possible
        return values.astype(object)
    return _obj([None if v is None else str(v) for v in values])


def frame(contract: Contract, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A frame with exactly the contract's columns, in contract order."""
    wanted, given = contract.column_names, list(columns)
    if sorted(wanted) != sorted(given):
        raise ValueError(f"{contract.name}: columns {given} do not match the contract {wanted}")
    return pd.DataFrame({name: columns[name] for name in wanted})
