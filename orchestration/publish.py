"""Publish scores: immutable, versioned snapshots per period, plus serving copies for readers.

A period's snapshot holds every published table for that month (PUBLISHED_TABLES): the role scores of
every active employee from the KPI engine, and the sales reps' revenue against quota. Only closed periods
are published: months whose last day the data has reached. A snapshot is keyed by (period, version).
Publishing the same inputs again is a no-op (the fingerprint of the period's rows is unchanged); changed
inputs produce the next version, with the number of employees whose rows changed against the previous
one. Nothing published is updated or deleted.

Serving copies, so that a running pipeline never blocks a reader: one Parquet file per published table
and a read-only DuckDB file, each written to a temporary name and moved into place atomically.

The marts are read where dbt built them: in the DuckDB warehouse itself, or, with another dbt target, through
`read_mart` (orchestration.target_io: portable SQL, Arrow back). The published store is DuckDB + Parquet on
every target, and the published types are cast here in DuckDB, so every engine publishes the same values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

DATA_WINDOW = "intermediate.int_data_window"
# Runs a portable SELECT on the dbt target and returns its rows (orchestration.target_io.read_mart).
MartReader = Callable[[str, Sequence[Any]], pa.Table]


@dataclass(frozen=True)
class PublishedTable:
    name: str  # published.<name>, and published.<name>_current for the latest version of each period
    source: str  # the mart it snapshots
    month_filter: str  # portable SQL condition selecting one month; binds the month's first day and the next
    columns: tuple[str, ...]  # mart columns copied (employee_id first), with their published types
    types: tuple[str, ...]


ROLE_SCORES = PublishedTable(
    name="role_scores",
    source="marts.fct_role_scores",
    month_filter="period_type = 'month' and period_start >= ? and period_start < ?",
    columns=("employee_id", "department_id", "role", "region", "tenure_band", "scorecard", "scorecard_version",
             "score_status", "role_days", "scored_days", "kpis_scored", "kpis_total", "own_kpi_score",
             "financial_score", "customer_score", "process_score", "learning_score", "mentee_score",
             "team_bonus_points", "final_score"),
    types=("varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "integer",
           "integer", "integer", "integer", "double", "double", "double", "double", "double", "double", "double",
           "double"),
)
SALES_REP_SCORES = PublishedTable(
    name="sales_rep_scores",
    source="marts.fct_sales_rep_monthly_scores",
    month_filter="month >= ? and month < ?",
    columns=("employee_id", "days_as_sales_rep", "order_count", "line_count", "revenue_base", "quota_base",
             "quota_attainment", "score"),
    types=("varchar", "integer", "integer", "integer", "decimal(18, 2)", "decimal(18, 2)", "double", "double"),
)
PUBLISHED_TABLES = (ROLE_SCORES, SALES_REP_SCORES)

VERSIONS_DDL = """
create schema if not exists published;
create table if not exists published.score_versions (
  period varchar not null,
  version integer not null,
  scorecard_version varchar not null,
  input_fingerprint varchar not null,
  row_count integer not null,
  changed_rows integer not null,
  reason varchar not null,
  run_id varchar not null,
  published_at timestamp not null,
  primary key (period, version)
);
"""


def _table_ddl(t: PublishedTable) -> str:
    cols = ",\n  ".join(f"{c} {ty}" for c, ty in zip(t.columns, t.types, strict=True))
    return f"""
create table if not exists published.{t.name} (
  period varchar not null,
  version integer not null,
  {cols},
  primary key (period, version, employee_id)
);
create or replace view published.{t.name}_current as
select s.*
from published.{t.name} s
join (select period, max(version) as version from published.score_versions group by period) v
  using (period, version);
"""


@dataclass
class PeriodPublication:
    period: str
    version: int
    rows: int
    changed_rows: int
    published: bool  # False: inputs unchanged, nothing written


def _month_bounds(period: str) -> list[dt.date]:
    """'YYYY-MM' -> [its first day, the next month's first day]."""
    start = dt.date.fromisoformat(f"{period}-01")
    return [start, (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)]


def _period_rows(con: duckdb.DuckDBPyConnection, t: PublishedTable, period: str,
                 read_mart: MartReader | None = None) -> list[tuple]:
    casts = ", ".join(f"cast({c} as {ty})" for c, ty in zip(t.columns, t.types, strict=True))
    if read_mart is None:  # the marts are in this DuckDB warehouse
        return con.execute(f"select {casts} from {t.source} where {t.month_filter} order by employee_id",
                           _month_bounds(period)).fetchall()
    rows = read_mart(f"select {', '.join(t.columns)} from {t.source} where {t.month_filter}", _month_bounds(period))
    con.register("_mart_period_rows", rows)
    try:  # the same casts and order as above, in DuckDB, whatever engine built the mart
        return con.execute(f"select {casts} from _mart_period_rows order by employee_id").fetchall()
    finally:
        con.unregister("_mart_period_rows")


def _fingerprint(rows_by_table: dict[str, list[tuple]]) -> str:
    h = hashlib.sha256()
    for name, rows in rows_by_table.items():
        h.update(f"[{name}]".encode())
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def _changed_employees(con: duckdb.DuckDBPyConnection, period: str, new: int, old: int) -> int:
    """Employees with any published row that differs between two versions of a period."""
    parts = []
    for t in PUBLISHED_TABLES:
        cols = ", ".join(t.columns)
        for a, b in ((new, old), (old, new)):
            parts.append(f"(select employee_id from (select {cols} from published.{t.name} "
                         f"where period = '{period}' and version = {a} except select {cols} from published.{t.name} "
                         f"where period = '{period}' and version = {b}))")
    return con.execute(f"select count(distinct employee_id) from ({' union all '.join(parts)})").fetchone()[0]


def closed_periods(con: duckdb.DuckDBPyConnection, read_mart: MartReader | None = None) -> list[str]:
    """Months with scores whose last day the data has reached (a month the data only starts stays open)."""
    read = read_mart or (lambda sql, params: con.execute(sql, list(params)).fetch_arrow_table())
    last = _as_date(read(f"select max(last_data_date) as last_data_date from {DATA_WINDOW}", []).column(0)[0].as_py())
    starts = read(f"select distinct period_start from {ROLE_SCORES.source} where period_type = 'month'", [])
    if last is None:
        return []
    months = {_as_date(s) for s in starts.column(0).to_pylist() if s is not None}
    return sorted(m.strftime("%Y-%m") for m in months if _month_bounds(m.strftime("%Y-%m"))[1] <= last
                  + dt.timedelta(days=1))


def _as_date(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def publish_scores(con: duckdb.DuckDBPyConnection, run_id: str,
                   read_mart: MartReader | None = None) -> list[PeriodPublication]:
    """Publish every closed period into the DuckDB warehouse's published schema.

    read_mart: reads the marts on the dbt target (None: they are in this DuckDB warehouse).
    """
    con.execute("begin transaction")
    try:
        con.execute(VERSIONS_DDL + "".join(_table_ddl(t) for t in PUBLISHED_TABLES))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        results = []
        for period in closed_periods(con, read_mart):
            rows = {t.name: _period_rows(con, t, period, read_mart) for t in PUBLISHED_TABLES}
            fingerprint = _fingerprint(rows)
            last = con.execute(
                "select version, input_fingerprint from published.score_versions where period = ? "
                "order by version desc limit 1", [period]).fetchone()
            row_count = len(rows[ROLE_SCORES.name])
            if last and last[1] == fingerprint:
                results.append(PeriodPublication(period, last[0], row_count, 0, published=False))
                continue
            version = (last[0] + 1) if last else 1
            for t in PUBLISHED_TABLES:
                if rows[t.name]:
                    marks = ", ".join("?" * (len(t.columns) + 2))
                    con.executemany(f"insert into published.{t.name} (period, version, {', '.join(t.columns)}) "
                                    f"values ({marks})", [[period, version, *r] for r in rows[t.name]])
            changed = _changed_employees(con, period, version, last[0]) if last else 0
            scorecards = sorted({r[ROLE_SCORES.columns.index("scorecard_version")] or "" for r in rows[ROLE_SCORES.name]}
                                - {""})
            reason = "first publication" if not last else "restatement: inputs changed"
            con.execute(
                "insert into published.score_versions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [period, version, ", ".join(scorecards) or "none", fingerprint, row_count, changed, reason, run_id,
                 now],
            )
            results.append(PeriodPublication(period, version, row_count, changed, published=True))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return results


def published_relations() -> list[str]:
    return ["score_versions", *[n for t in PUBLISHED_TABLES for n in (t.name, f"{t.name}_current")]]


def write_serving_copies(con: duckdb.DuckDBPyConnection, published_dir: Path) -> dict[str, Path]:
    """Parquet per published table and a read-only serving DuckDB file, each replaced atomically."""
    parquet_dir = published_dir / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in published_relations():
        final = parquet_dir / f"{table}.parquet"
        tmp = parquet_dir / f".{table}.parquet.tmp"
        order = "period, version" + (", employee_id" if table != "score_versions" else "")
        con.execute(f"copy (select * from published.{table} order by {order}) to '{tmp}' (format parquet)")
        os.replace(tmp, final)
        written[table] = final

    serving = published_dir / "serving.duckdb"
    tmp_db = published_dir / ".serving.duckdb.tmp"
    tmp_db.unlink(missing_ok=True)
    out = duckdb.connect(str(tmp_db))
    try:
        out.execute("create schema published")
        for table, path in written.items():
            out.execute(f"create table published.{table} as select * from read_parquet('{path}')")
    finally:
        out.close()
    os.replace(tmp_db, serving)
    written["serving_duckdb"] = serving
    return written
