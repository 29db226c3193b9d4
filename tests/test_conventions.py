"""The dbt project keeps its conventions (dbt_project/dbt-bouncer.yml), checked by dbt-bouncer on dbt's manifest:
model names by layer, a description and a primary-key test on every model, enforced contracts on marts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from dbt_runs import run_dbt

from orchestration.settings import DBT_PROJECT_DIR

BOUNCER = str(Path(sys.executable).with_name("dbt-bouncer"))


def _bouncer(artifacts: Path, output: Path) -> subprocess.CompletedProcess[str]:
    """dbt-bouncer with the project's checks, over the manifest in ARTIFACTS (never the repository's target/)."""
    config = yaml.safe_load((DBT_PROJECT_DIR / "dbt-bouncer.yml").read_text())
    config["dbt_artifacts_dir"] = str(artifacts)
    config_file = artifacts.parent / "dbt-bouncer.yml"
    config_file.write_text(yaml.safe_dump(config))
    return subprocess.run([BOUNCER, "--config-file", str(config_file), "--output-file", str(output)],
                          cwd=DBT_PROJECT_DIR, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=600, check=False)


def test_dbt_project_follows_the_house_conventions(tmp_path: Path) -> None:
    parsed = run_dbt(tmp_path / "warehouse.duckdb", tmp_path, "parse")
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    result = _bouncer(tmp_path / "target", tmp_path / "bouncer.json")
    outcomes = json.loads((tmp_path / "bouncer.json").read_text())
    failures = [f"{r['check_run_id']}: {r['failure_message']}" for r in outcomes if r["outcome"] == "failed"]
    assert result.returncode == 0 and not failures, "\n".join(failures) or result.stdout[-3000:]
    # the checks really ran over the project's models (not zero checks matched)
    models = list((DBT_PROJECT_DIR / "models").rglob("*.sql"))
    assert sum(r["check_run_id"].startswith("check_model_has_unique_test") for r in outcomes) == len(models)


def test_the_convention_checks_catch_a_model_without_a_primary_key_test(tmp_path: Path) -> None:
    parsed = run_dbt(tmp_path / "warehouse.duckdb", tmp_path, "parse")
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    manifest_path = tmp_path / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    # drop every test attached to one mart: the check must now fail, naming that model
    victim = "model.scorelink.fct_role_scores"
    manifest["nodes"] = {k: v for k, v in manifest["nodes"].items()
                         if not (v["resource_type"] == "test" and victim in v["depends_on"]["nodes"])}
    manifest_path.write_text(json.dumps(manifest))
    result = _bouncer(tmp_path / "target", tmp_path / "bouncer.json")
    outcomes = json.loads((tmp_path / "bouncer.json").read_text())
    failed = [r["check_run_id"] for r in outcomes if r["outcome"] == "failed"]
    assert result.returncode != 0
    assert [(f.split(":")[0], f.split(":")[-1]) for f in failed] == [("check_model_has_unique_test", "fct_role_scores")]
