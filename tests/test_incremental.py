"""The large facts are incremental by month: a month built incrementally equals the same month of a full build.

One small simulated company is built twice:
- warehouse A: every landing file loaded, then one full dbt build of the incremental models;
- warehouse B: the files of every month but the last loaded and built in full; then the last month's files
  loaded and only that month built incrementally, the month given as the Dagster assets give it (environment
  variables SCORELINK_PARTITION_START_MONTH / _END_MONTH); then the earlier months rebuilt with the dbt vars
  partition_start_month / partition_end_month.

Every row of every incremental model must be the same in A and B (EXCEPT both ways), apart from _loaded_at
(the two warehouses were loaded at different times). Rows of months the incremental run must not rebuild
are marked before it and must still carry the mark after it; the months it must rebuild (the new month and
every month the new files deliver late records for) lose the mark.
"""

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt_runs import landing_without_month, load_landing, run_dbt

from orchestration.dbt_assets import month_env, monthly_partitions

EMPLOYEES, MONTHS, SEED = 40, 3, 11
LAST = "2024-03"
pytestmark = pytest.mark.slow

# model -> (a text column to mark, SQL: business dates of the raw rows that arrived in the last month's files)
_IN_LAST = f"_source_file like '%\\_{LAST}.%' escape '\\'"
MODELS = {
    "staging.stg_attendance__punches": (
        "device_id", f"select punched_at from raw_attendance.punches where {_IN_LAST}"),
    "staging.stg_crm__activities": (
        "method", f"select started_at from raw_crm.activities where {_IN_LAST}"),
    "staging.stg_erp__inventory_snapshots": (
        "warehouse_id", f"select snapshot_date from raw_erp.inventory_snapshots where {_IN_LAST}"),
    "intermediate.int_sales_order_lines_converted": (
        "channel", "select o.ordered_at from raw_erp.sales_orders o where o." + _IN_LAST + " union all "
        "select o.ordered_at from raw_erp.sales_order_lines l join raw_erp.sales_orders o using (order_id) "
        "where l." + _IN_LAST),
}
SELECT = ["--select", "+stg_attendance__punches", "+stg_crm__activities", "+stg_erp__inventory_snapshots",
          "+int_sales_order_lines_converted"]
MARK = "MARKED"


def _dbt(warehouse: Path, work: Path, *args: str, env: dict[str, str] | None = None) -> None:
    out = run_dbt(warehouse, work, "run", *SELECT, *args, env=env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe {table}").fetchall() if r[0] != "_loaded_at"]


def _month_counts(con, table: str) -> dict[str, int]:
    return {str(m)[:7]: n for m, n in con.execute(
        f"select _partition_month, count(*) from {table} group by 1 order by 1").fetchall()}


def _marked_months(con, table: str, column: str) -> set[str]:
    return {str(m)[:7] for (m,) in con.execute(
        f"select distinct _partition_month from {table} where {column} = '{MARK}'").fetchall()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from ingest.simulator import simulate

    work = tmp_path_factory.mktemp("incremental")
    simulate(work / "company", employees=EMPLOYEES, months=MONTHS, seed=SEED)
    landing = work / "company" / "landing"

    full = work / "full" / "warehouse.duckdb"
    load_landing(full, landing)
    _dbt(full, work / "full")

    # B: every file but the last month's, built in full
    partial_landing = landing_without_month(landing, work / "partial" / "landing", LAST)
    inc = work / "inc" / "warehouse.duckdb"
    load_landing(inc, partial_landing)
    _dbt(inc, work / "inc")

    con = duckdb.connect(str(inc))
    try:
        before = {t: _month_counts(con, t) for t in MODELS}
        for table, (column, _) in MODELS.items():  # mark every row built so far
            con.execute(f"update {table} set {column} = '{MARK}'")
    finally:
        con.close()

    # the last month arrives (with late and repeated records of earlier months); build it incrementally
    load_landing(inc, landing)
    _dbt(inc, work / "inc", env=month_env(monthly_partitions.time_window_for_partition_key(f"{LAST}-01")))
    con = duckdb.connect(str(inc))
    try:
        after_month = {t: _marked_months(con, t, col) for t, (col, _) in MODELS.items()}
        # months whose rows arrived in the last month's files: they must have been rebuilt
        delivered = {table: {str(m)[:7] for (m,) in con.execute(
            f"select distinct strftime(cast(d as date), '%Y-%m') from ({sql}) as t(d)").fetchall()}
            for table, (_, sql) in MODELS.items()}
    finally:
        con.close()

    # a rerun of the earlier months with no new data rebuilds exactly them (the marks go away)
    _dbt(inc, work / "inc", "--vars", json.dumps({"partition_start_month": "2024-01", "partition_end_month": "2024-02"}))
    con = duckdb.connect(str(inc), read_only=True)
    try:
        after_rerun = {t: _marked_months(con, t, col) for t, (col, _) in MODELS.items()}
    finally:
        con.close()
    return {"full": full, "inc": inc, "before": before, "marked_after_month": after_month, "delivered": delivered,
            "marked_after_rerun": after_rerun}


@pytest.mark.parametrize("table", list(MODELS))
def test_incremental_month_equals_full_build(built, table):
    con = duckdb.connect(str(built["full"]), read_only=True)
    try:
        con.execute(f"attach '{built['inc']}' as inc (read_only)")
        cols = ", ".join(f'"{c}"' for c in _columns(con, table))
        assert cols == ", ".join(f'"{c}"' for c in _columns(con, f"inc.{table}"))
        full_rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        only_full = con.execute(f"select count(*) from (select {cols} from {table} except all "
                                f"select {cols} from inc.{table})").fetchone()[0]
        only_inc = con.execute(f"select count(*) from (select {cols} from inc.{table} except all "
                               f"select {cols} from {table})").fetchone()[0]
        months = _month_counts(con, table)
        last_full = con.execute(f"select {cols} from {table} where strftime(_partition_month, '%Y-%m') = '{LAST}' "
                                f"order by all").fetchall()
        last_inc = con.execute(f"select {cols} from inc.{table} where strftime(_partition_month, '%Y-%m') = '{LAST}' "
                               f"order by all").fetchall()
    finally:
        con.close()
    assert full_rows > 0 and LAST in months and len(months) == MONTHS, months
    assert (only_full, only_inc) == (0, 0), f"{table}: {only_full} rows only in the full build, {only_inc} only in B"
    assert last_inc == last_full and len(last_inc) == months[LAST]


@pytest.mark.parametrize("table", list(MODELS))
def test_incremental_month_rebuilds_only_its_months(built, table):
    before = built["before"][table]
    assert LAST not in before and set(before) == {"2024-01", "2024-02"}
    delivered = built["delivered"][table]
    assert LAST in delivered
    # every month built before and not delivered again keeps its mark: the run did not touch it
    assert built["marked_after_month"][table] == set(before) - delivered
    # the vars name the months as well: rebuilding January and February removes their last marks
    assert built["marked_after_rerun"][table] == set()


def test_late_records_make_their_month_rebuild(built):
    # the simulator delivers late punches and orders of February in March's files: February is rebuilt
    assert "2024-02" in built["delivered"]["staging.stg_attendance__punches"]
    assert "2024-02" not in built["marked_after_month"]["staging.stg_attendance__punches"]
    assert "2024-02" in built["delivered"]["intermediate.int_sales_order_lines_converted"]
    assert "2024-02" not in built["marked_after_month"]["intermediate.int_sales_order_lines_converted"]
    # nothing of January arrived in March: January was not touched
    assert "2024-01" in built["marked_after_month"]["staging.stg_attendance__punches"]


def test_a_partition_or_a_backfill_range_becomes_the_dbt_month_vars():
    import datetime as dt

    import dagster as dg

    from orchestration.dbt_assets import month_vars, monthly_partitions

    utc = dt.UTC
    one = monthly_partitions.time_window_for_partition_key("2024-03-01")
    assert month_vars(one) == {"partition_start_month": "2024-03", "partition_end_month": "2024-03"}
    # a backfill of several months runs as one dbt call over the whole range
    span = dg.TimeWindow(dt.datetime(2024, 11, 1, tzinfo=utc), dt.datetime(2025, 2, 1, tzinfo=utc))
    assert month_vars(span) == {"partition_start_month": "2024-11", "partition_end_month": "2025-01"}
    assert month_vars(None) == {}  # no partition key: dbt rebuilds every month
    # the Dagster assets pass the same months to dbt through the environment (dbt's partial parse stays valid)
    assert month_env(one) == {"SCORELINK_PARTITION_START_MONTH": "2024-03", "SCORELINK_PARTITION_END_MONTH": "2024-03"}
    assert month_env(None) == {}


def test_a_partitioned_run_tests_only_its_months_and_still_catches_a_duplicate(built, tmp_path):
    # a copy of warehouse B with one punch duplicated in the last month and one in January
    warehouse = tmp_path / "planted.duckdb"
    shutil.copyfile(built["inc"], warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        for month in (LAST, "2024-01"):
            con.execute("insert into staging.stg_attendance__punches select * from staging.stg_attendance__punches "
                        f"where strftime(_partition_month, '%Y-%m') = '{month}' order by punch_id limit 1")
    finally:
        con.close()

    def unique_test(window: str | None) -> tuple[int, str]:
        env = month_env(monthly_partitions.time_window_for_partition_key(f"{window}-01")) if window else None
        out = run_dbt(warehouse, tmp_path, "test", "--select", "stg_attendance__punches,test_name:unique", env=env)
        return out.returncode, out.stdout

    code, log = unique_test(LAST)  # the month's run finds the month's duplicate, and only that one
    assert code != 0 and "unique_stg_attendance__punches_punch_id" in log and "Got 1 result," in log, log[-3000:]
    code, log = unique_test("2024-02")  # February has no duplicate: January's is outside the window
    assert code == 0 and "PASS=1" in log, log[-3000:]
    code, log = unique_test(None)  # without a window (full runs, the nightly schedule): the whole table
    assert code != 0 and "Got 2 results," in log, log[-3000:]
