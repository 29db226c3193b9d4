"""`scorelink bench` on a small company: every phase is measured and the figures add up (no timing is asserted).

One run of orchestration.bench.run_bench at 30 employees x 2 months: simulate, a full pipeline run, the
plain-DuckDB floor, then the last month taken out of the warehouse (and a run without it), and the month run
again as its Dagster partition.
"""

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from orchestration.bench import TARGETS, render, run_bench

pytestmark = pytest.mark.slow

EMPLOYEES, MONTHS = 30, 2


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    home = tmp_path_factory.mktemp("bench")
    return run_bench(home, [(EMPLOYEES, MONTHS)], seed=5)


def test_both_runs_succeed_and_every_phase_is_measured(report):
    (run,) = report["runs"]
    assert (run["employees"], run["months"]) == (EMPLOYEES, MONTHS)
    full, month = run["full"], run["incremental_month"]
    assert full["success"] and month["success"], (full["failures"], month["failures"])
    assert month["month"] == "2024-02"
    for figures in (full, month):
        for phase in ("ingest", "dbt_monthly_facts", "dbt_other_models", "quality_gates", "publish"):
            assert figures["phases"][phase]["seconds"] > 0, phase
        assert figures["peak_memory_mb"] > 0 and figures["cpu_seconds"] > 0
    assert full["published_rows"] > 0
    # the layers of dbt are named from the models' prefixes; nothing falls into "other"
    assert {"staging", "intermediate", "marts", "tests"} <= set(full["dbt_layers_seconds"])
    assert "other" not in full["dbt_layers_seconds"]
    # what dominates: the ten slowest dbt nodes of the run, slowest first
    for figures in (full, month):
        slowest = figures["slowest_dbt_nodes"]
        assert len(slowest) == 10 and all(x["node"].startswith("scorelink.") for x in slowest)
        assert [x["seconds"] for x in slowest] == sorted((x["seconds"] for x in slowest), reverse=True)
    # the month run's are read from its dbt run results (every dbt call of the run, merged)
    results = json.loads((Path(report["path"]).parent / f"e{EMPLOYEES}_m{MONTHS}" / "reports" /
                          "dbt_run_results.json").read_text())["results"]
    times = sorted((round(float(r["execution_time"]), 2) for r in results), reverse=True)
    assert [x["seconds"] for x in month["slowest_dbt_nodes"]] == times[:10]
    assert any(r["unique_id"].startswith("test.") for r in results)  # the data tests are timed too
    # the slowest Dagster steps of ingest, the gates and publication, slowest first
    for figures in (full, month):
        for phase, steps in figures["slowest_steps"].items():
            assert 0 < len(steps) <= 5, phase
            assert [x["seconds"] for x in steps] == sorted((x["seconds"] for x in steps), reverse=True)
            assert sum(x["seconds"] for x in steps) <= figures["phases"][phase]["seconds"] + 0.05 * len(steps)


def test_the_month_run_loads_again_exactly_the_rows_taken_out(report):
    (run,) = report["runs"]
    month = run["incremental_month"]
    removed = month["raw_rows_taken_out_and_reloaded"]
    assert set(removed) == {"erp.sales_orders", "erp.sales_order_lines", "crm.activities", "attendance.punches",
                            "erp.inventory_snapshots"}
    assert all(n > 0 for n in removed.values()), removed
    assert month["phases"]["ingest"]["rows"] == sum(removed.values())
    # the full run loaded every simulated row but the quarantined ones (the simulator plants a few bad rows)
    assert 0 < run["simulate"]["rows"] - run["full"]["phases"]["ingest"]["rows"] < 50
    # each incremental model holds rows of the month that was run again
    assert all(n and n > 0 for n in month["rows_per_month_in_incremental_models"].values())
    # it started from the tables as they were without the month (a run of its own): the month's events are new,
    # and fct_metric_events rewrote them and not every month
    assert month["run_without_the_month_seconds"] > 0
    rewritten = month["metric_event_months_rewritten"]
    assert "2024-02" in rewritten and all(n > 0 for n in rewritten.values())
    assert len(rewritten) < month["metric_event_months"], rewritten


def test_the_floor_runs_the_same_models_under_the_same_memory_cap(report):
    (run,) = report["runs"]
    floor = run["plain_sql_floor"]
    assert run["duckdb_memory_limit"] == "2.5GB"  # the default cap, used by the pipeline and the floor alike
    assert floor["models_seconds_plain_duckdb"] > 0 and floor["data_tests_seconds_plain_duckdb"] > 0
    # the ratio is taken before the seconds are rounded to 0.01 s: equal up to that rounding
    ratio = floor["dbt_steps_seconds"] / floor["models_seconds_plain_duckdb"]
    assert floor["overhead_ratio_dbt_steps"] == pytest.approx(ratio, rel=0.03)
    steps = run["full"]["phases"]
    assert floor["dbt_steps_seconds"] == round(steps["dbt_monthly_facts"]["seconds"]
                                               + steps["dbt_other_models"]["seconds"], 2)


def test_targets_are_judged_from_the_figures_and_written_to_json(report):
    (run,) = report["runs"]
    # the bench divides unrounded seconds; the report holds them rounded to 0.01 s, hence one unit of the last place
    share = run["incremental_month"]["pipeline_seconds"] / run["full"]["pipeline_seconds"]
    assert run["incremental_month"]["share_of_full"] == pytest.approx(share, abs=0.0015)
    reported = run["incremental_month"]["share_of_full"]
    assert run["targets"]["incremental_month_under_20pct"] == (reported < TARGETS["incremental_share_of_full"])
    assert run["targets"]["peak_memory_under_4_gib"] == (
        max(run["full"]["peak_memory_mb"], run["incremental_month"]["peak_memory_mb"]) < TARGETS["peak_memory_mb"])
    with open(report["path"], encoding="utf-8") as f:
        assert json.load(f)["runs"] == report["runs"]
    out = io.StringIO()
    render(report, Console(file=out, width=200))
    text = out.getvalue()
    assert f"{EMPLOYEES:,} employees x {MONTHS} months" in text and "plain DuckDB floor" in text
    assert "DuckDB memory cap (pipeline and floor): 2.5GB" in text
