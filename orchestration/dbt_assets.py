"""dbt models as Dagster assets and dbt tests as asset checks, in one graph with the ingest assets.

dbt runs as a subprocess (DbtCliResource), never in-process, so it takes the DuckDB write lock only
while it runs. The manifest is parsed once per process (or at build time), not at every code load.
"""


import json
import shutil
from collections.abc import Mapping
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
    # parsing (target/partial_parse.msgpack) keeps it to a few seconds.
    _parse(project)
    return project


def _parse(project: DbtProject) -> None:
    DbtCliResource(project_dir=project, target=project.target, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=project.target_path).wait()


def keep_run_results(run_results: Path) -> list[str]:
    """Copy dbt's run results to HOME/reports (read by `scorelink status`); return what failed."""
    if not run_results.exists():
        return []
    target = get_settings().home / "reports" / "dbt_run_results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_results, target)
    results = json.loads(run_results.read_text()).get("results", [])
    return [f"{r['unique_id']}: {(r.get('message') or r['status']).strip()}"
            for r in results if r.get("status") in ("error", "fail")]


def dbt_vars(landing_dir: Path) -> dict[str, Any]:
    manifest = read_manifest(landing_dir)
    # config/alerts.yml (validated; an invalid file fails the run naming file and field) -> the var `alerts`
    return {"base_currency": manifest.base_currency, **load_alerts_config().dbt_vars()}


def build_dbt_assets() -> dg.AssetsDefinition:
    project = scorelink_dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ScoreLinkTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=False)),
        name="scorelink_dbt_models",
        op_tags={"scorelink/writes": "warehouse"},
    )
    def scorelink_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, landing: LandingResource):
        args = ["build", "--vars", json.dumps(dbt_vars(Path(landing.path)))]
        invocation = dbt.cli(args, context=context, raise_on_error=False)
        yield from invocation.stream()
        failed = keep_run_results(invocation.target_path / "run_results.json")
        if not invocation.is_successful():
            raise dg.Failure(
                description="dbt build failed: " + ("; ".join(failed[:10]) or str(invocation.get_error())),
                metadata={"failed_nodes": len(failed)},
            )

    return scorelink_dbt_models
