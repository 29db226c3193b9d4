"""The publication steps: the end of every pipeline run, and the monthly period close.

Every pipeline run ends with published/score_snapshots: it publishes version 1 of every closed month that
was never published (the data reached the month's last day and every blocking gate passed), never a new
version of a month already published. What closing each month again would do is recorded in
draft.period_status (unpublished, restatement pending, published). A restatement (late data, an approved
dispute or adjustment) is published only by the period close: `scorelink publish --period YYYY-MM` (a
person, with a reason) or the monthly, partitioned asset published/period_close (schedule
scorelink_period_close, STOPPED by default), which refuse a month the data has not closed and any month
while a blocking suite's latest run failed.

Dagster's blocking checks stop only the assets that depend directly on the checked asset (a check on a
staging view does not stop an asset two layers further down). So that a failed gate anywhere upstream (a
raw table's row reconciliation, a source, metric-input or publish suite) stops the publication, the
published asset depends directly on every asset that carries a blocking check.
"""

import os
from collections.abc import Iterable

import dagster as dg

from orchestration.period_close import POSTGRES_DSN_ENV
from orchestration.publish import (
    PUBLISHED_TABLES,
    PublishError,
    close_and_record_status,
    publish_first_versions,
    write_serving_copies,
)
from orchestration.settings import get_settings
from orchestration.target_io import mart_reader, mirror_marts
from orchestration.warehouse import WarehouseResource

# Every mart a published table snapshots (marts.<model> -> asset key ["marts", "<model>"]).
SCORE_MARTS = [dg.AssetKey(t.source.split(".")) for t in PUBLISHED_TABLES]


def build_published_scores_asset(gated_assets: Iterable[dg.AssetKey]) -> dg.AssetsDefinition:
    """The published scores asset, downstream of the score marts and of every asset with a blocking check."""
    gates = sorted(set(gated_assets) - set(SCORE_MARTS), key=lambda k: k.to_user_string())

    @dg.asset(
        key=["published", "score_snapshots"],
        deps=[*SCORE_MARTS, *gates],
        group_name="published",
        kinds={"duckdb", "parquet"},
        tags={"scorelink/writes": "warehouse"},
        description="After every quality gate passed: publishes version 1 of each closed month never published "
        "(never a restatement: that is the period close's, published/period_close or `scorelink publish --period`) "
        "and records in draft.period_status what closing each month again would do. Immutable, versioned monthly "
        "snapshots of the closed periods: role scores of every active "
        "employee (published.role_scores), sales reps' revenue against quota (published.sales_rep_scores), "
        "quarterly incentives, KPI scores, metric values and the inventory attribution (one published table per "
        "mart, see orchestration/publish.py), versions in published.score_versions, plus Parquet and read-only "
        "DuckDB serving copies under HOME/published. Runs only when every blocking check upstream passed.",
    )
    def published_score_snapshots(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            reader = mart_reader(get_settings())
            if reader is not None:  # dbt built the marts on PostgreSQL or Spark: copy them here first
                mirrored = mirror_marts(con, reader)
                context.log.info(f"copied {len(mirrored)} tables from the {get_settings().dbt_target} target")
            states, published = publish_first_versions(con, context.run.run_id, published_by="pipeline")
            files = write_serving_copies(con, get_settings().published_dir)
            _serve_postgres_if_configured(con, context)
            total = con.execute("select count(*) from published.role_scores").fetchone()[0]
        count = {s: sum(1 for r in states if r["state"] == s) for s in ("unpublished", "restatement pending",
                                                                          "published")}
        context.log.info(f"published version 1 of {len(published)} newly closed month(s); closed months now: {count}")
        return dg.MaterializeResult(
            metadata={
                "closed_periods": len(states),
                "first_versions_published": len(published),
                "restatements_pending": count["restatement pending"],
                "published_periods_unchanged": count["published"],
                "dagster/row_count": total,
                "serving_duckdb": dg.MetadataValue.path(str(files["serving_duckdb"])),
                "parquet_dir": dg.MetadataValue.path(str(files["role_scores"].parent)),
            }
        )

    return published_score_snapshots


def _serve_postgres_if_configured(con, context: dg.AssetExecutionContext) -> None:
    """Refresh the PostgreSQL serving schema when SCORELINK_SERVING_POSTGRES_DSN is set."""
    dsn = os.environ.get(POSTGRES_DSN_ENV)
    if dsn:
        from orchestration.serving_postgres import serve_postgres

        counts = serve_postgres(con, dsn)
        context.log.info("PostgreSQL serving schema " + ("unchanged: nothing copied" if counts.skipped
                                                         else f"refreshed: {sum(counts.values())} rows"))


# One partition per month; the latest partition is the last complete month.
CLOSE_PARTITIONS = dg.MonthlyPartitionsDefinition(start_date="2015-01-01")


@dg.asset(
    key=["published", "period_close"],
    deps=[dg.AssetKey(["published", "score_snapshots"])],
    partitions_def=CLOSE_PARTITIONS,
    group_name="published",
    kinds={"duckdb", "parquet"},
    tags={"scorelink/writes": "warehouse"},
    description="The period close of one month: an immutable version of every published table (published.*, "
    "published.score_versions with the gate results of the latest run), or nothing when the inputs and approved "
    "adjustments are unchanged; a restatement records per-employee deltas (published.score_deltas). Fails when the "
    "data has not reached the month's last day or a blocking suite failed in the latest run.",
)
def published_period_close(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    period = context.partition_key[:7]
    with warehouse.connect() as con:
        try:
            # the drafts (draft.period_status) then say the month is published, as after `scorelink publish`
            [result] = close_and_record_status(con, context.run.run_id, [period],
                                               published_by="schedule:scorelink_period_close")
        except PublishError as exc:
            raise dg.Failure(str(exc)) from exc
        files = write_serving_copies(con, get_settings().published_dir)
        _serve_postgres_if_configured(con, context)
    context.log.info(f"{period}: " + (f"published version {result.version}" if result.published
                                      else f"unchanged, version {result.version} stays current"))
    return dg.MaterializeResult(metadata={
        "period": period, "version": result.version, "published": result.published, "rows": result.rows,
        "changed_employees": result.changed_rows,
        "serving_duckdb": dg.MetadataValue.path(str(files["serving_duckdb"])),
    })
