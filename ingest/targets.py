"""Land the tables the dbt sources read from the DuckDB warehouse into the dbt target's engine.

Ingest always writes into the embedded DuckDB warehouse first (landing contracts, quarantine, lineage). When
the dbt target is another engine, the tables the dbt sources read (the raw_<source>.* tables, and the
config.* tables the scorecard step writes) are copied there under the same schema and table names, so
`source('erp', 'fx_rates')` resolves on every target:

- duckdb:   nothing to copy (the sources are already there).
- postgres: one transaction per table: create the schema, create or truncate the table (types mapped),
            COPY the rows in (psycopg2 copy_expert, CSV). A reader never sees a half-written table.
- spark:    every table is written as a Parquet file by DuckDB (COPY ... TO parquet) under spark_location
            and registered in the Spark metastore (CREATE TABLE ... USING parquet LOCATION ...) by dbt's own
            Spark connection (`dbt run-operation register_parquet_tables`), so it lands in exactly the
            catalog the dbt target builds in, whether that is a local session or a cluster.

Which tables: every table of every source declared in dbt_project/models/**/_*sources*.yml (source_tables()).
A source table absent from the warehouse is skipped and reported (the config tables only exist once a
scorecard is written; the staging macro config_source then reads an empty relation).

Entry point: land_raw_tables(duckdb_path, target, ...) -> LandingReport.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

# The dbt project and executable, when the caller passes none (orchestration passes its settings' own):
# the repository's dbt_project folder and the dbt installed next to this Python. ingest does not import
# orchestration.
DEFAULT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DEFAULT_DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

TARGETS = ("duckdb", "postgres", "spark")

_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")

# DuckDB column type -> (PostgreSQL type, Spark type). DECIMAL(p,s) keeps its precision and scale.
_TYPE_MAP: dict[str, tuple[str, str]] = {
    "VARCHAR": ("text", "string"),
    "BOOLEAN": ("boolean", "boolean"),
    "TINYINT": ("smallint", "tinyint"),
    "SMALLINT": ("smallint", "smallint"),
    "INTEGER": ("integer", "int"),
    "BIGINT": ("bigint", "bigint"),
    "HUGEINT": ("numeric(38,0)", "decimal(38,0)"),
    "DOUBLE": ("double precision", "double"),
    "FLOAT": ("real", "float"),
    "DATE": ("date", "date"),
    "TIMESTAMP": ("timestamp", "timestamp"),
}


class LandingError(RuntimeError):
    """A table could not be landed in the target; the message names the table."""


@dataclass(frozen=True)
class LandedTable:
    schema: str
    table: str
    rows: int
    location: str | None = None  # Spark: the Parquet directory registered as the table


@dataclass
class LandingReport:
    target: str
    landed: list[LandedTable] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # declared as a dbt source, absent in DuckDB

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.landed)


def source_tables(project_dir: Path = DEFAULT_PROJECT_DIR) -> list[tuple[str, str]]:
    """(schema, table) of every table of every dbt source, in file order, without duplicates."""
    found: list[tuple[str, str]] = []
    for path in sorted((project_dir / "models").rglob("_*sources*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources") or []:
            schema = source.get("schema") or source["name"]
            for table in source.get("tables") or []:
                key = (schema, table.get("identifier") or table["name"])
                if key not in found:
                    found.append(key)
    return found


def map_type(duckdb_type: str, target: str) -> str:
    """The target's column type for a DuckDB column type (raises on a type the sources do not use)."""
    index = {"postgres": 0, "spark": 1}[target]
    upper = duckdb_type.upper()
    match = _DECIMAL.match(upper)
    if match:
        precision, scale = match.groups()
        return f"numeric({precision},{scale})" if target == "postgres" else f"decimal({precision},{scale})"
    if upper not in _TYPE_MAP:
        raise LandingError(f"no {target} type for DuckDB type {duckdb_type}")
    return _TYPE_MAP[upper][index]


def land_raw_tables(
    duckdb_path: Path,
    target: str,
    *,
    postgres_dsn: str | None = None,
    spark_location: Path | None = None,
    dbt_target: str | None = None,
    env: Mapping[str, str] | None = None,
    tables: Iterable[tuple[str, str]] | None = None,
    project_dir: Path = DEFAULT_PROJECT_DIR,
    dbt_executable: str = DEFAULT_DBT_EXECUTABLE,
) -> LandingReport:
    """Copy the dbt source tables from the DuckDB warehouse at DUCKDB_PATH into TARGET's engine.

    target:         "duckdb" (no copy, counts only), "postgres" or "spark".
    postgres_dsn:   libpq DSN; default: built from the SCORELINK_PG_* variables the dbt profile reads.
    spark_location: folder for the Parquet files (default: $SCORELINK_SPARK_HOME/landed); on a cluster it must
                    be storage the cluster reads, mounted here.
    dbt_target:     the profile target that registers the Spark tables (default: target).
    env:            extra environment for the dbt subprocess (e.g. SCORELINK_SPARK_HOME), over os.environ.
    tables:         (schema, table) pairs to land; default: source_tables(project_dir).
    project_dir:    the dbt project (its sources, its profiles.yml, the register_parquet_tables macro).
    dbt_executable: the dbt that registers the Spark tables.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    wanted = list(tables) if tables is not None else source_tables(project_dir)
    report = LandingReport(target=target)
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        columns = _duckdb_columns(con)
        present = [key for key in wanted if key in columns]
        report.missing = [key for key in wanted if key not in columns]
        if target == "duckdb":
            for schema, table in present:
                rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
                report.landed.append(LandedTable(schema, table, rows))
        elif target == "postgres":
            report.landed = _land_postgres(con, present, columns, postgres_dsn or postgres_dsn_from_env(env))
        else:
            merged_env = {**os.environ, **(env or {})}
            location = spark_location or Path(merged_env.get("SCORELINK_SPARK_HOME", "/tmp/scorelink-spark")) / "landed"
            report.landed = _write_parquet(con, present, Path(location))
    finally:
        con.close()
    if target == "spark":
        _register_spark_tables(report.landed, columns, dbt_target or target, env, project_dir, dbt_executable)
    return report


def postgres_dsn_from_env(env: Mapping[str, str] | None = None) -> str:
    """The libpq DSN of the dbt postgres target (same variables, same defaults as dbt_project/profiles.yml)."""
    merged = {**os.environ, **(env or {})}
    parts = {
        "host": merged.get("SCORELINK_PG_HOST", "127.0.0.1"),
        "port": merged.get("SCORELINK_PG_PORT", "5432"),
        "user": merged.get("SCORELINK_PG_USER", "scorelink"),
        "dbname": merged.get("SCORELINK_PG_DBNAME", "scorelink"),
        "sslmode": merged.get("SCORELINK_PG_SSLMODE", "prefer"),
    }
    if merged.get("SCORELINK_PG_PASSWORD"):
        parts["password"] = merged["SCORELINK_PG_PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items())


# -- helpers ------------------------------------------------------------------------------------------------


def _duckdb_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, str]]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "order by table_schema, table_name, ordinal_position"
    ).fetchall()
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        columns.setdefault((schema, table), []).append((column, data_type))
    return columns


def _land_postgres(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    columns: dict[tuple[str, str], list[tuple[str, str]]],
    dsn: str,
) -> list[LandedTable]:
    import psycopg2
    from psycopg2 import sql

    landed: list[LandedTable] = []
    pg = psycopg2.connect(dsn)
    try:
        with tempfile.TemporaryDirectory(prefix="scorelink-pg-") as tmp:
            for schema, table in tables:
                cols = columns[(schema, table)]
                csv_path = Path(tmp) / f"{schema}.{table}.csv"
                # FORCE_QUOTE: every non-null value is quoted, so an empty string stays '' and null stays null.
                con.execute(
                    f"copy (select * from \"{schema}\".\"{table}\") to '{csv_path}' "
                    "(format csv, header false, force_quote *, dateformat '%Y-%m-%d', "
                    "timestampformat '%Y-%m-%d %H:%M:%S.%f')"
                )
                wanted = [(name, map_type(data_type, "postgres")) for name, data_type in cols]
                qualified = sql.Identifier(schema, table)
                try:
                    with pg, pg.cursor() as cur:  # one transaction per table
                        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
                        cur.execute(
                            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                            "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
                            "where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped "
                            "order by a.attnum",
                            (schema, table),
                        )
                        existing = cur.fetchall()
                        if existing and [(n, _pg_normal(t)) for n, t in existing] == [(n, _pg_normal(t)) for n, t in wanted]:
                            # Same shape: keep the table (and the views built on it), replace its rows.
                            cur.execute(sql.SQL("truncate table {}").format(qualified))
                        else:
                            # New or changed shape: views on the old table go too; the next dbt build recreates them.
                            cur.execute(sql.SQL("drop table if exists {} cascade").format(qualified))
                            cur.execute(
                                sql.SQL("create table {} ({})").format(
                                    qualified,
                                    sql.SQL(", ").join(
                                        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type))
                                        for name, pg_type in wanted
                                    ),
                                )
                            )
                        copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
                            qualified, sql.SQL(", ").join(sql.Identifier(name) for name, _ in cols)
                        )
                        with csv_path.open("r", encoding="utf-8") as handle:
                            cur.copy_expert(copy.as_string(pg), handle)
                        rows = cur.rowcount
                except psycopg2.Error as exc:
                    raise LandingError(f"landing {schema}.{table} into PostgreSQL failed: {exc}".strip()) from exc
                finally:
                    csv_path.unlink(missing_ok=True)
                landed.append(LandedTable(schema, table, rows))
    finally:
        pg.close()
    return landed


def _pg_normal(type_name: str) -> str:
    return {"text": "text", "timestamp without time zone": "timestamp"}.get(type_name, type_name).replace(" ", "")


def _write_parquet(
    con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], location: Path
) -> list[LandedTable]:
    landed: list[LandedTable] = []
    for schema, table in tables:
        directory = (location / schema / table).resolve()
        staging = directory.with_name(directory.name + ".landing")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            con.execute(
                f"copy (select * from \"{schema}\".\"{table}\") to '{staging / 'part-0.parquet'}' "
                "(format parquet, compression zstd)"
            )
        except duckdb.Error as exc:
            raise LandingError(f"writing {schema}.{table} as Parquet failed: {exc}") from exc
        shutil.rmtree(directory, ignore_errors=True)
        staging.rename(directory)
        rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        landed.append(LandedTable(schema, table, rows, location=str(directory)))
    return landed


def _register_spark_tables(
    landed: list[LandedTable],
    columns: dict[tuple[str, str], list[tuple[str, str]]],
    dbt_target: str,
    env: Mapping[str, str] | None,
    project_dir: Path,
    dbt_executable: str,
) -> None:
    """CREATE TABLE ... USING parquet LOCATION ... for every landed table, through dbt's Spark connection."""
    if not landed:
        return
    specs = [
        {
            "schema": t.schema,
            "table": t.table,
            "location": t.location,
            "columns": [[name, map_type(data_type, "spark")] for name, data_type in columns[(t.schema, t.table)]],
        }
        for t in landed
    ]
    with tempfile.TemporaryDirectory(prefix="scorelink-dbt-") as work:
        cmd = [
            dbt_executable, "run-operation", "register_parquet_tables",
            "--args", json.dumps({"tables": specs}),
            "--target", dbt_target,
            "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--target-path", str(Path(work) / "target"), "--log-path", str(Path(work) / "logs"),
            "--no-use-colors",
        ]  # fmt: skip
        result = subprocess.run(
            cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=1800, check=False
        )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise LandingError(f"registering the Parquet tables in Spark (dbt target {dbt_target}) failed:\n{tail}")
