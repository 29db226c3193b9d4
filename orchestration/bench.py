"""`scorelink bench`: wall time, rows per second and peak memory per phase, and the plain-SQL floor.

Each company size runs in a child process of its own (so peak memory is that size's alone): simulate,
then the whole pipeline as one Dagster run. Phases come from the run's step timings (ingest, dbt, quality
gates, publish), dbt is split by layer from its run results, and the same compiled model SQL is then
replayed in one plain DuckDB session on a copy of the raw data: the pipeline's dbt time over that floor
is the overhead ratio. Figures go to HOME/bench/bench.json and are printed as a table. Nothing is
asserted: tests never time anything.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

LAYERS = (("stg_", "staging"), ("int_", "intermediate"), ("fct_", "marts"), ("dim_", "marts"), ("rpt_", "marts"))


def _peak_mb() -> dict[str, float]:
    """Peak resident memory so far of this process (simulator, ingest, gates, publish), in MiB.

    dbt's subprocess is not reported separately: a forked child starts with its parent's resident pages,
    so RUSAGE_CHILDREN reports at least the parent's peak and says nothing about dbt itself.
    """
    return {"process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _phase_of(step_key: str) -> str:
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key == "scorelink_dbt_models":
        return "dbt"
    if step_key.startswith("published__"):
        return "publish"
    return "quality_gates"  # asset-check steps: row reconciliation and Great Expectations suites


def _dbt_layers(run_results: dict) -> dict[str, float]:
    layers: dict[str, float] = {}
    for r in run_results.get("results", []):
        uid = r["unique_id"]
        if uid.startswith("model."):
            name = uid.split(".")[-1]
            layer = next((label for prefix, label in LAYERS if name.startswith(prefix)), "other")
        elif uid.startswith(("test.", "unit_test.")):
            layer = "tests"
        else:
            layer = "other"
        layers[layer] = layers.get(layer, 0.0) + float(r.get("execution_time") or 0.0)
    return {k: round(v, 2) for k, v in sorted(layers.items())}


def plain_sql_floor(warehouse: Path, run_results: dict, manifest: dict, workdir: Path) -> float:
    """Seconds to build the same models from the same compiled SQL in one plain DuckDB session."""
    copy = workdir / "floor.duckdb"
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        for schema in ("staging", "intermediate", "marts"):
            con.execute(f"drop schema if exists {schema} cascade")
        models = [r for r in run_results.get("results", []) if r["unique_id"].startswith("model.")]
        # dbt names relations "<database>"."<schema>"."<name>"; the copy is attached under another name
        started = time.perf_counter()
        for r in models:
            node = manifest["nodes"][r["unique_id"]]
            schema, name = node["schema"], node["alias"] or node["name"]
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            sql = r["compiled_code"].replace('"scorelink".', "")
            con.execute(f"create schema if not exists {schema}")
            con.execute(f'create or replace {kind} {schema}."{name}" as {sql}')
        return time.perf_counter() - started
    finally:
        con.close()
        copy.unlink(missing_ok=True)


def bench_one(home: Path, employees: int, months: int, seed: int) -> dict[str, Any]:
    """Run one size in this process; called in a child process by `run_bench`."""
    os.environ["SCORELINK_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    os.environ.pop("SCORELINK_LANDING", None)
    os.environ.pop("SCORELINK_WAREHOUSE", None)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    from ingest.simulator import simulate
    from orchestration.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    settings.export_env()
    figures: dict[str, Any] = {"employees": employees, "months": months, "seed": seed, "phases": {}}

    started = time.perf_counter()
    sim = simulate(home, employees=employees, months=months, seed=seed)
    rows = sum(sim.rows_written.values())
    seconds = time.perf_counter() - started
    figures["phases"]["simulate"] = {"seconds": round(seconds, 2), "rows": rows,
                                     "rows_per_second": round(rows / seconds), **_peak_mb()}

    from dagster import DagsterInstance

    from orchestration.pipeline_run import run_pipeline

    started = time.perf_counter()
    result = run_pipeline(instance=DagsterInstance.ephemeral(), show_progress=False)
    pipeline_seconds = time.perf_counter() - started
    figures["pipeline_success"] = result.success
    figures["pipeline_seconds"] = round(pipeline_seconds, 2)
    figures["pipeline_failures"] = result.failures
    by_phase: dict[str, float] = {}
    for step, secs in result.step_seconds.items():
        by_phase[_phase_of(step)] = by_phase.get(_phase_of(step), 0.0) + secs
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        loaded = con.execute("select coalesce(sum(rows_loaded), 0) from ingest.file_loads").fetchone()[0]
        published = con.execute("select count(*) from published.role_scores").fetchone()[0] \
            if result.success else 0
    finally:
        con.close()
    for phase, secs in by_phase.items():
        entry: dict[str, Any] = {"seconds": round(secs, 2)}
        if phase == "ingest":
            entry |= {"rows": int(loaded), "rows_per_second": round(loaded / secs) if secs else None}
        if phase == "publish":
            entry |= {"rows": int(published)}
        figures["phases"][phase] = entry
    figures["phases"]["pipeline_overhead"] = {
        "seconds": round(pipeline_seconds - sum(by_phase.values()), 2),
        "note": "Dagster start-up, definitions load (dbt parse) and step bookkeeping",
    }
    run_results = json.loads((home / "reports" / "dbt_run_results.json").read_text())
    figures["dbt_layers_seconds"] = _dbt_layers(run_results)
    figures["peak_memory"] = _peak_mb()

    from orchestration.settings import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    floor = plain_sql_floor(settings.warehouse_path, run_results, manifest, home)
    dbt_models_seconds = sum(v for k, v in figures["dbt_layers_seconds"].items() if k != "tests")
    figures["plain_sql_floor"] = {
        "models_seconds_plain_duckdb": round(floor, 2),
        "models_seconds_in_dbt": round(dbt_models_seconds, 2),
        "dbt_step_seconds": round(by_phase.get("dbt", 0.0), 2),
        "overhead_ratio_models": round(dbt_models_seconds / floor, 2) if floor else None,
        "overhead_ratio_dbt_step": round(by_phase.get("dbt", 0.0) / floor, 2) if floor else None,
    }
    figures["incremental_month"] = "not measured: the large facts are not incremental models yet (issue 8)"
    return figures


def run_bench(home: Path, sizes: list[tuple[int, int]], seed: int = 7) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "runs": []}
    for employees, months in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "orchestration.bench", str(home / f"e{employees}_m{months}"),
             str(employees), str(months), str(seed)],
            capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"bench of {employees} employees x {months} months failed:\n{out.stderr[-4000:]}")
        report["runs"].append(json.loads(out.stdout.strip().splitlines()[-1]))
    path = home / "bench.json"
    path.write_text(json.dumps(report, indent=2))
    report["path"] = str(path)
    return report


if __name__ == "__main__":  # child process: one size
    target, n_employees, n_months, n_seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(bench_one(target, n_employees, n_months, n_seed)))
