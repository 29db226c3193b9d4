"""The ScoreLink Dagster code location: landing files -> raw -> dbt layers -> quality gates -> published scores."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_assets import (
    build_dbt_assets,
    build_monthly_dbt_assets,
    build_monthly_upstream_dbt_assets,
    scorelink_dbt_project,
)
from orchestration.ingest_assets import LandingResource, build_all_ingest
from orchestration.publish_assets import build_published_scores_asset
from orchestration.quality_checks import build_quality_checks
from orchestration.scorecards.assets import build_scorecard_asset
from orchestration.sensors import landing_files_sensor
from orchestration.settings import DBT_EXECUTABLE, get_settings
from orchestration.warehouse import WarehouseResource

# Runs that write the warehouse carry this tag; the instance's run queue (dagster.yaml) lets one at a time.
WAREHOUSE_WRITE_TAG = {"scorelink/writes": "warehouse"}

settings = get_settings()
settings.export_env()

ingest_assets, ingest_checks = build_all_ingest()
dbt_models = build_dbt_assets()
# The large facts, incremental by month: a run with a partition key builds that month only (docs/performance.md).
dbt_monthly_models = [build_monthly_upstream_dbt_assets(), build_monthly_dbt_assets()]
# Blocking checks: row reconciliation per landing entity, and one Great Expectations suite per check.
blocking_checks = [*ingest_checks, *build_quality_checks()]
published_scores = build_published_scores_asset(
    key.asset_key for checks in blocking_checks for key in checks.check_keys)

pipeline_job = dg.define_asset_job(
    "scorelink_pipeline",
    selection=dg.AssetSelection.all(),
    description="Ingest every landing entity, build the dbt layers with their tests, publish scores.",
    tags=WAREHOUSE_WRITE_TAG,
    # One step at a time: DuckDB has one writer and dbt is a subprocess that needs the lock.
    executor_def=dg.in_process_executor,
)

nightly_schedule = dg.ScheduleDefinition(
    name="scorelink_nightly",
    job=pipeline_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild everything from the landing folder every night at 02:00 UTC.",
)

defs = dg.Definitions(
    assets=[*ingest_assets, build_scorecard_asset(), *dbt_monthly_models, dbt_models, published_scores],
    asset_checks=blocking_checks,
    jobs=[pipeline_job],
    schedules=[nightly_schedule],
    sensors=[landing_files_sensor(pipeline_job)],
    resources={
        "warehouse": WarehouseResource(path=str(settings.warehouse_path)),
        "landing": LandingResource(path=str(settings.landing_dir)),
        "dbt": DbtCliResource(project_dir=scorelink_dbt_project(), target=settings.dbt_target,
                              dbt_executable=DBT_EXECUTABLE),
    },
)
