"""The active scorecard as a Dagster asset: the config tables the dbt source `config` reads.

One multi-asset writes all five tables in one transaction (write_scorecards), so they always describe the
same file; its keys are raw/config/<table>, the keys ScoreLinkTranslator gives the dbt source tables, so the
dbt staging models stg_config__* hang below it in the graph. Register it in definitions.py:

    from orchestration.scorecards.assets import build_scorecard_asset
    defs = dg.Definitions(assets=[..., build_scorecard_asset()], ...)
"""

import dagster as dg

from orchestration.scorecards.loader import TABLES, active_scorecard_path, write_scorecards
from orchestration.warehouse import WarehouseResource

SCORECARD_ASSET_KEY = dg.AssetKey(["raw", "config", "scorecard_kpis"])
_DESCRIPTIONS = {
    "scorecard_versions": "Scorecard versions with their effective dates and settings.",
    "scorecard_kpis": "KPIs per scorecard version, role, region / new-hire variant: weight, target, curve.",
    "scorecard_kpi_bands": "Bands of the KPIs scored with the bands curve.",
    "commission_tiers": "Commission tiers (quota attainment -> rate).",
    "incentive_rules": "Commission, team bonus and bonus-deduction rules per role.",
}


def build_scorecard_asset() -> dg.AssetsDefinition:
    """The scorecard config tables (keys raw/config/<table>, group config), written from the active file.

    The file is $SCORELINK_SCORECARD, else config/scorecards/inventory_trading.yml (the demo's). An invalid
    file fails the step with a message naming the file, role and field, and leaves the tables unchanged.
    """
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", "config", table]),
            group_name="config",
            description=_DESCRIPTIONS[table],
            kinds={"duckdb"},
        )
        for table in TABLES
    ]

    @dg.multi_asset(
        name="scorecard_config",
        specs=specs,
        required_resource_keys={"warehouse"},
        op_tags={"scorelink/writes": "warehouse"},
        description="Validate the active scorecard YAML and write it into the warehouse schema config.",
    )
    def scorecard_config(context: dg.AssetExecutionContext):
        warehouse: WarehouseResource = context.resources.warehouse
        path = active_scorecard_path()
        with warehouse.connect() as con:
            scorecard = write_scorecards(con, path)
            counts = {
                table: con.execute(f"select count(*) from config.{table}").fetchone()[0] for table in TABLES
            }
        for table in TABLES:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["raw", "config", table]),
                metadata={
                    "scorecard": scorecard.name,
                    "file": str(path),
                    "sha256": scorecard.sha256,
                    "versions": ", ".join(v.version for v in scorecard.versions),
                    "dagster/row_count": counts[table],
                },
            )

    return scorecard_config
