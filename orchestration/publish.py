"""Publish scores: immutable, versioned snapshots per period, plus serving copies for readers.

Only closed periods are published: months whose last day the data has reached. A period's snapshot is
keyed by (period, version). Publishing the same inputs again is a no-op (the
input fingerprint is unchanged); changed inputs produce the next version with the number of changed rows
against the previous one. Nothing published is updated or deleted.

Serving copies, so that a running pipeline never blocks a reader: one Parquet file per published table
and a read-only DuckDB file, each written to a temporary name and moved into place atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

SCORECARD_VERSION = "sales_rep_revenue_attainment_v1"
SOURCE_MART = "marts.fct_sales_rep_monthly_scores"
DATA_WINDOW = "intermediate.int_data_window"
SCORE_COLUMNS = [
    "employee_id", "days_as_sales_rep", "order_count", "line_count", "revenue_base", "quota_base",
    "quota_attainment", "score",
]

PUBLISH_DDL = """
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
create table if not exists published.sales_rep_scores (
  period varchar not null,
  version integer not null,
  employee_id varchar not null,
  days_as_sales_rep integer not null,
  order_count integer not null,
  line_count integer not null,
  revenue_base decimal(18, 2) not null,
  quota_base decimal(18, 2),
  quota_attainment double,
  score double,
  primary key (period, version, employee_id)
);
create or replace view published.sales_rep_scores_current as
select s.*
from published.sales_rep_scores s
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


def _fingerprint(rows: list[tuple]) -> str:
    h = hashlib.sha256(SCORECARD_VERSION.encode())
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()


def publish_scores(con: duckdb.DuckDBPyConnection, run_id: str) -> list[PeriodPublication]:
    con.execute("begin transaction")
    try:
        con.execute(PUBLISH_DDL)
        # Only closed periods are published: the data must reach the last day of the month. A month the
        # data only starts (e.g. a few January receipts after a December close) stays open.
        periods = [r[0] for r in con.execute(
            f"""select distinct strftime(s.month, '%Y-%m')
                from {SOURCE_MART} s, {DATA_WINDOW} w
                where last_day(s.month) <= w.last_data_date
                order by 1""").fetchall()]
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        results = []
        cols = ", ".join(SCORE_COLUMNS)
        for period in periods:
            rows = con.execute(
                f"select {cols} from {SOURCE_MART} where strftime(month, '%Y-%m') = ? order by employee_id",
                [period],
            ).fetchall()
            fingerprint = _fingerprint(rows)
            last = con.execute(
                "select version, input_fingerprint from published.score_versions where period = ? "
                "order by version desc limit 1", [period]).fetchone()
            if last and last[1] == fingerprint:
                results.append(PeriodPublication(period, last[0], len(rows), 0, published=False))
                continue
            version = (last[0] + 1) if last else 1
            con.execute(
                f"insert into published.sales_rep_scores (period, version, {cols}) "
                f"select ?, ?, {cols} from {SOURCE_MART} where strftime(month, '%Y-%m') = ?",
                [period, version, period],
            )
            changed = 0
            if last:
                changed = con.execute(
                    f"""select count(distinct employee_id) from (
                          (select {cols} from published.sales_rep_scores where period = ? and version = ?
                           except select {cols} from published.sales_rep_scores where period = ? and version = ?)
                          union all
                          (select {cols} from published.sales_rep_scores where period = ? and version = ?
                           except select {cols} from published.sales_rep_scores where period = ? and version = ?)
                        )""",
                    [period, version, period, last[0], period, last[0], period, version],
                ).fetchone()[0]
            reason = "first publication" if not last else "restatement: inputs changed"
            con.execute(
                "insert into published.score_versions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [period, version, SCORECARD_VERSION, fingerprint, len(rows), changed, reason, run_id, now],
            )
            results.append(PeriodPublication(period, version, len(rows), changed, published=True))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return results


PUBLISHED_TABLES = ("score_versions", "sales_rep_scores", "sales_rep_scores_current")


def write_serving_copies(con: duckdb.DuckDBPyConnection, published_dir: Path) -> dict[str, Path]:
    """Parquet per published table and a read-only serving DuckDB file, each replaced atomically."""
    parquet_dir = published_dir / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in PUBLISHED_TABLES:
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
