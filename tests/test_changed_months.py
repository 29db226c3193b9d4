"""fct_metric_events is incremental by changed month: a run rewrites exactly the months whose events changed.

One small simulated company, built twice (DuckDB):
- warehouse A: every landing file loaded, then one full build of fct_metric_events and everything it reads;
- warehouse B: the files of every month but the last loaded and built in full; then the last month's files
  loaded and built as a partitioned run of that month (the Dagster way: environment variables), then built
  once more with no new data.

After the month's run B must hold the same events as A (every column but _built_at). The months it rewrote
(rows of the run's _built_at) must be exactly the months whose events differ from before the run, and a run
with no new data must rewrite nothing. The PostgreSQL side of the same macros is checked in test_engines.py.
"""

import shutil
from pathlib import Path

import duckdb
import pytest
from dbt_runs import landing_without_month, load_landing, run_dbt

from orchestration.dbt_assets import FULL_REFRESH_TAG, build_args, month_env, monthly_partitions

EMPLOYEES, MONTHS, SEED = 40, 3, 11
LAST = "2024-03"
TABLE = "marts.fct_metric_events"
SELECT = ["--select", "+fct_metric_events", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"]
pytestmark = pytest.mark.slow


def _build(warehouse: Path, work: Path, env: dict[str, str] | None = None) -> str:
    out = run_dbt(warehouse, work, "build", *SELECT, env=env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    return out.stdout


def _events(warehouse: Path) -> dict[str, set[tuple]]:
    """month -> its events (every column but _built_at)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [c for (c, *_) in con.execute(f"describe {TABLE}").fetchall() if c != "_built_at"]
        rows = con.execute(f"select {', '.join(columns)} from {TABLE}").fetchall()
    finally:
        con.close()
    month = columns.index("month")
    by_month: dict[str, set[tuple]] = {}
    for row in rows:
        by_month.setdefault(str(row[month])[:7], set()).add(row)
    return by_month


def _built_at(warehouse: Path) -> dict[str, object]:
    """month -> the _built_at of its rows (one per month: a month is always rewritten whole)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(f"select strftime(month, '%Y-%m'), min(_built_at), max(_built_at) from {TABLE} "
                           "group by 1").fetchall()
    finally:
        con.close()
    assert all(low == high for _, low, high in rows), "a month holds rows of two runs"
    return {month: low for month, low, _ in rows}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from ingest.simulator import simulate

    work = tmp_path_factory.mktemp("changed_months")
    simulate(work / "company", employees=EMPLOYEES, months=MONTHS, seed=SEED)
    landing = work / "company" / "landing"

    full = work / "full" / "warehouse.duckdb"
    load_landing(full, landing)
    _build(full, work / "full")

    partial_landing = landing_without_month(landing, work / "partial" / "landing", LAST)
    inc = work / "inc" / "warehouse.duckdb"
    load_landing(inc, partial_landing)
    _build(inc, work / "inc")
    before, built_before = _events(inc), _built_at(inc)

    load_landing(inc, landing)  # the last month arrives
    log = _build(inc, work / "inc", env=month_env(monthly_partitions.time_window_for_partition_key(f"{LAST}-01")))
    after, built_after = _events(inc), _built_at(inc)

    rerun_log = _build(inc, work / "inc")  # nothing new
    return {"full": full, "inc": inc, "before": before, "built_before": built_before, "after": after,
            "built_after": built_after, "built_rerun": _built_at(inc), "log": log, "rerun_log": rerun_log}


def test_the_month_run_holds_the_same_events_as_a_full_build(built):
    expected = _events(built["full"])
    assert sum(len(rows) for rows in expected.values()) > 1000 and LAST in expected
    assert built["after"].keys() == expected.keys()
    differing = [m for m in expected if built["after"][m] != expected[m]]
    assert differing == [], f"months that differ from the full build: {differing}"


def test_the_month_run_rewrites_exactly_the_months_whose_events_changed(built):
    before, after = built["before"], built["after"]
    changed = {m for m in after if after[m] != before.get(m)}
    rewritten = {m for m, at in built["built_after"].items() if at != built["built_before"].get(m)}
    assert LAST in changed
    assert rewritten == changed
    # most months keep the rows of the first build: the run did not rewrite the whole table
    assert len(rewritten) < len(after) / 2, (sorted(rewritten), len(after))
    assert "OK created sql incremental model marts.fct_metric_events" in built["log"]


def test_a_run_with_no_new_data_rewrites_nothing(built):
    assert built["built_rerun"] == built["built_after"]
    assert "OK created sql incremental model marts.fct_metric_events" in built["rerun_log"]


def test_a_warehouse_from_before_needs_and_gets_a_full_refresh(built, tmp_path):
    # a warehouse built before fct_metric_events had _built_at: an incremental run refuses the schema change ...
    warehouse = tmp_path / "older.duckdb"
    shutil.copyfile(built["inc"], warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"alter table {TABLE} drop column _built_at")
    finally:
        con.close()
    select = ["--select", "fct_metric_events"]
    refused = run_dbt(warehouse, tmp_path / "dbt", *build_args({}, {}), *select)
    assert refused.returncode != 0 and "out of sync" in refused.stdout, refused.stdout[-3000:]
    # ... and a run tagged for a full refresh (`scorelink run --full-refresh`) rebuilds it
    rebuilt = run_dbt(warehouse, tmp_path / "dbt", *build_args({FULL_REFRESH_TAG: "true"}, {}), *select)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert _events(warehouse) == _events(built["full"])
    assert len(set(_built_at(warehouse).values())) == 1


def test_only_the_full_refresh_tag_adds_full_refresh():
    assert "--full-refresh" not in build_args({}, {"base_currency": "CNY"})
    assert "--full-refresh" not in build_args({FULL_REFRESH_TAG: "false"}, {})
    assert build_args({FULL_REFRESH_TAG: "true"}, {})[-1] == "--full-refresh"
