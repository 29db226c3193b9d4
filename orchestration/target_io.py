"""Read what dbt built on the configured target (DuckDB, PostgreSQL, or Spark's Parquet tables) as Arrow.

The DuckDB warehouse stays ScoreLink's own store (raw tables, gate results, published snapshots); the models
live wherever the dbt target builds them. Steps that read models (publish, the quality gates) ask here:

- duckdb: the warehouse file itself (the caller's open connection when it has one: DuckDB refuses a second
  connection with another configuration to the same file in one process);
- postgres: a psycopg2 connection from SCORELINK_PG_* (no DuckDB postgres extension: it cannot be
  downloaded here, and a plain client keeps the server's types);
- spark: the managed tables dbt-spark writes are Parquet folders under spark.sql.warehouse.dir
  (<schema>.db/<table>/), the landed raw tables Parquet folders under SCORELINK_SPARK_HOME/landed
  (<schema>/<table>/); DuckDB reads them through one view per table, with no JVM in this process.

SQL given to read_mart must be portable across the three (no strftime, last_day, ...); `?` marks parameters.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from orchestration.settings import Settings

if TYPE_CHECKING:
    from expectations.runner import ValidationTarget

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def read_mart(settings: Settings, sql: str, params: Sequence[Any] = (), *,
              con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """The result of a portable SELECT on the dbt target, as an Arrow table.

    con: an open connection to the DuckDB warehouse, used for the duckdb target (else one is opened read-only).
    """
    target = settings.dbt_target
    if target == "duckdb":
        if con is not None:
            return con.execute(sql, list(params)).fetch_arrow_table()
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as own:
            return own.execute(sql, list(params)).fetch_arrow_table()
    if target == "postgres":
        return _read_postgres(settings, sql, params)
    if target == "spark":
        with spark_tables_duckdb(settings) as views:
            return views.execute(sql, list(params)).fetch_arrow_table()
    raise ValueError(f"unknown dbt target {target!r}")


def _read_postgres(settings: Settings, sql: str, params: Sequence[Any]) -> pa.Table:
    import psycopg2

    # psycopg2 takes %s for parameters (and %% for a literal %).
    query = sql.replace("%", "%%").replace("?", "%s")
    connection = psycopg2.connect(settings.postgres.dsn())
    try:
        connection.set_session(readonly=True)
        with connection.cursor() as cur:
            cur.execute(query, list(params))
            names = [d.name for d in cur.description]
            rows = cur.fetchall()
    finally:
        connection.close()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    types = [_arrow_type(d) for d in cur.description]  # kept even when no row says what a column holds
    return pa.table({name: pa.array(list(values), type=ty)
                     for name, values, ty in zip(names, columns, types, strict=True)})


# PostgreSQL type oids -> Arrow types (numeric keeps its declared precision and scale)
_PG_OIDS = {16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 25: pa.string(), 1043: pa.string(),
            1042: pa.string(), 1082: pa.date32(), 1114: pa.timestamp("us"), 700: pa.float32(), 701: pa.float64()}


def _arrow_type(column: Any) -> pa.DataType | None:
    if column.type_code == 1700:  # numeric(p, s); unconstrained numeric: wide enough for any mart value
        if column.precision is not None and 0 < column.precision <= 38:
            return pa.decimal128(column.precision, column.scale or 0)
        return pa.decimal128(38, 12)
    return _PG_OIDS.get(column.type_code)


def mart_reader(settings: Settings) -> Callable[[str, Sequence[Any]], pa.Table] | None:
    """read_mart bound to the settings, for publish_scores; None on DuckDB (publish reads its own connection)."""
    if settings.dbt_target == "duckdb":
        return None
    return lambda sql, params=(): read_mart(settings, sql, params)


# ------------------------------------------------------------------------------------------------- Spark


def spark_parquet_tables(warehouse_dir: Path, landed_dir: Path | None = None) -> dict[tuple[str, str], Path]:
    """(schema, table) -> folder of every Parquet table Spark reads.

    warehouse_dir: spark.sql.warehouse.dir; a managed table of database `s` lives in <warehouse>/s.db/<table>/
    as part-*.parquet files. landed_dir: the raw tables landed for Spark, <landed>/<schema>/<table>/ (external
    tables over those folders). Folders without Parquet files (a view has none) are left out; a managed table
    wins over a landed folder of the same name.
    """
    found: dict[tuple[str, str], Path] = {}
    if landed_dir is not None and landed_dir.is_dir():
        for schema_dir in sorted(p for p in landed_dir.iterdir() if p.is_dir() and _IDENT.match(p.name)):
            for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir() and _IDENT.match(p.name)):
                if any(table_dir.rglob("*.parquet")):
                    found[(schema_dir.name, table_dir.name)] = table_dir
    if warehouse_dir.is_dir():
        for schema_dir in sorted(p for p in warehouse_dir.iterdir() if p.is_dir() and p.name.endswith(".db")):
            schema = schema_dir.name[: -len(".db")]
            for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir() and _IDENT.match(p.name)):
                if any(table_dir.rglob("*.parquet")):
                    found[(schema, table_dir.name)] = table_dir
    return found


def create_parquet_views(con: duckdb.DuckDBPyConnection, tables: dict[tuple[str, str], Path]) -> None:
    """One DuckDB view <schema>.<table> per Parquet table folder (hive-style partitions included)."""
    for schema in sorted({s for s, _ in tables}):
        con.execute(f'create schema if not exists "{schema}"')
    for (schema, table), folder in tables.items():
        pattern = str(folder / "**" / "*.parquet").replace("'", "''")
        con.execute(f'create or replace view "{schema}"."{table}" as '
                    f"select * from read_parquet('{pattern}', hive_partitioning = true)")


@contextmanager
def spark_tables_duckdb(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with a view per Parquet table of the Spark warehouse folder."""
    con = duckdb.connect()
    try:
        create_parquet_views(con, spark_parquet_tables(settings.spark_warehouse_dir, settings.spark_landed_dir))
        yield con
    finally:
        con.close()


def write_spark_views_file(settings: Settings, path: Path) -> Path:
    """A DuckDB file holding only views over the Spark warehouse's Parquet tables (what the gates validate)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        create_parquet_views(con, spark_parquet_tables(settings.spark_warehouse_dir, settings.spark_landed_dir))
    return path


# ----------------------------------------------------------------------------------------- quality gates


@contextmanager
def validation_target(settings: Settings, target: str | None = None) -> Iterator[ValidationTarget | None]:
    """Where the GX suites validate for a dbt target: None for DuckDB (the warehouse file, as always).

    postgres: the server of SCORELINK_PG_* through GX's postgres datasource (SQL runs on the server).
    spark: a temporary DuckDB file of views over the Spark warehouse's Parquet tables. GX's Spark datasource
    would need a second Spark session in this process (local mode keeps its metastore in an embedded Derby
    database that one JVM at a time may open, the one dbt-spark uses), and it runs the suites' custom SQL
    in Spark's dialect; DuckDB reads the same Parquet files in seconds with the SQL the suites already use.
    """
    from expectations.runner import ValidationTarget

    target = target or settings.dbt_target
    if target == "duckdb":
        yield None
    elif target == "postgres":
        pg = settings.postgres
        yield ValidationTarget(kind="postgres", label=f"PostgreSQL database {pg.dbname} at {pg.host}:{pg.port}",
                               sqlalchemy_url=pg.sqlalchemy_url)
    elif target == "spark":
        with tempfile.TemporaryDirectory(prefix="scorelink-spark-views-") as tmp:
            path = write_spark_views_file(settings, Path(tmp) / "spark_tables.duckdb")
            yield ValidationTarget(kind="duckdb_views", duckdb_path=path,
                                   label=f"the Parquet tables under {settings.spark_home} (a Spark view has no "
                                   "files to read: validate only tables)")
    else:
        raise ValueError(f"unknown dbt target {target!r}")


# ------------------------------------------------------------------------------------------------- publication

# What the publication and the tools around it (period close, exports, statements, alerts) read besides the marts.
MIRRORED_EXTRA = (("intermediate", "int_data_window"),)


def mirror_marts(con: duckdb.DuckDBPyConnection, read: Callable[[str, Sequence[Any]], pa.Table]) -> list[str]:
    """Copy every mart (and MIRRORED_EXTRA) that dbt built on the target into the DuckDB warehouse, in one transaction.

    The published store is DuckDB + Parquet on every target: publication, the period close, HR exports and
    statements then read the marts of the last pipeline run from the warehouse whatever engine built them.
    A failure leaves the previous copies as they were.
    """
    listed = read("select table_schema, table_name from information_schema.tables where table_schema = 'marts'", [])
    tables = sorted({(s, t) for s, t in zip(*(c.to_pylist() for c in listed.columns), strict=True)}
                    | set(MIRRORED_EXTRA))
    copies = {f"{s}.{t}": read(f"select * from {s}.{t}", []) for s, t in tables}
    con.execute("begin transaction")
    try:
        for name, rows in copies.items():
            con.execute(f"create schema if not exists {name.split('.')[0]}")
            con.register("_mirrored_rows", rows)
            con.execute(f"create or replace table {name} as select * from _mirrored_rows")
            con.unregister("_mirrored_rows")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return sorted(copies)
