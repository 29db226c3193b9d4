"""`scorelink bench`: wall time, rows per second and peak memory per phase, the plain-SQL floor, and one
incremental month.

Each company size runs in a child process of its own (so its figures are that size's alone):
1. simulate, in a process of its own (wall time, rows written, its peak resident memory);
2. the whole pipeline as one Dagster run without a partition key (a full build): phases from the run's
   step timings (ingest, dbt monthly facts, dbt other models, quality gates, publish), dbt split by layer
   from its run results; peak memory sampled every 0.2 s over the pipeline process and its children (dbt);
3. the same compiled model SQL replayed in one plain DuckDB session on a copy of the warehouse: the
   pipeline's dbt time over that floor is the overhead ratio;
4. one incremental month: the last month's files are taken out of the warehouse again (their raw rows and
   load records deleted, and the month's rows of the models incremental by month), and the pipeline runs once
   without a partition key (not timed), so every table is as it was before the month arrived. Then the
   pipeline runs with the last month as its partition key: ingest loads only those files, the monthly dbt
   models rebuild only that month (and any month those files deliver late records for), fct_metric_events
   rewrites the months whose events changed, the other models, gates and publish run as usual.
Figures go to HOME/bench/bench.json and are printed as a table. Nothing is asserted: tests never time anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

LAYERS = (("stg_", "staging"), ("int_", "intermediate"), ("fct_", "marts"), ("dim_", "marts"), ("rpt_", "marts"))
MONTHLY_ENTITIES = ("erp.sales_orders", "erp.sales_order_lines", "crm.activities", "attendance.punches",
                    "erp.inventory_snapshots")
# the dbt models incremental by month (macros/monthly_incremental.sql), built from those entities
MONTHLY_MODELS = ("staging.stg_attendance__punches", "staging.stg_crm__activities",
                  "staging.stg_erp__inventory_snapshots", "intermediate.int_sales_order_lines_converted")
TARGETS = {"full_pipeline_seconds": 300, "incremental_share_of_full": 0.20, "peak_memory_mb": 4096,
           "dbt_over_plain_sql": 1.5}


class MemorySampler:
    """Peak resident memory of a process (default: this one) plus all its descendants (dbt subprocesses),
    sampled. With proportional=True each process counts its proportional set size (a page shared by k
    processes counts 1/k in each), so forked processes sharing their parent's pages are not counted twice."""

    def __init__(self, interval: float = 0.2, pid: int | None = None, proportional: bool = False):
        import psutil

        self._proc = psutil.Process(pid)
        self._interval = interval
        self._proportional = proportional
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        total = 0
        try:
            tree = [self._proc, *self._proc.children(recursive=True)]
        except Exception:  # the process has ended
            return 0.0
        for p in tree:
            with contextlib.suppress(Exception):
                total += p.memory_full_info().pss if self._proportional else p.memory_info().rss
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._sample())
            self._stop.wait(self._interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = round(max(self.peak_mb, self._sample()), 1)


def _phase_of(step_key: str) -> str:
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key in ("scorelink_dbt_monthly", "scorelink_dbt_monthly_inputs"):
        return "dbt_monthly_facts"
    if step_key == "scorelink_dbt_models":
        return "dbt_other_models"
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


def slowest_nodes(run_results: dict, n: int = 10) -> list[dict[str, Any]]:
    """The n dbt nodes (models and tests) that took longest in a run: what dominates its dbt time."""
    nodes = sorted(run_results.get("results", []), key=lambda r: -float(r.get("execution_time") or 0.0))[:n]
    return [{"node": r["unique_id"].split(".", 1)[1], "seconds": round(float(r.get("execution_time") or 0.0), 2)}
            for r in nodes]


def _ts(line: dict) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(line["info"]["ts"].replace("Z", "+00:00")).timestamp()


def dbt_invocations(target_dir: Path, run_id: str) -> list[dict[str, Any]]:
    """Where each dbt call of a Dagster run spent its time, from its JSON log (dagster-dbt keeps one target
    folder per call: <asset>-<run id[:7]>-<uuid>/ with dbt.log and run_results.json).

    start-up and parse: from dbt's first log line to "Found N models" (the manifest is ready); nodes: the sum
    of the nodes' execution times; the rest of dbt's own span is compiling, connections, writing artifacts.
    """
    calls = []
    for folder in sorted(target_dir.glob(f"*-{run_id[:7]}-*")):
        # dbt rotates its log (dbt.log.1, .2 ... hold the older lines)
        logs = sorted(folder.glob("dbt.log*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
        lines = [json.loads(x) for log in logs for x in log.read_text().splitlines() if x.startswith("{")]
        if not lines:
            continue
        names = [x["info"]["name"] for x in lines]
        start, end = _ts(lines[0]), _ts(lines[-1])
        found = next((_ts(x) for x in lines if x["info"]["name"] == "FoundStats"), start)
        results = folder / "run_results.json"
        nodes: dict[str, float] = {}
        if results.exists():
            for r in json.loads(results.read_text()).get("results", []):
                kind = r["unique_id"].split(".")[0]
                nodes[kind] = nodes.get(kind, 0.0) + float(r.get("execution_time") or 0.0)
        calls.append({
            "asset": folder.name.rsplit("-", 2)[0],
            "dbt_seconds": round(end - start, 2),
            "startup_and_parse_seconds": round(found - start, 2),
            "partial_parse_reused": "UnableToPartialParse" not in names,
            "node_seconds": {k: round(v, 2) for k, v in sorted(nodes.items())},
        })
    return calls


def plain_sql_floor(warehouse: Path, run_results: dict, manifest: dict, workdir: Path,
                    memory_limit: str) -> tuple[float, float]:
    """Seconds to build the same models from the same compiled SQL in one plain DuckDB session, then seconds
    to run the same data tests' compiled SQL there (each as a count of its failing rows). The session gets
    the pipeline's DuckDB memory cap: same SQL, same memory, so the ratio measures dbt and Dagster only."""
    copy = workdir / "floor.duckdb"
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy), config={"memory_limit": memory_limit})
    try:
        for schema in ("staging", "intermediate", "marts"):
            con.execute(f"drop schema if exists {schema} cascade")
        models = [r for r in run_results.get("results", []) if r["unique_id"].startswith("model.")]
        database = f'"{warehouse.stem}".'  # dbt names relations "<database>"."<schema>"."<name>"
        started = time.perf_counter()
        for r in models:
            node = manifest["nodes"][r["unique_id"]]
            schema, name = node["schema"], node["alias"] or node["name"]
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            sql = r["compiled_code"].replace(database, "")
            con.execute(f"create schema if not exists {schema}")
            con.execute(f'create or replace {kind} {schema}."{name}" as {sql}')
        models_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for r in run_results.get("results", []):
            if r["unique_id"].startswith("test.") and r.get("compiled_code"):
                con.execute(f"select count(*) from ({r['compiled_code'].replace(database, '')}) as t").fetchone()
        return models_seconds, time.perf_counter() - started
    finally:
        con.close()
        copy.unlink(missing_ok=True)


def _simulate(home: Path, employees: int, months: int, seed: int) -> dict[str, Any]:
    """Run the simulator in a process of its own (it forks its file writers): wall time and the peak memory
    of that process with its writers, each counted by its proportional set size (the writers share the
    company's pages with their parent; resident sizes would count those pages once per process)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ingest.simulator", str(home), "--employees", str(employees),
                             "--months", str(months), "--seed", str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with MemorySampler(pid=proc.pid, proportional=True) as memory:
        out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"simulator failed:\n{err[-4000:]}")
    rows = int(out.split(" rows,")[0].split("(")[-1].replace(",", ""))
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_second": round(rows / seconds),
            "peak_memory_mb": memory.peak_mb}


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its waited-for children (the dbt subprocesses).

    On a shared, loaded machine wall time grows with the other load; CPU time much less so, which makes the
    ratio of two runs' CPU times the steadier comparison.
    """
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _execute(partition_key: str | None, log_path: Path) -> dict[str, Any]:
    """One run of scorelink_pipeline (with a partition key: that month); step timings and peak memory."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs
    from orchestration.pipeline_run import QUIET_LOGS

    job = defs.resolve_job_def("scorelink_pipeline")
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log), MemorySampler() as mem:
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), run_id=str(uuid.uuid4()),
                                        raise_on_error=False, run_config=QUIET_LOGS, partition_key=partition_key)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    steps: dict[str, float] = {}
    failures = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_SUCCESS:
            steps[event.step_key] = event.event_specific_data.duration_ms / 1000
        if event.event_type == DagsterEventType.STEP_FAILURE:
            failures.append(event.step_key)
    return {"success": result.success, "seconds": seconds, "steps": steps, "failures": failures,
            "peak_memory_mb": mem.peak_mb, "run_id": result.run_id, "cpu_seconds": cpu}


def _phases(run: dict[str, Any], warehouse: Path, since: str | None = None) -> dict[str, Any]:
    by_phase: dict[str, float] = {}
    for step, secs in run["steps"].items():
        by_phase[_phase_of(step)] = by_phase.get(_phase_of(step), 0.0) + secs
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        where = "" if since is None else f"where loaded_at >= '{since}'"
        loaded = con.execute(f"select coalesce(sum(rows_loaded), 0) from ingest.file_loads {where}").fetchone()[0]
    finally:
        con.close()
    phases: dict[str, Any] = {}
    for phase in ("ingest", "dbt_monthly_facts", "dbt_other_models", "quality_gates", "publish"):
        secs = by_phase.get(phase, 0.0)
        entry: dict[str, Any] = {"seconds": round(secs, 2)}
        if phase == "ingest":
            entry |= {"rows": int(loaded), "rows_per_second": round(loaded / secs) if secs else None}
        phases[phase] = entry
    phases["pipeline_overhead"] = {
        "seconds": round(run["seconds"] - sum(by_phase.values()), 2),
        "note": "Dagster start-up, definitions load (dbt parse) and step bookkeeping",
    }
    return phases


def slowest_steps(run: dict[str, Any], phase: str, count: int = 5) -> list[dict[str, Any]]:
    """The COUNT slowest Dagster steps of one phase of a run, slowest first."""
    steps = sorted(((secs, step) for step, secs in run["steps"].items() if _phase_of(step) == phase), reverse=True)
    return [{"step": step, "seconds": round(secs, 2)} for secs, step in steps[:count]]


def _dbt_results(home: Path) -> dict:
    return json.loads((home / "reports" / "dbt_run_results.json").read_text())


def _unload_month(warehouse: Path, label: str) -> dict[str, int]:
    """Delete what the files of month LABEL put into the warehouse, as if they had not arrived yet: their raw rows
    and load records, and the month's rows of the models incremental by month (a run without the month's raw rows
    rebuilds the months that have rows, never deletes a month that has none)."""
    removed = {}
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("begin transaction")
        for name in MONTHLY_ENTITIES:
            source, entity = name.split(".")
            like = f"{source}/{entity}/{entity}_{label}.%"
            removed[name] = con.execute(f"delete from raw_{source}.{entity} where _source_file like ?",
                                        [like]).fetchone()[0]
            con.execute("delete from ingest.quarantine where source_file like ?", [like])
            con.execute("delete from ingest.file_loads where source_file like ?", [like])
        for table in MONTHLY_MODELS:
            con.execute(f"delete from {table} where _partition_month = cast(? as date)", [f"{label}-01"])
        con.execute("commit")
    finally:
        con.close()
    return removed


@contextlib.contextmanager
def _files_held_back(landing: Path, label: str) -> Iterator[None]:
    """The landing files of month LABEL moved aside (beside the landing folder) for the duration."""
    held = landing.parent / f"held_back_{label}"
    moved = []
    try:
        for name in MONTHLY_ENTITIES:
            source, entity = name.split(".")
            for path in sorted((landing / source / entity).glob(f"{entity}_{label}.*")):
                target = held / path.relative_to(landing)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
                moved.append((path, target))
        if len(moved) != len(MONTHLY_ENTITIES):
            raise RuntimeError(f"expected one landing file per monthly entity for {label}, found {len(moved)}")
        yield
    finally:
        for path, target in moved:
            target.rename(path)
        shutil.rmtree(held, ignore_errors=True)


def bench_one(home: Path, employees: int, months: int, seed: int) -> dict[str, Any]:
    """Run one size in this process; called in a child process by `run_bench`."""
    os.environ["SCORELINK_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    os.environ.pop("SCORELINK_LANDING", None)
    os.environ.pop("SCORELINK_WAREHOUSE", None)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    figures: dict[str, Any] = {"employees": employees, "months": months, "seed": seed}
    partial = home.parent / f"{home.name}.partial.json"  # figures so far, in case a long run is cut short

    def keep() -> None:
        partial.write_text(json.dumps(figures, indent=2))

    figures["simulate"] = _simulate(home, employees, months, seed)
    keep()

    from orchestration.settings import DBT_PROJECT_DIR, get_settings

    get_settings.cache_clear()
    settings = get_settings()
    settings.export_env()
    warehouse = settings.warehouse_path
    figures["duckdb_memory_limit"] = settings.duckdb_memory_limit  # the pipeline's cap, and the floor's

    # -- full build ----------------------------------------------------------------------------------------
    full = _execute(None, home / "full_run.log")
    figures["full"] = {"success": full["success"], "failures": full["failures"],
                       "pipeline_seconds": round(full["seconds"], 2), "cpu_seconds": round(full["cpu_seconds"], 2),
                       "load_average": [round(x, 1) for x in os.getloadavg()],
                       "peak_memory_mb": full["peak_memory_mb"],
                       "phases": _phases(full, warehouse)}
    run_results = _dbt_results(home)
    figures["full"]["dbt_layers_seconds"] = _dbt_layers(run_results)
    figures["full"]["slowest_dbt_nodes"] = slowest_nodes(run_results)
    figures["full"]["dbt_calls"] = dbt_invocations(DBT_PROJECT_DIR / "target", full["run_id"])
    figures["full"]["slowest_steps"] = {p: slowest_steps(full, p) for p in ("ingest", "quality_gates", "publish")}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        figures["full"]["published_rows"] = con.execute("select count(*) from published.role_scores").fetchone()[0] \
            if full["success"] else 0
    finally:
        con.close()

    keep()
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    floor, floor_tests = plain_sql_floor(warehouse, run_results, manifest, home, settings.duckdb_memory_limit)
    dbt_models_seconds = sum(v for k, v in figures["full"]["dbt_layers_seconds"].items() if k != "tests")
    dbt_steps = sum(figures["full"]["phases"][p]["seconds"] for p in ("dbt_monthly_facts", "dbt_other_models"))
    figures["plain_sql_floor"] = {
        "models_seconds_plain_duckdb": round(floor, 2),
        "models_seconds_in_dbt": round(dbt_models_seconds, 2),
        "dbt_steps_seconds": round(dbt_steps, 2),
        "overhead_ratio_models": round(dbt_models_seconds / floor, 2) if floor else None,
        "overhead_ratio_dbt_steps": round(dbt_steps / floor, 2) if floor else None,
        "data_tests_seconds_plain_duckdb": round(floor_tests, 2),
        "overhead_ratio_dbt_steps_over_models_and_tests": round(dbt_steps / (floor + floor_tests), 2)
        if floor + floor_tests else None,
        "note": "dbt steps include dbt's start-up and parse and its data tests (unit tests are left out of pipeline "
                "runs); the floor builds the models only (the issue's ratio); the second ratio's floor also runs "
                "the data tests' SQL",
    }

    keep()
    # -- one incremental month ---------------------------------------------------------------------------------
    from ingest.simulator.period import Period

    last = Period("2024-01", months).month_labels[-1]
    removed = _unload_month(warehouse, last)
    with _files_held_back(settings.landing_dir, last):  # the tables as they were before the month arrived
        catch_up = _execute(None, home / "catch_up_run.log")
    if not catch_up["success"]:
        raise RuntimeError(f"the run without month {last} failed: {catch_up['failures']}")
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    inc = _execute(f"{last}-01", home / "incremental_run.log")
    inc_results = _dbt_results(home)
    monthly_rows = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in MONTHLY_MODELS:
            monthly_rows[table] = {str(m)[:7]: n for m, n in con.execute(
                f"select _partition_month, count(*) from {table} group by 1 order by 1").fetchall()}
        # the months whose events changed, which the month run rewrote (macros/changed_months.sql)
        events_rewritten = {str(m)[:7]: n for m, n in con.execute(
            "select month, count(*) from marts.fct_metric_events where _built_at >= cast(? as timestamp) "
            "group by 1 order by 1", [since]).fetchall()}
        events_months = con.execute("select count(distinct month) from marts.fct_metric_events").fetchone()[0]
    finally:
        con.close()
    figures["incremental_month"] = {
        "month": last, "success": inc["success"], "failures": inc["failures"],
        "raw_rows_taken_out_and_reloaded": removed,
        "run_without_the_month_seconds": round(catch_up["seconds"], 2),
        "pipeline_seconds": round(inc["seconds"], 2), "cpu_seconds": round(inc["cpu_seconds"], 2),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "peak_memory_mb": inc["peak_memory_mb"],
        "phases": _phases(inc, warehouse, since=since),
        "dbt_layers_seconds": _dbt_layers(inc_results),
        "slowest_dbt_nodes": slowest_nodes(inc_results),
        "dbt_calls": dbt_invocations(DBT_PROJECT_DIR / "target", inc["run_id"]),
        "slowest_steps": {p: slowest_steps(inc, p) for p in ("ingest", "quality_gates", "publish")},
        "share_of_full": round(inc["seconds"] / full["seconds"], 3) if full["seconds"] else None,
        "cpu_share_of_full": round(inc["cpu_seconds"] / full["cpu_seconds"], 3) if full["cpu_seconds"] else None,
        "rows_per_month_in_incremental_models": {t: rows.get(last) for t, rows in monthly_rows.items()},
        "metric_event_months_rewritten": events_rewritten,
        "metric_event_months": events_months,
    }
    keep()
    peak = max(full["peak_memory_mb"], inc["peak_memory_mb"])
    figures["targets"] = {
        "full_pipeline_under_5_min": figures["full"]["pipeline_seconds"] < TARGETS["full_pipeline_seconds"],
        "incremental_month_under_20pct": (figures["incremental_month"]["share_of_full"] or 1)
        < TARGETS["incremental_share_of_full"],
        "peak_memory_under_4_gib": peak < TARGETS["peak_memory_mb"],
        "dbt_over_plain_sql_under_1_5x": (figures["plain_sql_floor"]["overhead_ratio_dbt_steps"] or 99)
        < TARGETS["dbt_over_plain_sql"],
    }
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


def render(report: dict[str, Any], console) -> None:
    """Print the figures of `run_bench` as rich tables (the CLI's `scorelink bench`)."""
    from rich.table import Table

    for run in report["runs"]:
        full, inc, floor = run["full"], run["incremental_month"], run["plain_sql_floor"]
        table = Table("phase", "full build s", "rows", "rows/s", f"incremental {inc['month']} s", "rows", "rows/s",
                      title=f"{run['employees']:,} employees x {run['months']} months")
        sim = run["simulate"]
        table.add_row("simulate", str(sim["seconds"]), f"{sim['rows']:,}", f"{sim['rows_per_second']:,}", "", "", "")
        for phase, f in full["phases"].items():
            g = inc["phases"].get(phase, {})
            table.add_row(phase, str(f["seconds"]), f"{f['rows']:,}" if "rows" in f else "",
                          f"{f['rows_per_second']:,}" if f.get("rows_per_second") else "",
                          str(g.get("seconds", "")), f"{g['rows']:,}" if "rows" in g else "",
                          f"{g['rows_per_second']:,}" if g.get("rows_per_second") else "")
        table.add_row("[bold]pipeline", f"[bold]{full['pipeline_seconds']}", "", "",
                      f"[bold]{inc['pipeline_seconds']} ({inc['share_of_full']:.0%} of full)", "", "")
        table.add_row("peak memory MiB", str(full["peak_memory_mb"]), "", "", str(inc["peak_memory_mb"]), "", "")
        if "cpu_seconds" in full:
            table.add_row("CPU s (pipeline + dbt)", str(full["cpu_seconds"]), "", "",
                          f"{inc['cpu_seconds']} ({inc['cpu_share_of_full']:.0%} of full)", "", "")
            table.add_row("load average (1, 5, 15 min)", str(full["load_average"]), "", "",
                          str(inc["load_average"]), "", "")
        console.print(table)
        console.print("dbt by layer (full): " + ", ".join(f"{k} {v} s" for k, v in full["dbt_layers_seconds"].items()))
        console.print("dbt by layer (incremental month): "
                      + ", ".join(f"{k} {v} s" for k, v in inc["dbt_layers_seconds"].items()))
        for label, run_figures in (("full", full), ("incremental month", inc)):
            if run_figures.get("slowest_dbt_nodes"):
                console.print(f"slowest dbt nodes ({label}): " + ", ".join(
                    f"{x['node']} {x['seconds']} s" for x in run_figures["slowest_dbt_nodes"]))
            for phase, steps in run_figures.get("slowest_steps", {}).items():
                console.print(f"slowest {phase} steps ({label}): "
                              + ", ".join(f"{x['step']} {x['seconds']} s" for x in steps))
            for call in run_figures.get("dbt_calls", []):
                console.print(f"dbt call ({label}) {call['asset']}: {call['dbt_seconds']} s, start-up and parse "
                              f"{call['startup_and_parse_seconds']} s (partial parse "
                              f"{'reused' if call['partial_parse_reused'] else 'NOT reused'}), nodes "
                              + ", ".join(f"{k} {v} s" for k, v in call["node_seconds"].items()))
        if "metric_event_months_rewritten" in inc:
            rewritten = inc["metric_event_months_rewritten"]
            console.print(f"incremental month: fct_metric_events rewrote {len(rewritten)} of {inc['metric_event_months']} "
                          f"months ({', '.join(rewritten)}: {sum(rewritten.values()):,} rows); the run without the "
                          f"month before it took {inc['run_without_the_month_seconds']} s (not counted)")
        console.print(f"simulator peak memory: {sim['peak_memory_mb']} MiB; DuckDB memory cap (pipeline and floor): "
                      f"{run.get('duckdb_memory_limit', 'not recorded')}")
        console.print(f"plain DuckDB floor for the models: {floor['models_seconds_plain_duckdb']} s; dbt steps "
                      f"{floor['dbt_steps_seconds']} s (ratio {floor['overhead_ratio_dbt_steps']}), models inside "
                      f"dbt {floor['models_seconds_in_dbt']} s (ratio {floor['overhead_ratio_models']})")
        if "data_tests_seconds_plain_duckdb" in floor:
            console.print(f"plain DuckDB floor for models and data tests: {floor['models_seconds_plain_duckdb']} + "
                          f"{floor['data_tests_seconds_plain_duckdb']} s; dbt steps over it: "
                          f"{floor['overhead_ratio_dbt_steps_over_models_and_tests']}")
        console.print("targets: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in run["targets"].items()) + "\n")
    console.print(f"figures: {report['path']}")
