"""The publication steps: drafts at the end of every pipeline run, and the monthly period close.

Every pipeline run ends with published/score_snapshots: it checks what closing each closed period would do
(draft.period_status: unpublished, restatement pending or published) and refreshes the serving copies, but it
publishes nothing. A version is written only by the period close: `scorelink publish --period YYYY-MM` or the
monthly, partitioned asset published/period_close (schedule scorelink_period_close, STOPPED by default), which
refuse a period the data has not closed and any period while a blocking suite's latest run failed.

Dagster's blocking checks stop only the assets that depend directly on the checked asset (a check on a
staging view does not stop an asset two layers further down). So that a failed gate anywhere upstream (a
raw table's row reconciliation, a source, metric-input or publish suite) stops the publication, the
published asset depends directly on every asset that carries a blocking check.
"""

from collections.abc import Iterable

import dagster as dg

from orchestration.publish import PUBLISHED_TABLES, PublishError, period_status, publish_scores, write_serving_copies
from orchestration.settings import get_settings
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
        description="Drafts of the period close, after every quality gate passed: draft.period_status says for "
        "each closed period whether closing it now would publish a first version, a restatement or nothing. The "
        "period close (published/period_close, `scorelink publish --period`) writes immutable, versioned monthly "
        "snapshots of the closed periods: role scores of every active "
        "employee (published.role_scores), sales reps' revenue against quota (published.sales_rep_scores), "
        "quarterly incentives, KPI scores, metric values and the inventory attribution (one published table per "
        "mart, see orchestration/publish.py), versions in published.score_versions, plus Parquet and read-only "
        "DuckDB serving copies under HOME/published. Runs only when every blocking check upstream passed.",
    )
    def published_score_snapshots(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            states = period_status(con, context.run.run_id)
            files = write_serving_copies(con, get_settings().published_dir)
            total = con.execute("select count(*) from published.role_scores").fetchone()[0]
        count = {s: sum(1 for r in states if r["state"] == s) for s in ("unpublished", "restatement pending",
                                                                          "published")}
        context.log.info(f"closed periods: {count}; nothing is published before the period close")
        return dg.MaterializeResult(
            metadata={
                "closed_periods": len(states),
                "unpublished_periods": count["unpublished"],
                "restatements_pending": count["restatement pending"],
                "published_periods_unchanged": count["published"],
                "dagster/row_count": total,
                "serving_duckdb": dg.MetadataValue.path(str(files["serving_duckdb"])),
                "parquet_dir": dg.MetadataValue.path(str(files["role_scores"].parent)),
            }
        )

    return published_score_snapshots


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
            [result] = publish_scores(con, context.run.run_id, [period], published_by="schedule:scorelink_period_close")
        except PublishError as exc:
            raise dg.Failure(str(exc)) from exc
        files = write_serving_copies(con, get_settings().published_dir)
    context.log.info(f"{period}: " + (f"published version {result.version}" if result.published
                                      else f"unchanged, version {result.version} stays current"))
    return dg.MaterializeResult(metadata={
        "period": period, "version": result.version, "published": result.published, "rows": result.rows,
        "changed_employees": result.changed_rows,
        "serving_duckdb": dg.MetadataValue.path(str(files["serving_duckdb"])),
    })
