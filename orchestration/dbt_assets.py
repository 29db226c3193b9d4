"""dbt models as Dagster assets and dbt tests as asset checks, in one graph with the ingest assets.

dbt runs as a subprocess (DbtCliResource), never in-process, so it takes the DuckDB write lock only
while it runs. The manifest is parsed once per process (or at build time), not at every code load.

Three @dbt_assets share the one manifest:
- scorelink_dbt_monthly_inputs: the few views the monthly models read (sales orders, lines, FX rates);
- scorelink_dbt_monthly: the models that are incremental by month (config materialized incremental: the
  large facts), partitioned by month (MonthlyPartitionsDefinition). A run
  with a partition key (or a backfill over a range of months, which runs as one dbt call) passes the
  months to dbt as the environment variables SCORELINK_PARTITION_START_MONTH / SCORELINK_PARTITION_END_MONTH
  (the same as the vars partition_start_month / partition_end_month); a run without a partition key
  (the scorelink_pipeline job as the CLI, schedule and sensor start it) passes none, and dbt rebuilds
  every month. See dbt_project/macros/monthly_incremental.sql for what a month's rebuild reads.
- scorelink_dbt_models: everything else (full-rebuild tables and views), unpartitioned.

Every dbt call of the pipeline passes the same --vars as the parse at load time (pipeline_dbt_vars), so dbt's
partial parsing (target/partial_parse.msgpack, copied into each call's target folder by dagster-dbt) stays
valid: a change of --vars makes dbt re-parse the whole project. That is why the month window goes through
the environment, which the project reads at execution only. dbt unit tests are left out of pipeline runs
(--exclude-resource-type unit_test): they test SQL logic on fixed inputs, not the data, and run in CI
(`dbt build` in tests/test_engines.py) and with `dbt test --select test_type:unit`.
"""


import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ingest.landing import read_manifest
from orchestration.alerts_config import load_alerts_config
from orchestration.ingest_assets import LandingResource
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, get_settings
from orchestration.targets_assets import on_target_key


class ScoreLinkTranslator(DagsterDbtTranslator):
    """Sources are the raw tables the ingest assets write; models group by their dbt layer folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # On postgres/spark the source is the landed copy (<target>/raw/...), see targets_assets.
            return on_target_key(["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]],
                                 get_settings().dbt_target)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return dbt_resource_props["source_name"]
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@cache
def scorelink_dbt_project() -> DbtProject:
    settings = get_settings()
    settings.export_env()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.dbt_target)
    # Parse once per process (cached), so the manifest always matches the models on disk; dbt's partial
    # parsing (target/partial_parse.msgpack) keeps it to a few seconds. Parsed with the vars the pipeline's
    # dbt calls pass, so that they reuse this parse instead of parsing the whole project again.
    _parse(project, pipeline_dbt_vars(settings.landing_dir))
    return project


def _parse(project: DbtProject, dbt_args: dict[str, Any]) -> None:
    DbtCliResource(project_dir=project, target=project.target, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet", *(["--vars", json.dumps(dbt_args)] if dbt_args else [])],
        target_path=project.target_path).wait()


def pipeline_dbt_vars(landing_dir: Path) -> dict[str, Any]:
    """The vars the pipeline's dbt calls pass, for the parse at load time; {} when they cannot be read yet
    (no landing folder, an invalid config: the run itself then fails naming the file)."""
    try:
        return dbt_vars(landing_dir)
    except Exception:  # noqa: BLE001 - only an optimisation: dbt re-parses in full at the first call
        return {}


def keep_run_results(run_results: Path, run_id: str | None = None) -> list[str]:
    """Copy dbt's run results to HOME/reports (read by `scorelink status` and the bench); return what failed.

    One Dagster run calls dbt twice (monthly facts, then the other models): results of the same run are
    merged into one file, the later call's results after the earlier one's.
    """
    if not run_results.exists():
        return []
    target = get_settings().home / "reports" / "dbt_run_results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(run_results.read_text())
    current["dagster_run_id"] = run_id
    if run_id is not None and target.exists():
        previous = json.loads(target.read_text())
        if previous.get("dagster_run_id") == run_id:
            ids = {r["unique_id"] for r in current.get("results", [])}
            current["results"] = [r for r in previous.get("results", []) if r["unique_id"] not in ids] + \
                current.get("results", [])
    target.write_text(json.dumps(current))
    results = json.loads(run_results.read_text()).get("results", [])
    return [f"{r['unique_id']}: {(r.get('message') or r['status']).strip()}"
            for r in results if r.get("status") in ("error", "fail")]


def dbt_vars(landing_dir: Path) -> dict[str, Any]:
    manifest = read_manifest(landing_dir)
    # config/alerts.yml (validated; an invalid file fails the run naming file and field) -> the var `alerts`
    return {"base_currency": manifest.base_currency, **load_alerts_config().dbt_vars()}


# The models incremental by month, and the dbt models they read (views over raw tables). They are kept
# in separate assets because Dagster 1.13 cannot record a materialization inside a partitioned multi-asset
# that depends on another asset of the same multi-asset in a run without a partition key.
# (meta incremental_by: month_window, from macro monthly_incremental_config; fct_metric_events is incremental
# too, by changed month, and belongs with the other models)
MONTHLY_SELECT = "config.meta.incremental_by:month_window"
MONTHLY_UPSTREAM_SELECT = "+config.meta.incremental_by:month_window"
FIRST_MONTH_ENV = "SCORELINK_FIRST_MONTH"
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=os.environ.get(FIRST_MONTH_ENV, "2020-01") + "-01", end_offset=1)


def _translator(asset_checks: bool = True) -> ScoreLinkTranslator:
    return ScoreLinkTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=False,
                                                                     enable_asset_checks=asset_checks))


def month_vars(window: dg.TimeWindow | None) -> dict[str, str]:
    """dbt vars for the months of a partition time window (end exclusive); none: every month."""
    if window is None:
        return {}
    last = window.end - dt.timedelta(days=1)
    return {"partition_start_month": window.start.strftime("%Y-%m"), "partition_end_month": last.strftime("%Y-%m")}


def month_env(window: dg.TimeWindow | None) -> dict[str, str]:
    """The same months as environment variables (macro partition_window reads them); none: every month."""
    return {f"SCORELINK_{name.upper()}": value for name, value in month_vars(window).items()}


PARTITION_ENV = tuple(f"SCORELINK_{name.upper()}" for name in ("partition_start_month", "partition_end_month"))
# dbt unit tests belong to CI (tests/test_engines.py runs a plain `dbt build`), not to every pipeline run.
PIPELINE_BUILD_ARGS = ["--exclude-resource-type", "unit_test"]
# A run tagged scorelink/dbt_full_refresh=true rebuilds the incremental models from scratch (`scorelink run
# --full-refresh`, or the tag set when launching a run in the UI): needed once after an upgrade or a change of
# such a model's columns, which an incremental run refuses (on_schema_change: fail).
FULL_REFRESH_TAG = "scorelink/dbt_full_refresh"


def build_args(run_tags: Mapping[str, str], dbt_args: dict[str, Any]) -> list[str]:
    """The `dbt build` arguments of a pipeline run with these tags."""
    args = ["build", "--vars", json.dumps(dbt_args), *PIPELINE_BUILD_ARGS]
    if run_tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")
    return args


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set the month window variables for a dbt subprocess started inside (the job runs one step at a time)."""
    saved = {name: os.environ.pop(name, None) for name in PARTITION_ENV}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def _run_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, dbt_args: dict[str, Any],
             env: dict[str, str] | None = None):
    with _environment(env or {}):  # the subprocess copies the environment when it starts, inside cli()
        invocation = dbt.cli(build_args(context.run.tags, dbt_args), context=context, raise_on_error=False)
    yield from invocation.stream()
    failed = keep_run_results(invocation.target_path / "run_results.json", context.run_id)
    if not invocation.is_successful():
        raise dg.Failure(
            description="dbt build failed: " + ("; ".join(failed[:10]) or str(invocation.get_error())),
            metadata={"failed_nodes": len(failed)},
        )


def build_monthly_dbt_assets() -> dg.AssetsDefinition:
    project = scorelink_dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=MONTHLY_SELECT,
        dagster_dbt_translator=_translator(),
        name="scorelink_dbt_monthly",
        op_tags={"scorelink/writes": "warehouse"},
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def scorelink_dbt_monthly(context: dg.AssetExecutionContext, dbt: DbtCliResource, landing: LandingResource):
        # one month (has_partition_key) or a backfill's range of months in one run (has_partition_key_range only)
        partitioned = context.has_partition_key or context.has_partition_key_range
        window = context.partition_time_window if partitioned else None
        yield from _run_dbt(context, dbt, dbt_vars(Path(landing.path)), env=month_env(window))

    return scorelink_dbt_monthly


def build_monthly_upstream_dbt_assets() -> dg.AssetsDefinition:
    project = scorelink_dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=MONTHLY_UPSTREAM_SELECT,
        exclude=MONTHLY_SELECT,
        dagster_dbt_translator=_translator(),
        name="scorelink_dbt_monthly_inputs",
        op_tags={"scorelink/writes": "warehouse"},
    )
    def scorelink_dbt_monthly_inputs(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                                     landing: LandingResource):
        yield from _run_dbt(context, dbt, dbt_vars(Path(landing.path)))

    return scorelink_dbt_monthly_inputs


def build_dbt_assets() -> dg.AssetsDefinition:
    project = scorelink_dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude=MONTHLY_UPSTREAM_SELECT,
        dagster_dbt_translator=_translator(),
        name="scorelink_dbt_models",
        op_tags={"scorelink/writes": "warehouse"},
    )
    def scorelink_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, landing: LandingResource):
        yield from _run_dbt(context, dbt, dbt_vars(Path(landing.path)))

    return scorelink_dbt_models
