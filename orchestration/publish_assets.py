"""The publication step: its own asset, after the marts, so a failed blocking check stops it."""


import dagster as dg

from orchestration.publish import publish_scores, write_serving_copies
from orchestration.settings import get_settings
from orchestration.warehouse import WarehouseResource


@dg.asset(
    key=["published", "sales_rep_scores"],
    deps=[dg.AssetKey(["marts", "fct_sales_rep_monthly_scores"])],
    group_name="published",
    kinds={"duckdb", "parquet"},
    tags={"scorelink/writes": "warehouse"},
    description="Immutable, versioned monthly snapshots of sales-rep revenue scores "
    "(published.sales_rep_scores, published.score_versions), plus Parquet and read-only DuckDB "
    "serving copies under HOME/published.",
)
def published_sales_rep_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        results = publish_scores(con, context.run_id)
        files = write_serving_copies(con, get_settings().published_dir)
        total = con.execute("select count(*) from published.sales_rep_scores").fetchone()[0]
    new = [r for r in results if r.published]
    context.log.info(f"published {len(new)} new period version(s); {len(results) - len(new)} unchanged")
    return dg.MaterializeResult(
        metadata={
            "periods": len(results),
            "new_versions": len(new),
            "unchanged_periods": len(results) - len(new),
            "dagster/row_count": total,
            "serving_duckdb": dg.MetadataValue.path(str(files["serving_duckdb"])),
            "parquet_dir": dg.MetadataValue.path(str(files["sales_rep_scores"].parent)),
        }
    )
