"""The publication step: its own asset and step, after the marts and after every quality gate.

Dagster's blocking checks stop only the assets that depend directly on the checked asset (a check on a
staging view does not stop an asset two layers further down). So that a failed gate anywhere upstream (a
raw table's row reconciliation, a source, metric-input or publish suite) stops the publication, the
published asset depends directly on every asset that carries a blocking check.
"""

from collections.abc import Iterable

import dagster as dg

from orchestration.publish import publish_scores, write_serving_copies
from orchestration.settings import get_settings
from orchestration.target_io import mart_reader
from orchestration.warehouse import WarehouseResource

SCORE_MARTS = [dg.AssetKey(["marts", "fct_role_scores"]), dg.AssetKey(["marts", "fct_sales_rep_monthly_scores"])]


def build_published_scores_asset(gated_assets: Iterable[dg.AssetKey]) -> dg.AssetsDefinition:
    """The published scores asset, downstream of the score marts and of every asset with a blocking check."""
    gates = sorted(set(gated_assets) - set(SCORE_MARTS), key=lambda k: k.to_user_string())

    @dg.asset(
        key=["published", "score_snapshots"],
        deps=[*SCORE_MARTS, *gates],
        group_name="published",
        kinds={"duckdb", "parquet"},
        tags={"scorelink/writes": "warehouse"},
        description="Immutable, versioned monthly snapshots of the closed periods: role scores of every active "
        "employee (published.role_scores) and sales reps' revenue against quota (published.sales_rep_scores), "
        "versions in published.score_versions, plus Parquet and read-only DuckDB serving copies under "
        "HOME/published. Runs only when every blocking check upstream passed.",
    )
    def published_score_snapshots(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            # The marts are read on the dbt target (postgres, spark); the snapshots stay in DuckDB + Parquet.
            results = publish_scores(con, context.run_id, read_mart=mart_reader(get_settings()))
            files = write_serving_copies(con, get_settings().published_dir)
            total = con.execute("select count(*) from published.role_scores").fetchone()[0]
        new = [r for r in results if r.published]
        context.log.info(f"published {len(new)} new period version(s); {len(results) - len(new)} unchanged")
        return dg.MaterializeResult(
            metadata={
                "periods": len(results),
                "new_versions": len(new),
                "unchanged_periods": len(results) - len(new),
                "dagster/row_count": total,
                "serving_duckdb": dg.MetadataValue.path(str(files["serving_duckdb"])),
                "parquet_dir": dg.MetadataValue.path(str(files["role_scores"].parent)),
            }
        )

    return published_score_snapshots
