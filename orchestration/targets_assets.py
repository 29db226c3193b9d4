"""Land the raw tables on the dbt target: the step between ingest and dbt when dbt does not build in DuckDB.

Ingest always writes the DuckDB warehouse (raw_<source>.<entity>, config.*, ingest.file_loads and
quarantine): it is the one place that checks contracts and keeps lineage. When SCORELINK_DBT_TARGET is
postgres or spark, one multi-asset copies every raw and config table to where the target reads its dbt
sources (COPY into PostgreSQL; Parquet tables for Spark; ingest.targets.land_raw_tables does the copying),
after every ingest asset and before the dbt models. Its asset keys are <target>/raw/<source>/<entity>; the
dbt translator gives the dbt sources those keys on that target, so the graph reads
raw/erp/sales_orders -> postgres/raw/erp/sales_orders -> staging/stg_erp__sales_orders.

The step is tagged as a warehouse write and runs in the job's in-process executor, one step at a time like
every other writer. The quality suites of raw tables attach to the landed assets (they validate the copy
on the target, which is what dbt reads).

No `from __future__ import annotations`: Dagster reads the op's annotations at definition time.
"""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings
from orchestration.warehouse import WarehouseResource

_KINDS = {"postgres": {"postgres"}, "spark": {"spark", "parquet"}}


def on_target_key(key: Sequence[str], target: str) -> dg.AssetKey:
    """The asset that holds a raw table where the dbt target reads it: raw/... itself on DuckDB, else
    <target>/raw/... (the landed copy). Keys of models are the same on every target."""
    parts = list(key)
    if target == "duckdb" or not parts or parts[0] != "raw":
        return dg.AssetKey(parts)
    return dg.AssetKey([target, *parts])


def raw_tables() -> list[tuple[str, str]]:
    """(schema, table) of every table the dbt sources read (raw_<source>.<entity>, config.<table>)."""
    from ingest.targets import source_tables

    return sorted(source_tables(DBT_PROJECT_DIR))


def _raw_key(schema: str, table: str) -> dg.AssetKey:
    source = schema[len("raw_"):] if schema.startswith("raw_") else schema
    return dg.AssetKey(["raw", source, table])


def build_target_landing_asset(settings: Settings) -> dg.AssetsDefinition | None:
    """The landing multi-asset for settings.dbt_target; None on DuckDB (dbt reads the raw tables in place)."""
    target = settings.dbt_target
    if target == "duckdb":
        return None
    tables = raw_tables()
    specs = [
        dg.AssetSpec(
            key=on_target_key(_raw_key(schema, table).path, target),
            deps=[_raw_key(schema, table)],
            group_name=f"{target}_raw",
            kinds=_KINDS[target],
            description=f"{schema}.{table} copied from the DuckDB warehouse to the dbt target ({target}), "
            "where the dbt source reads it.",
            metadata={"dagster/table_name": f"{schema}.{table}"},
        )
        for schema, table in tables
    ]

    @dg.multi_asset(
        name=f"land_raw_tables_on_{target}",
        specs=specs,
        op_tags={"scorelink/writes": "warehouse"},
        description=f"Copy every raw and config table from the DuckDB warehouse to {target}, where dbt reads "
        "its sources; the copy of a table replaces the previous one in one transaction.",
    )
    def land_raw_tables_on_target(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        counts = land(settings, Path(warehouse.path), tables)
        context.log.info(f"landed {len(counts)} tables ({sum(counts.values()):,} rows) on {target}")
        for schema, table in tables:
            yield dg.MaterializeResult(
                asset_key=on_target_key(_raw_key(schema, table).path, target),
                metadata={"dagster/row_count": counts.get((schema, table), 0)},
            )

    return land_raw_tables_on_target


def land(settings: Settings, warehouse_path: Path, tables: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Copy the tables to the target with ingest.targets.land_raw_tables; rows per (schema, table).

    Every table must be there: a source table missing from the DuckDB warehouse fails the step (dbt would
    otherwise build on whatever an earlier run left on the target).
    """
    from ingest.targets import land_raw_tables

    target = settings.dbt_target
    report = land_raw_tables(
        warehouse_path,
        target,
        postgres_dsn=settings.postgres.dsn() if target == "postgres" else None,
        spark_location=settings.spark_landed_dir if target == "spark" else None,
        tables=tables,
        project_dir=DBT_PROJECT_DIR,
        dbt_executable=DBT_EXECUTABLE,
    )
    if report.missing:
        names = ", ".join(f"{s}.{t}" for s, t in report.missing)
        raise dg.Failure(description=f"cannot land on {target}: not in the DuckDB warehouse {warehouse_path}: {names}")
    return {(t.schema, t.table): t.rows for t in report.landed}
