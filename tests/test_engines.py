"""The same dbt project on DuckDB, PostgreSQL and Apache Spark gives the same scores (issue 9).

A small simulated company is ingested into DuckDB and the whole project is built there (`dbt build`: models,
data tests, unit tests). The dbt source tables are then landed in a throwaway PostgreSQL database (COPY) and
in a local Spark warehouse (Parquet tables) by ingest.targets.land_raw_tables, the project is built on each,
and every table of the marts schema must hold the same rows with the same values as on DuckDB: money
(columns *_base) to the cent, every other number to 1e-9, text, dates and flags exactly.

The Spark test is marked `spark` (`pytest -m spark` runs it alone, `-m 'not spark'` skips it); it runs by
default in `make test`. It needs Java 17 (session mode starts Spark inside the dbt process).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest
from dbt_runs import load_simulated_company, run_dbt
from engine_compare import differences, duckdb_tables, read_duckdb, read_postgres, read_spark_table

from ingest.targets import LandingError, land_raw_tables, map_type, source_tables
from orchestration.scorecards.loader import write_scorecards
from orchestration.settings import REPO_ROOT

SCORECARD = REPO_ROOT / "config" / "scorecards" / "inventory_trading.yml"
COMPANY = {"employees": 30, "months": 3, "seed": 11}

# The published scores, incentives, attribution and hiring funnel: each must have rows, so the comparison cannot pass empty.
MUST_HAVE_ROWS = [
    "fct_role_scores",
    "fct_kpi_scores",
    "fct_sales_rep_monthly_scores",
    "fct_incentives",
    "fct_inventory_attribution",
    "fct_inventory_attribution_people",
    "fct_attribution_person_months",
    "fct_attribution_department_months",
    "fct_attribution_periods",
    "fct_hiring_funnel_months",
]


def _build_ok(result, engine: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"dbt build on {engine} failed:\n{output[-6000:]}"
    assert " ERROR=0 " in output and "SKIP=0 " in output, output[-3000:]


@pytest.fixture(scope="module")
def duckdb_company(tmp_path_factory) -> tuple[Path, Path]:
    """(work folder, warehouse): the small company ingested, the scorecard written, the project built on DuckDB."""
    work = tmp_path_factory.mktemp("engines")
    warehouse = load_simulated_company(work, **COMPANY)
    con = duckdb.connect(str(warehouse))
    try:
        write_scorecards(con, SCORECARD)
    finally:
        con.close()
    started = time.perf_counter()
    result = run_dbt(warehouse, work / "duckdb", "build")
    print(f"dbt build on DuckDB: {time.perf_counter() - started:.1f} s")
    _build_ok(result, "DuckDB")
    return work, warehouse


def _compare_marts(warehouse: Path, read_other, engine: str) -> None:
    tables = duckdb_tables(warehouse, "marts")
    assert set(MUST_HAVE_ROWS) <= set(tables)
    problems: list[str] = []
    for table in tables:
        expected = read_duckdb(warehouse, "marts", table)
        if table in MUST_HAVE_ROWS:
            assert expected[1], f"marts.{table} is empty on DuckDB: the comparison would prove nothing"
        problems += differences(expected, read_other(table), f"{engine} marts.{table}")
    assert not problems, "\n".join(problems[:40])


# -- landing ---------------------------------------------------------------------------------------------


def test_source_tables_cover_every_raw_entity_and_the_scorecard():
    tables = source_tables()
    assert ("raw_erp", "fx_rates") in tables and ("raw_hr", "employees") in tables
    assert {("config", t) for t in ("scorecard_versions", "scorecard_kpis", "scorecard_kpi_bands",
                                    "commission_tiers", "incentive_rules")} <= set(tables)
    assert len(tables) == len(set(tables)) == 44  # 39 landing entities + 5 scorecard tables


def test_landing_does_not_depend_on_the_orchestration():
    # ingest is the lower layer: orchestration passes its dbt project and executable in (targets_assets.land)
    code = "import sys, ingest.targets; print(sorted(m for m in sys.modules if m.startswith('orchestration')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert result.stdout.strip() == "[]"


def test_types_map_to_each_engine():
    assert map_type("DECIMAL(18,4)", "postgres") == "numeric(18,4)"
    assert map_type("DECIMAL(28,6)", "spark") == "decimal(28,6)"
    assert map_type("VARCHAR", "spark") == "string"
    assert map_type("TIMESTAMP", "postgres") == "timestamp"
    with pytest.raises(LandingError, match="INTERVAL"):
        map_type("INTERVAL", "postgres")


def test_postgres_landing_keeps_types_nulls_and_empty_strings_and_replaces_rows(tmp_path, postgres_dsn):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema raw_t")
    con.execute("create table raw_t.items (id varchar, note varchar, amount decimal(18,4), n bigint, "
                "day date, seen_at timestamp, ok boolean)")
    con.execute("insert into raw_t.items values ('a', '', 1.2345, 3, '2024-02-29', '2024-03-01 10:11:12.5', true), "
                "('b', null, null, null, null, null, null), ('c', 'x,\"y\"\nz', -0.0001, -1, '2024-01-01', "
                "'2024-01-01 00:00:00', false)")
    con.close()
    report = land_raw_tables(
        warehouse, "postgres", postgres_dsn=postgres_dsn, tables=[("raw_t", "items"), ("raw_t", "nope")]
    )
    assert [(t.schema, t.table, t.rows) for t in report.landed] == [("raw_t", "items", 3)]
    assert report.missing == [("raw_t", "nope")]
    pg = psycopg2.connect(postgres_dsn)
    with pg, pg.cursor() as cur:
        cur.execute("select 'raw_t.items'::regclass::oid")
        oid = cur.fetchone()[0]
        cur.execute("select format_type(atttypid, atttypmod) from pg_attribute "
                    "where attrelid = 'raw_t.items'::regclass and attnum > 0 order by attnum")
        assert [r[0] for r in cur.fetchall()] == ["text", "text", "numeric(18,4)", "bigint", "date",
                                                  "timestamp without time zone", "boolean"]
        cur.execute("select id, note, amount, n, day::text, seen_at::text, ok from raw_t.items order by id")
        rows = cur.fetchall()
    assert rows == [
        ("a", "", Decimal("1.2345"), 3, "2024-02-29", "2024-03-01 10:11:12.5", True),
        ("b", None, None, None, None, None, None),
        ("c", 'x,"y"\nz', Decimal("-0.0001"), -1, "2024-01-01", "2024-01-01 00:00:00", False),
    ]
    # Landing again replaces the rows of the same table (views built on it survive).
    con = duckdb.connect(str(warehouse))
    con.execute("delete from raw_t.items where id = 'b'")
    con.close()
    land_raw_tables(warehouse, "postgres", postgres_dsn=postgres_dsn, tables=[("raw_t", "items")])
    with pg, pg.cursor() as cur:
        cur.execute("select 'raw_t.items'::regclass::oid, count(*) from raw_t.items")
        assert cur.fetchone() == (oid, 2)
    pg.close()


# -- whole project ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_postgres_builds_the_project_with_the_same_marts_as_duckdb(duckdb_company, postgres_dsn):
    work, warehouse = duckdb_company
    report = land_raw_tables(warehouse, "postgres", postgres_dsn=postgres_dsn)
    assert report.missing == [] and report.rows > 0
    parts = dict(item.split("=", 1) for item in postgres_dsn.split())
    env = {"SCORELINK_PG_HOST": parts["host"], "SCORELINK_PG_PORT": parts["port"], "SCORELINK_PG_USER": parts["user"],
           "SCORELINK_PG_DBNAME": parts["dbname"], "SCORELINK_PG_PASSWORD": parts.get("password", "")}
    started = time.perf_counter()
    result = run_dbt(warehouse, work / "postgres", "build", "--target", "postgres", env=env)
    print(f"dbt build on PostgreSQL: {time.perf_counter() - started:.1f} s")
    _build_ok(result, "PostgreSQL")
    _compare_marts(warehouse, lambda table: read_postgres(postgres_dsn, "marts", table), "PostgreSQL")

    def query(sql: str) -> list[tuple]:
        con = psycopg2.connect(postgres_dsn)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else []
        finally:
            con.close()

    _check_changed_months(lambda *args: run_dbt(warehouse, work / "postgres", *args, "--target", "postgres", env=env),
                          query, "PostgreSQL")


def test_duckdb_rewrites_only_the_changed_months_of_the_metric_events(duckdb_company, tmp_path):
    work, warehouse = duckdb_company
    copy = tmp_path / "scorelink.duckdb"  # the fixture's warehouse stays as built for the other engines' tests
    shutil.copyfile(warehouse, copy)

    def query(sql: str) -> list[tuple]:
        con = duckdb.connect(str(copy))
        try:
            result = con.execute(sql)
            return result.fetchall() if result.description else []
        finally:
            con.close()

    _check_changed_months(lambda *args: run_dbt(copy, tmp_path / "dbt", *args), query, "DuckDB")


def _check_changed_months(dbt, query, engine: str) -> None:
    """fct_metric_events (macros/changed_months.sql) rewrites exactly the months whose events changed: none when
    nothing changed, the month of one changed event, and a month whose events all went away is deleted. The table
    then equals a full refresh."""
    table = "marts.fct_metric_events"

    def build(*args: str) -> None:
        result = dbt("build", "--select", "fct_metric_events", "--exclude-resource-type", "unit_test", *args)
        assert result.returncode == 0, f"{engine}: {result.stdout[-4000:]}"

    def built_at() -> dict:
        rows = query(f"select month, min(_built_at), max(_built_at) from {table} group by month")
        assert all(low == high for _, low, high in rows), f"{engine}: a month holds rows of two runs"
        return {month: low for month, low, _ in rows}

    first = built_at()
    assert len(first) > 3
    build()  # nothing changed: nothing rewritten
    assert built_at() == first, engine

    # one sales event changes: its month, and only its month, is rewritten
    metric, month, source_table, source_key, numerator = query(
        "select metric, month, source_table, source_key, numerator from intermediate.int_metric_events_sales "
        "where numerator is not null order by month, metric, source_key limit 1")[0]
    key = f"metric = '{metric}' and month = '{month}' and source_table = '{source_table}' and source_key = '{source_key}'"
    query(f"update intermediate.int_metric_events_sales set numerator = numerator + 1 where {key}")
    build()
    second = built_at()
    assert {m for m in second if second[m] != first[m]} == {month}, engine
    assert query(f"select numerator from {table} where {key}") == [(numerator + 1,)], engine

    # every event of the first month goes away: the month is deleted, no other month is rewritten
    gone = min(second)
    for domain in ("sales", "customers", "inventory", "purchasing", "finance", "people"):
        query(f"delete from intermediate.int_metric_events_{domain} where month = '{gone}'")
    build()
    third = built_at()
    assert gone not in third and third == {m: at for m, at in second.items() if m != gone}, engine

    # what the increments left equals a full refresh
    columns = ("metric", "month", "source_table", "source_key", "employee_id", "team_lead_id", "department_id",
               "numerator", "denominator", "prior_numerator", "prior_denominator", "source_rows", "event_date")
    select = f"select {', '.join(columns)} from {table} order by {', '.join(columns)}"
    incremental = query(select)
    build("--full-refresh")
    assert query(select) == incremental, engine
    assert len(set(built_at().values())) == 1, engine


@pytest.mark.slow
@pytest.mark.spark
def test_spark_builds_the_project_with_the_same_marts_as_duckdb(duckdb_company, tmp_path):
    work, warehouse = duckdb_company
    spark_home = tmp_path / "spark"
    env = {"SCORELINK_SPARK_HOME": str(spark_home)}
    started = time.perf_counter()
    report = land_raw_tables(warehouse, "spark", env=env)
    print(f"landing in Spark: {time.perf_counter() - started:.1f} s")
    assert report.missing == [] and report.rows > 0
    assert all(Path(t.location).is_relative_to(spark_home / "landed") for t in report.landed)
    started = time.perf_counter()
    result = run_dbt(warehouse, work / "spark", "build", "--target", "spark", env=env)
    print(f"dbt build on Spark: {time.perf_counter() - started:.1f} s")
    _build_ok(result, "Spark")
    _compare_marts(warehouse, lambda table: read_spark_table(spark_home / "warehouse", "marts", table), "Spark")


# -- the range of divide: the same on every engine -------------------------------------------------------

_DIVIDE_OK = ("select cast({{ divide('cast(27981.494742 as decimal(18,6))', '12') }} as " + "{{ dbt.type_string() }}) as q, "
              "cast({{ divide('cast(12345678 as decimal(38,0))', '-1') }} as {{ dbt.type_string() }}) as big, "
              "cast({{ divide('7', '0') }} as {{ dbt.type_string() }}) as by_zero")
_DIVIDE_TOO_BIG = "select {{ divide('cast(1000000000000000000000 as decimal(38,0))', '3') }} as q"


def _show(warehouse: Path, work: Path, sql: str, target: str, env: dict[str, str]):
    return run_dbt(warehouse, work, "show", "--target", target, "--output", "json", "--log-format", "text",
                   "--inline", sql, env=env)


def _check_divide_range(warehouse: Path, work: Path, target: str, env: dict[str, str]) -> None:
    ok = _show(warehouse, work / "ok", _DIVIDE_OK, target, env)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    shown = json.loads(ok.stdout[ok.stdout.index("{"):ok.stdout.rindex("}") + 1])["show"]
    assert [(Decimal(r["q"]), Decimal(r["big"]), r["by_zero"]) for r in shown] == [
        (Decimal("2331.7912285"), Decimal("-12345678"), None)]
    # 1e21 / 3: DuckDB and PostgreSQL fail on the cast, Spark raises (it would return null otherwise)
    too_big = _show(warehouse, work / "too_big", _DIVIDE_TOO_BIG, target, env)
    assert too_big.returncode != 0, f"{target}: {too_big.stdout[-2000:]}"
    assert any(word in too_big.stdout for word in ("DECIMAL(32,12)", "numeric field overflow", "out of range")), \
        too_big.stdout[-2000:]


def test_divide_fails_past_1e20_on_duckdb_and_postgres(tmp_path, postgres_dsn):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    _check_divide_range(warehouse, tmp_path / "duckdb", "duckdb", {})
    parts = dict(item.split("=", 1) for item in postgres_dsn.split())
    _check_divide_range(warehouse, tmp_path / "postgres", "postgres", {
        "SCORELINK_PG_HOST": parts["host"], "SCORELINK_PG_PORT": parts["port"], "SCORELINK_PG_USER": parts["user"],
        "SCORELINK_PG_DBNAME": parts["dbname"], "SCORELINK_PG_SSLMODE": "disable"})


@pytest.mark.spark
def test_divide_fails_past_1e20_on_spark(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    _check_divide_range(warehouse, tmp_path / "spark", "spark", {"SCORELINK_SPARK_HOME": str(tmp_path / "spark")})
