"""The Dagster code location loads and forms one lineage graph from landing entities to published scores."""

import json
import os
import subprocess
import sys
from pathlib import Path

from ingest.contract import default_contracts

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import json
from orchestration.definitions import defs
graph = defs.resolve_asset_graph()
nodes = {}
for key in graph.get_all_asset_keys():
    node = graph.get(key)
    nodes[key.to_user_string()] = {"group": node.group_name,
                                   "parents": sorted(p.to_user_string() for p in node.parent_keys)}
checks = [c.asset_key.to_user_string() + ":" + c.name for c in graph.asset_check_keys]
# the gates (dbt tests also fail the dbt step itself, so they stop everything after it anyway)
from expectations.runner import default_suites
gates = {s.suite for s in default_suites()} | {"rows_in_equal_loaded_plus_quarantined"}
blocking = sorted({c.asset_key.to_user_string() for c in graph.asset_check_keys
                   if c.name in gates and graph.get_check_spec(c).blocking})
job = defs.resolve_job_def("scorelink_pipeline")
print(json.dumps({"nodes": nodes, "checks": checks, "blocking": blocking, "executor": job.executor_def.name,
                  "schedules": [s.name for s in defs.schedules], "sensors": [s.name for s in defs.sensors]}))
"""


def _load(tmp_path):
    env = {**os.environ, "SCORELINK_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_lineage_graph_from_landing_entities_to_published_scores(tmp_path):
    defs = _load(tmp_path)
    nodes = defs["nodes"]
    for contract in default_contracts().values():
        raw = f"raw/{contract.source}/{contract.entity}"
        assert nodes[raw]["group"] == contract.source
        staging = f"staging/stg_{contract.source}__{contract.entity}"
        assert raw in nodes[staging]["parents"], staging
        assert f"{raw}:rows_in_equal_loaded_plus_quarantined" in defs["checks"]
    # publication depends directly on the mart and on every asset with a blocking check, so that any
    # failed gate upstream stops it (Dagster's blocking only reaches direct dependents)
    published_parents = set(nodes["published/score_snapshots"]["parents"])
    assert {"marts/fct_sales_rep_monthly_scores", "marts/fct_role_scores"} <= published_parents
    assert "staging/stg_erp__sales_orders" in defs["blocking"] and "raw/hr/employees" in defs["blocking"]
    assert set(defs["blocking"]) <= published_parents

    def ancestors(key, seen=None):
        seen = set() if seen is None else seen
        for parent in nodes[key]["parents"]:
            if parent not in seen:
                seen.add(parent)
                ancestors(parent, seen)
        return seen

    upstream = ancestors("published/score_snapshots")
    for needed in ("raw/erp/sales_orders", "raw/erp/sales_order_lines", "raw/hr/job_assignments",
                   "raw/hr/individual_targets", "raw/erp/fx_rates", "intermediate/int_employee_role_days"):
        assert needed in upstream
    # dbt tests are asset checks on the models
    assert any(c.startswith("marts/fct_sales_rep_monthly_scores:") for c in defs["checks"])
    # one writer at a time on DuckDB
    assert defs["executor"] == "in_process"
    assert defs["schedules"] == ["scorelink_nightly", "scorelink_period_close"]
    assert sorted(defs["sensors"]) == ["landing_files_changed", "scorelink_alerts_outbox"]
    # the alerts sensor delivers from the published copy, written after the mart and, like the scores, only when
    # every blocking check upstream passed
    alerts_parents = set(nodes["published/alerts"]["parents"])
    assert "marts/fct_alerts" in alerts_parents and set(defs["blocking"]) <= alerts_parents
    # the period close is its own monthly job, after the pipeline's drafts; the pipeline never publishes a version
    assert nodes["published/period_close"]["parents"] == ["published/score_snapshots"]
