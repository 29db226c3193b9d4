"""The ScoreLink Dagster code location: landing files -> raw -> dbt layers -> quality gates -> published scores."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.alerts import alerts_outbox_sensor, build_published_alerts_asset
from orchestration.dbt_assets import (
    build_dbt_assets,
    build_monthly_dbt_assets,
    build_monthly_upstream_dbt_assets,
    scorelink_dbt_project,
)
from orchestration.ingest_assets import LandingResource, build_all_ingest
from orchestration.publish_assets import build_published_scores_asset, published_period_close
from orchestration.quality_checks import build_quality_checks
from orchestration.scorecards.assets import build_scorecard_asset
from orchestration.sensors import landing_files_sensor
from orchestration.settings import DBT_EXECUTABLE, get_settings
from orchestration.targets_assets import build_target_landing_asset
from orchestration.warehouse import WarehouseResource

# Runs that write the warehouse carry this tag; the instance's run queue (dagster.yaml) lets one at a time.
WAREHOUSE_WRITE_TAG = {"scorelink/writes": "warehouse"}

settings = get_settings()
settings.export_env()

ingest_assets, ingest_checks = build_all_ingest()
dbt_models = build_dbt_assets()
# dbt target postgres or spark: the raw and config tables are copied there after ingest, before dbt.
target_landing = build_target_landing_asset(settings)
# The large facts, incremental by month: a run with a partition key builds that month only (docs/performance.md).
dbt_monthly_models = [build_monthly_upstream_dbt_assets(), build_monthly_dbt_assets()]
# Blocking checks: row reconciliation per landing entity, and one Great Expectations suite per check.
blocking_checks = [*ingest_checks, *build_quality_checks()]
published_scores = build_published_scores_asset(
    key.asset_key for checks in blocking_checks for key in checks.check_keys)

pipeline_job = dg.define_asset_job(
    "scorelink_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(published_period_close),
    description="Ingest every landing entity, build the dbt layers with their tests and gates, publish version 1 of "
    "newly closed months and refresh the serving copies. Restatements are the period close's job.",
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

# The period close: one month's immutable published version (see orchestration/publish_assets.py).
period_close_job = dg.define_asset_job(
    "scorelink_period_close",
    selection=dg.AssetSelection.assets(published_period_close),
    description="Publish one closed month (partition): a new version, or nothing when inputs are unchanged.",
    tags=WAREHOUSE_WRITE_TAG,
    executor_def=dg.in_process_executor,
)
period_close_schedule = dg.build_schedule_from_partitioned_job(
    period_close_job,
    name="scorelink_period_close",
    day_of_month=5,
    hour_of_day=6,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Close the previous month on the 5th at 06:00 UTC, after the nightly runs took in late data.",
)

defs = dg.Definitions(
    assets=[*ingest_assets, build_scorecard_asset(), *filter(None, [target_landing]), *dbt_monthly_models, dbt_models,
            published_scores, published_period_close,
            build_published_alerts_asset(key.asset_key for checks in blocking_checks for key in checks.check_keys)],
    asset_checks=blocking_checks,
    jobs=[pipeline_job, period_close_job],
    schedules=[nightly_schedule, period_close_schedule],
    sensors=[landing_files_sensor(pipeline_job), alerts_outbox_sensor()],
    resources={
        "warehouse": WarehouseResource(path=str(settings.warehouse_path),
                                       memory_limit=settings.duckdb_memory_limit),
        "landing": LandingResource(path=str(settings.landing_dir)),
        "dbt": DbtCliResource(project_dir=scorelink_dbt_project(), target=settings.dbt_target,
                              dbt_executable=DBT_EXECUTABLE),
    },
)
