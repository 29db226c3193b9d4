"""Read the mart tables of a dbt build back from DuckDB, PostgreSQL or Spark and compare them across engines.

Used by tests/test_engines.py. Rows are compared as sets of tuples (sorted), column by column by name:
money (columns *_base) to the cent, every other number within 1e-9, everything else exactly; _built_at (when
the run that wrote the row started) is left out.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import duckdb

TOLERANCE = Decimal("1e-9")  # ratios, scores, quantities
MONEY_TOLERANCE = Decimal("0.005")  # money (columns *_base): the same to the cent


# When the dbt run that wrote a row started (fct_metric_events): differs between any two builds by design.
RUN_METADATA = {"_built_at"}


def tolerance(column: str) -> Decimal:
    return MONEY_TOLERANCE if column.endswith("_base") else TOLERANCE

Table = tuple[list[str], list[tuple]]


def read_duckdb(warehouse: Path, schema: str, table: str) -> Table:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result = con.execute(f'select * from "{schema}"."{table}"')
        names = [d[0] for d in result.description]
        return names, result.fetchall()
    finally:
        con.close()


def duckdb_tables(warehouse: Path, schema: str) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "order by 1",
            [schema],
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


def read_postgres(dsn: str, schema: str, table: str) -> Table:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(f'select * from "{schema}"."{table}"')
            names = [d[0] for d in cur.description]
            return names, cur.fetchall()
    finally:
        con.close()


def read_spark_table(spark_warehouse: Path, schema: str, table: str) -> Table:
    """A managed Spark table read straight from its Parquet files (no second JVM holding the metastore)."""
    folder = spark_warehouse / f"{schema}.db" / table
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    if not folder.is_dir():
        raise FileNotFoundError(f"Spark table {schema}.{table} not found at {folder}")
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        if not files:
            return [], []
        result = con.execute("select * from read_parquet(?)", [files])
        names = [d[0] for d in result.description]
        return names, result.fetchall()
    finally:
        con.close()


def _normal(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _sorted(rows: list[tuple], numeric: set[int]) -> list[tuple]:
    # Text, dates and flags first, numbers last and rounded: a difference below the tolerance cannot reorder rows.
    def key(row: tuple) -> tuple:
        text = tuple((0, "") if v is None else (1, str(v)) for i, v in enumerate(row) if i not in numeric)
        numbers = tuple((0, 0.0) if v is None else (1, float(round(v, 6)) + 0.0) for i, v in enumerate(row) if i in numeric)
        return text, numbers

    return sorted(rows, key=key)


def differences(expected: Table, actual: Table, label: str, limit: int = 10) -> list[str]:
    """Human-readable differences between two tables (empty when they hold the same rows and values)."""
    names_e, rows_e = expected
    names_a, rows_a = actual
    if rows_e and rows_a and sorted(names_e) != sorted(names_a):
        return [f"{label}: columns differ: {sorted(set(names_e) ^ set(names_a))}"]
    names = sorted(n for n in (names_e or names_a) if n not in RUN_METADATA)
    pick_e = [names_e.index(n) for n in names] if rows_e else []
    pick_a = [names_a.index(n) for n in names] if rows_a else []
    norm_e = [tuple(_normal(r[i]) for i in pick_e) for r in rows_e]
    norm_a = [tuple(_normal(r[i]) for i in pick_a) for r in rows_a]
    numeric = {i for rows in (norm_e, norm_a) for row in rows for i, v in enumerate(row) if isinstance(v, Decimal)}
    norm_e, norm_a = _sorted(norm_e, numeric), _sorted(norm_a, numeric)
    if len(norm_e) != len(norm_a):
        return [f"{label}: {len(norm_e)} rows expected, {len(norm_a)} found"]
    problems: list[str] = []
    for row_e, row_a in zip(norm_e, norm_a, strict=True):
        for name, v_e, v_a in zip(names, row_e, row_a, strict=True):
            if isinstance(v_e, Decimal) and isinstance(v_a, Decimal):
                same = abs(v_e - v_a) <= tolerance(name)
            else:
                same = v_e == v_a
            if not same:
                row = dict(zip(names, row_e, strict=True))
                problems.append(f"{label}.{name}: expected {v_e!r}, found {v_a!r} (row {row})")
                break
        if len(problems) >= limit:
            break
    return problems
