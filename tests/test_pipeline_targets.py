"""The pipeline on another dbt target: settings, the landing step, quality gates and publication on PostgreSQL
(and Spark's Parquet tables).

Each PostgreSQL test gets a fresh database on the throwaway test server (conftest.postgres_dsn). The small
cases copy DuckDB tables to PostgreSQL with a plain psycopg2 helper (`_copy_to_postgres`), so what is tested
is the orchestration side: where the gates validate, where publish reads, what the graph looks like.
"""

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from unittest import mock

import dagster as dg
import duckdb
import psycopg2
import pytest
from engine_compare import tolerance
from published_marts import create_missing_marts
from test_publish import MART
from test_quality_gates import SUITES, build_raw, company

from expectations.runner import run_suite
from orchestration.publish import PUBLISHED_TABLES, publish_scores
from orchestration.quality_checks import build_quality_check, build_quality_checks
from orchestration.settings import Settings, SettingsError, get_settings
from orchestration.target_io import mart_reader, read_mart, validation_target, write_spark_views_file
from orchestration.targets_assets import build_target_landing_asset, on_target_key, raw_tables
from orchestration.warehouse import WarehouseResource

_PG_TYPES = {"VARCHAR": "text", "DATE": "date", "TIMESTAMP": "timestamp", "BIGINT": "bigint", "INTEGER": "integer",
             "BOOLEAN": "boolean", "DOUBLE": "double precision", '"NULL"': "text"}


def _dsn_parts(dsn: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in dsn.split())


def _use_postgres(monkeypatch: pytest.MonkeyPatch, dsn: str, home: Path) -> Settings:
    """SCORELINK_DBT_TARGET=postgres with the test server's database; returns the (re)loaded settings."""
    parts = _dsn_parts(dsn)
    monkeypatch.setenv("SCORELINK_HOME", str(home))
    monkeypatch.setenv("SCORELINK_DBT_TARGET", "postgres")
    monkeypatch.setenv("SCORELINK_PG_HOST", parts["host"])
    monkeypatch.setenv("SCORELINK_PG_PORT", parts["port"])
    monkeypatch.setenv("SCORELINK_PG_USER", parts["user"])
    monkeypatch.setenv("SCORELINK_PG_DBNAME", parts["dbname"])
    monkeypatch.setenv("SCORELINK_PG_SSLMODE", "disable")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(autouse=True)
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _copy_to_postgres(duckdb_path: Path, dsn: str, schemas: list[str]) -> None:
    """Every table of SCHEMAS from a DuckDB file into PostgreSQL (same names, plain types)."""
    source = duckdb.connect(str(duckdb_path), read_only=True)
    target = psycopg2.connect(dsn)
    try:
        with target, target.cursor() as cur:
            tables = source.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in "
                f"({', '.join('?' * len(schemas))}) order by 1, 2", schemas).fetchall()
            for schema, table in tables:
                columns = source.execute(
                    "select column_name, data_type from information_schema.columns where table_schema = ? "
                    "and table_name = ? order by ordinal_position", [schema, table]).fetchall()
                ddl = ", ".join(f'"{c}" {_PG_TYPES.get(t, "numeric" if t.startswith("DECIMAL") else "text")}'
                                for c, t in columns)
                cur.execute(f"create schema if not exists {schema}")
                cur.execute(f"create table {schema}.{table} ({ddl})")
                rows = source.execute(f"select * from {schema}.{table}").fetchall()
                if rows:
                    marks = ", ".join(["%s"] * len(columns))
                    cur.executemany(f"insert into {schema}.{table} values ({marks})", rows)
    finally:
        source.close()
        target.close()


def _pg(dsn: str, *statements: str) -> None:
    con = psycopg2.connect(dsn)
    try:
        with con, con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------ settings


def test_duckdb_stays_the_default_target(monkeypatch, tmp_path):
    monkeypatch.delenv("SCORELINK_DBT_TARGET", raising=False)
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path))
    settings = get_settings()
    assert settings.dbt_target == "duckdb"
    assert build_target_landing_asset(settings) is None
    assert mart_reader(settings) is None
    with validation_target(settings) as where:
        assert where is None


@pytest.mark.parametrize(("env", "message"), [
    ({"SCORELINK_DBT_TARGET": "oracle"}, "SCORELINK_DBT_TARGET: Input should be 'duckdb', 'postgres' or 'spark'"),
    ({"SCORELINK_DUCKDB_MEMORY_LIMIT": "lots"}, "SCORELINK_DUCKDB_MEMORY_LIMIT: "),
    ({"SCORELINK_DBT_TARGET": "postgres", "SCORELINK_PG_PORT": "five"}, "SCORELINK_PG_PORT: "),
    ({"SCORELINK_DBT_TARGET": "postgres", "SCORELINK_PG_PORT": "70000"}, "SCORELINK_PG_PORT: "),
    ({"SCORELINK_DBT_TARGET": "postgres", "SCORELINK_PG_SCHEMA": "Marts-1"}, "SCORELINK_PG_SCHEMA: "),
    ({"SCORELINK_DBT_TARGET": "postgres", "SCORELINK_PG_SSLMODE": "maybe"}, "SCORELINK_PG_SSLMODE: "),
    ({"SCORELINK_DBT_TARGET": "spark", "SCORELINK_SPARK_MASTER": "localhost"}, "SCORELINK_SPARK_MASTER: "),
    ({"SCORELINK_DBT_TARGET": "spark", "SCORELINK_SPARK_SHUFFLE_PARTITIONS": "0"},
     "SCORELINK_SPARK_SHUFFLE_PARTITIONS: "),
])
def test_invalid_target_settings_fail_at_load_naming_the_variable(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as err:
        get_settings()
    assert message in str(err.value)


def test_duckdb_memory_limit_caps_the_warehouse_connections_and_dbt(monkeypatch, tmp_path):
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path))
    monkeypatch.setenv("SCORELINK_DUCKDB_MEMORY_LIMIT", "1GB")
    for name in ("SCORELINK_WAREHOUSE", "SCORELINK_LANDING", "DAGSTER_HOME", "SCORELINK_DBT_TARGET"):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    resource = WarehouseResource(path=str(settings.warehouse_path), memory_limit=settings.duckdb_memory_limit)
    with resource.connect() as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"  # 10**9 bytes
    with mock.patch.dict(os.environ):
        settings.export_env()
        assert os.environ["SCORELINK_DUCKDB_MEMORY_LIMIT"] == "1GB"
        shown = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "show", "--inline", "select current_setting('memory_limit') as m",
             "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path",
             str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--output", "json", "--log-format", "json"],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], check=True)
        assert "953.6 MiB" in shown.stdout


def test_target_settings_reach_dbt_through_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path))
    monkeypatch.setenv("SCORELINK_DBT_TARGET", "postgres")
    monkeypatch.setenv("SCORELINK_PG_HOST", "db.example.com")
    monkeypatch.setenv("SCORELINK_PG_PASSWORD", "p@ss word")
    monkeypatch.delenv("SCORELINK_PG_PORT", raising=False)
    monkeypatch.delenv("SCORELINK_PG_DBNAME", raising=False)
    for name in ("SCORELINK_WAREHOUSE", "SCORELINK_LANDING", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    with mock.patch.dict(os.environ):  # export_env writes os.environ: undo all of it, or later tests inherit it
        settings.export_env()
        # defaults are exported too, so the dbt profile and ScoreLink cannot disagree
        assert os.environ["SCORELINK_PG_PORT"] == "5432"
        assert os.environ["SCORELINK_PG_DBNAME"] == "scorelink"
        assert os.environ["SCORELINK_PG_PASSWORD"] == "p@ss word"
    assert "SCORELINK_PG_DBNAME" not in os.environ
    assert "p@ss word" not in repr(settings.postgres)  # a secret, never printed
    url = settings.postgres.sqlalchemy_url("marts")
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    assert (parsed.host, parsed.port, parsed.password, parsed.database) == ("db.example.com", 5432, "p@ss word",
                                                                            "scorelink")
    assert parsed.query["options"] == "-csearch_path=marts"


# ------------------------------------------------------------------------------------------------- graph


def test_postgres_graph_lands_raw_tables_between_ingest_and_dbt_and_gates_the_copy(monkeypatch, tmp_path):
    settings = _use_postgres(monkeypatch, "host=127.0.0.1 port=5432 user=u dbname=d", tmp_path)
    landing = build_target_landing_asset(settings)
    keys = set(landing.keys)
    assert len(keys) == len(raw_tables())
    assert dg.AssetKey(["postgres", "raw", "erp", "sales_orders"]) in keys
    assert dg.AssetKey(["postgres", "raw", "config", "scorecard_kpis"]) in keys
    deps = landing.asset_deps[dg.AssetKey(["postgres", "raw", "erp", "sales_orders"])]
    assert deps == {dg.AssetKey(["raw", "erp", "sales_orders"])}
    assert landing.op.tags["scorelink/writes"] == "warehouse"

    checks = {next(iter(c.check_keys)).name: next(iter(c.check_keys)).asset_key
              for c in build_quality_checks(target="postgres")}
    # a raw table's suite validates the copy dbt reads; a model's suite the model
    assert checks["source_raw_erp__sales_orders"] == dg.AssetKey(["postgres", "raw", "erp", "sales_orders"])
    assert checks["inputs_sales_order_periods"] == dg.AssetKey(["staging", "stg_erp__sales_orders"])
    assert on_target_key(["raw", "hr", "employees"], "duckdb") == dg.AssetKey(["raw", "hr", "employees"])
    # dbt's sources are the landed copies, so the staging models hang below the landing step
    from orchestration.dbt_assets import ScoreLinkTranslator

    source = {"resource_type": "source", "source_name": "erp", "name": "sales_orders"}
    assert ScoreLinkTranslator().get_asset_key(source) == dg.AssetKey(["postgres", "raw", "erp", "sales_orders"])


# ---------------------------------------------------------------------------------- gates on PostgreSQL


def test_source_suite_runs_on_postgres_and_names_the_failing_rows(postgres_dsn, monkeypatch, tmp_path):
    warehouse = build_raw(tmp_path / "warehouse.duckdb", company())
    _copy_to_postgres(warehouse, postgres_dsn, ["raw_hr", "raw_erp", "raw_crm"])
    # planted only on PostgreSQL: the DuckDB copy stays clean, so a pass would mean DuckDB was validated
    _pg(postgres_dsn, "insert into raw_erp.sales_orders (order_id, ordered_at, salesperson_id, currency, status) "
                      "values ('O99', '2024-01-05 10:00', 'E99', 'usd', 'open')")
    settings = _use_postgres(monkeypatch, postgres_dsn, tmp_path)
    spec = SUITES["source_raw_erp__sales_orders"]
    assert run_suite(spec, warehouse, "on-duckdb", docs_dir=False).success
    with validation_target(settings) as where:
        result = run_suite(spec, warehouse, "on-postgres", docs_dir=False, target=where)
    assert not result.success
    failed = {e.description: e for e in result.failed_critical}
    currency = failed["Currency is an ISO 4217 code (it selects the FX rate to the base currency)."]
    assert currency.examples == [{"order_id": "O99", "currency": "usd"}] and currency.unexpected_count == 1
    orphan = next(e for d, e in failed.items() if "is an employee" in d)
    assert orphan.examples == [{"order_id": "O99", "salesperson_id": "E99"}]
    # recorded in the DuckDB warehouse, like every run
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from quality.validation_results where run_id = 'on-postgres' "
                           "and not success").fetchone()[0] == 2
    finally:
        con.close()
    # GX's engines are disposed: no session of the run is left on the server
    leftover = psycopg2.connect(postgres_dsn)
    try:
        with leftover.cursor() as cur:
            cur.execute("select count(*) from pg_stat_activity where datname = current_database() "
                        "and pid <> pg_backend_pid()")
            assert cur.fetchone()[0] == 0
    finally:
        leftover.close()


def test_period_completeness_suite_runs_on_postgres(postgres_dsn, monkeypatch, tmp_path):
    settings = _use_postgres(monkeypatch, postgres_dsn, tmp_path)
    _pg(postgres_dsn, "create schema staging",
        "create table staging.stg_erp__sales_orders (order_id text, ordered_at timestamp)",
        "insert into staging.stg_erp__sales_orders values ('O1', '2024-01-03 09:00'), ('O2', '2024-01-20 09:00'), "
        "('O3', '2024-03-03 09:00'), ('O4', '2024-05-31 23:00')")
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with validation_target(settings) as where:
        result = run_suite(SUITES["inputs_sales_order_periods"], warehouse, "gap", docs_dir=False, target=where)
    [gap] = result.failed_critical
    assert gap.unexpected_count == 2
    assert gap.examples == [{"missing_month": "2024-02-01"}, {"missing_month": "2024-04-01"}]


def test_missing_table_on_postgres_is_a_critical_failure_naming_the_server(postgres_dsn, monkeypatch, tmp_path):
    settings = _use_postgres(monkeypatch, postgres_dsn, tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with validation_target(settings) as where:
        result = run_suite(SUITES["source_raw_hr__employees"], warehouse, "none", docs_dir=False, target=where)
    [missing] = result.failed_critical
    assert missing.type == "ExpectTableToExist"
    assert f"PostgreSQL database {_dsn_parts(postgres_dsn)['dbname']}" in missing.error


def test_dagster_check_on_postgres_blocks_downstream(postgres_dsn, monkeypatch, tmp_path):
    warehouse = build_raw(tmp_path / "warehouse.duckdb", company())
    _copy_to_postgres(warehouse, postgres_dsn, ["raw_hr"])
    _pg(postgres_dsn, "update raw_hr.employees set hire_date = null where employee_id = 'E2'")
    _use_postgres(monkeypatch, postgres_dsn, tmp_path / "home")
    spec = SUITES["source_raw_hr__employees"]
    landed = dg.AssetKey(["postgres", "raw", "hr", "employees"])

    @dg.asset(key=landed)
    def landed_stub() -> None:
        return None

    @dg.asset(deps=[landed])
    def downstream_of_the_gate() -> None:
        return None

    result = dg.materialize([landed_stub, downstream_of_the_gate, build_quality_check(spec, "postgres")],
                            resources={"warehouse": WarehouseResource(path=str(warehouse))}, raise_on_error=False)
    assert not result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.asset_key == landed and evaluation.passed is False
    [hire] = [f for f in evaluation.metadata["failures_json"].value if f["severity"] == "critical"]
    assert hire["examples"] == [{"employee_id": "E2", "hire_date": None}]
    assert "downstream_of_the_gate" not in {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}


# ----------------------------------------------------------------------------------- publish from a target


def _published(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"select * exclude (published_at) from published.{t} order by all").fetchall()
            if t == "score_versions" else con.execute(f"select * from published.{t} order by all").fetchall()
            for t in ("score_versions", "role_scores", "sales_rep_scores")}


def test_publish_reads_the_marts_on_postgres_and_publishes_the_same_rows_as_duckdb(postgres_dsn, monkeypatch,
                                                                                   tmp_path):
    marts = tmp_path / "company.duckdb"
    with duckdb.connect(str(marts)) as con:
        con.execute(MART)
        create_missing_marts(con)
    _copy_to_postgres(marts, postgres_dsn, ["marts", "intermediate"])
    settings = _use_postgres(monkeypatch, postgres_dsn, tmp_path)

    with duckdb.connect(str(marts)) as con:  # the DuckDB way: marts and published in one file
        publish_scores(con, run_id="run-1")
        expected = _published(con)
    store = tmp_path / "published_only.duckdb"  # the target way: no marts in this file at all
    with duckdb.connect(str(store)) as con:
        publish_scores(con, run_id="run-1", read_mart=mart_reader(settings))
        assert _published(con) == expected
        assert [r[0] for r in expected["score_versions"]] == ["2024-01", "2024-02"]
        # a restatement on the server is seen and versioned in the store
        _pg(postgres_dsn, "update marts.fct_sales_rep_monthly_scores set revenue_base = 9500.125, score = 95 "
                          "where employee_id = 'E1' and month = '2024-01-01'")
        results = publish_scores(con, run_id="run-2", read_mart=mart_reader(settings))
        assert [(r.period, r.version, r.published, r.changed_rows) for r in results] == [
            ("2024-01", 2, True, 1), ("2024-02", 1, False, 0)]
        assert con.execute("select revenue_base, score from published.sales_rep_scores_current "
                           "where period = '2024-01' and employee_id = 'E1'").fetchone() == (Decimal("9500.13"), 95.0)


def test_read_mart_returns_arrow_with_the_servers_values(postgres_dsn, monkeypatch, tmp_path):
    settings = _use_postgres(monkeypatch, postgres_dsn, tmp_path)
    _pg(postgres_dsn, "create schema marts",
        "create table marts.t (id text, amount numeric(18, 2), ratio double precision, day date, note text)",
        "insert into marts.t values ('a', 10.05, 0.1, '2024-02-29', null), ('b', null, 1e-12, null, '50%?')")
    table = read_mart(settings, "select * from marts.t where id <> ? order by id", ["z"])
    assert table.to_pylist() == [
        {"id": "a", "amount": Decimal("10.05"), "ratio": 0.1, "day": dt.date(2024, 2, 29), "note": None},
        {"id": "b", "amount": None, "ratio": 1e-12, "day": None, "note": "50%?"}]
    assert read_mart(settings, "select * from marts.t where id = ?", ["none"]).num_rows == 0


# ---------------------------------------------------------------------------------- Spark's Parquet tables


def _spark_warehouse(folder: Path, source: Path) -> None:
    """Lay out DuckDB tables the way Spark keeps managed Parquet tables: <schema>.db/<table>/part-*.parquet."""
    with duckdb.connect(str(source), read_only=True) as con:
        for schema, table in con.execute("select table_schema, table_name from information_schema.tables "
                                         "where table_schema <> 'main'").fetchall():
            out = folder / f"{schema}.db" / table
            out.mkdir(parents=True)
            con.execute(f"copy {schema}.{table} to '{out / 'part-00000.snappy.parquet'}' (format parquet)")


def test_spark_target_reads_and_validates_the_parquet_tables(monkeypatch, tmp_path):
    marts = tmp_path / "company.duckdb"
    with duckdb.connect(str(marts)) as con:
        con.execute(MART)
        create_missing_marts(con)
        con.execute("create schema staging; create table staging.stg_erp__sales_orders as select * from (values "
                    "('O1', timestamp '2024-01-03 09:00'), ('O3', timestamp '2024-03-03 09:00')) t(order_id, ordered_at)")
    _spark_warehouse(tmp_path / "spark" / "warehouse", marts)
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SCORELINK_DBT_TARGET", "spark")
    monkeypatch.setenv("SCORELINK_SPARK_HOME", str(tmp_path / "spark"))
    settings = get_settings()

    with duckdb.connect(str(marts)) as con:
        publish_scores(con, run_id="run-1")
        expected = _published(con)
    with duckdb.connect(str(tmp_path / "store.duckdb")) as con:
        publish_scores(con, run_id="run-1", read_mart=mart_reader(settings))
        assert _published(con) == expected

    views = write_spark_views_file(settings, tmp_path / "views.duckdb")
    assert views.exists()
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with validation_target(settings) as where:
        assert where.kind == "duckdb_views"
        result = run_suite(SUITES["inputs_sales_order_periods"], warehouse, "gap", docs_dir=False, target=where)
    [gap] = result.failed_critical
    assert gap.examples == [{"missing_month": "2024-02-01"}]


# ------------------------------------------------------------------- the whole pipeline on PostgreSQL

EMPLOYEES, MONTHS, SEED = 30, 3, 11
REPO = Path(__file__).resolve().parents[1]


def _run_cli(home: Path, landing: Path, target_env: dict[str, str],
             cwd: Path = REPO) -> tuple[subprocess.CompletedProcess, dict]:
    """`scorelink run` (the job through execute_in_process) in a fresh process, then `scorelink status --json`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SCORELINK_PG_", "SCORELINK_SPARK_"))
           and k not in ("SCORELINK_DBT_TARGET", "SCORELINK_WAREHOUSE", "SCORELINK_LANDING")}
    env |= {"SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "COLUMNS": "250", **target_env}
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--landing", str(landing)], cwd=cwd,
                         env=env, capture_output=True, text=True, timeout=1800)
    status = subprocess.run([sys.executable, "-m", "orchestration.cli", "status", "--json"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    return run, json.loads(status.stdout)


def _new_database(server_dsn: str) -> dict[str, str]:
    """A fresh database on the test server, as SCORELINK_PG_* variables."""
    name = f"pipeline_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(server_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
    finally:
        admin.close()
    parts = _dsn_parts(server_dsn)
    return {"SCORELINK_DBT_TARGET": "postgres", "SCORELINK_PG_HOST": parts["host"], "SCORELINK_PG_PORT": parts["port"],
            "SCORELINK_PG_USER": parts["user"], "SCORELINK_PG_DBNAME": name, "SCORELINK_PG_SSLMODE": "disable"}


def _serving(home: Path, table: str, order: str = "period, version, employee_id") -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(home / "published" / "serving.duckdb"), read_only=True)
    try:
        cur = con.execute(f"select * from published.{table} order by {order}")
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


def _same_value(a, b, column: str = "") -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        # decimal(18, 2) money is equal exactly; the 12-decimal quantities and values of the attribution
        # tables differ in their last digits between engines (DuckDB divides decimals as doubles): money
        # (*_base) to the cent, anything else to 1e-9, as tests/engine_compare.py compares the marts
        return abs(a - b) <= tolerance(column)
    return a == b  # text, integers, dates, flags: exactly


@pytest.fixture(scope="module")
def company_landing(tmp_path_factory) -> Path:
    from ingest.simulator import simulate

    return simulate(tmp_path_factory.mktemp("company"), employees=EMPLOYEES, months=MONTHS, seed=SEED).landing_dir


@pytest.fixture(scope="module")
def duckdb_run(company_landing, tmp_path_factory):
    home = tmp_path_factory.mktemp("home_duckdb")
    run, status = _run_cli(home, company_landing, {})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return home, status


@pytest.mark.slow
def test_postgres_pipeline_publishes_the_same_scores_as_duckdb(company_landing, duckdb_run, postgres_server_dsn,
                                                               tmp_path):
    duck_home, duck_status = duckdb_run
    pg_env = _new_database(postgres_server_dsn)
    pg_home = tmp_path / "home_postgres"
    run, status = _run_cli(pg_home, company_landing, pg_env)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    # the models are on the server, not in the DuckDB warehouse; the gates ran there and passed
    con = psycopg2.connect(postgres_server_dsn.replace(f"dbname={_dsn_parts(postgres_server_dsn)['dbname']}",
                                                       f"dbname={pg_env['SCORELINK_PG_DBNAME']}"))
    try:
        with con.cursor() as cur:
            cur.execute("select count(*) from marts.fct_role_scores")
            server_role_scores = cur.fetchone()[0]
            cur.execute("select count(*) from raw_erp.sales_orders")
            landed_orders = cur.fetchone()[0]
    finally:
        con.close()
    assert server_role_scores > 0
    # the warehouse holds only the publication's copies of the server's marts (target_io.mirror_marts)
    assert next(t["rows"] for t in status["tables"]
                if (t["schema"], t["table"]) == ("marts", "fct_role_scores")) == server_role_scores
    assert not any(t["schema"] in ("staging", "intermediate") and t["table"] != "int_data_window"
                   for t in status["tables"])
    assert landed_orders == next(t["rows"] for t in status["tables"]
                                 if (t["schema"], t["table"]) == ("raw_erp", "sales_orders"))
    gx = [g for g in status["gates"] if g["gate"].startswith("gx:")]
    assert len(gx) == len(SUITES) and all(g["passed"] for g in gx), [g for g in gx if not g["passed"]]

    # the same published periods, and the same rows with the same values
    assert [(p["period"], p["rows"]) for p in status["published"]] == [
        (p["period"], p["rows"]) for p in duck_status["published"]]
    assert len(status["published"]) == MONTHS
    for table in ("role_scores", "sales_rep_scores"):
        columns, expected = _serving(duck_home, table)
        pg_columns, actual = _serving(pg_home, table)
        assert pg_columns == columns
        assert len(actual) == len(expected) > 0
        for want, got in zip(expected, actual, strict=True):
            different = [c for c, a, b in zip(columns, want, got, strict=True) if not _same_value(a, b)]
            assert not different, (table, want[:4], {c: (want[columns.index(c)], got[columns.index(c)])
                                                     for c in different})


@pytest.mark.slow
def test_a_failing_blocking_suite_on_postgres_stops_publication(company_landing, postgres_server_dsn, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(company_landing, landing)
    orders = landing / "erp" / "sales_orders" / "sales_orders_2024-01.csv"
    lines = orders.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    fields = lines[1].split(",")
    fields[header.index("salesperson_id")] = "E99999"  # nobody of that id exists
    lines[1] = ",".join(fields)
    orders.write_text("\n".join(lines) + "\n", encoding="utf-8")

    home = tmp_path / "home"
    run, status = _run_cli(home, landing, _new_database(postgres_server_dsn))
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-4000:]
    out = " ".join(run.stdout.split())
    # the suite ran on the copy in PostgreSQL (the landed asset), and failed there
    assert "check postgres/raw/erp/sales_orders:source_raw_erp__sales_orders failed" in out
    gate = next(g for g in status["gates"] if g["gate"] == "gx:source_raw_erp__sales_orders")
    assert not gate["passed"]
    assert fields[0] in json.dumps(gate["failures"])
    assert status["published"] == []
    assert not (home / "published" / "serving.duckdb").exists()


# ------------------------------------------------------------------------- the whole pipeline on Spark


@pytest.mark.slow
@pytest.mark.spark
def test_spark_pipeline_publishes_the_same_scores_as_duckdb(company_landing, duckdb_run, tmp_path):
    """The scorelink_pipeline job on the spark target (session mode): landing, dbt, gates, publish.

    Costs a Spark session per dbt call (landing, three dbt builds) and about a second per dbt node: several
    minutes on an idle 2-core machine. pytest runs tests one at a time (no xdist), so no other Spark
    session competes for the CPU or for a metastore.
    """
    duck_home, duck_status = duckdb_run
    home = tmp_path / "home_spark"
    workdir = tmp_path / "cwd"  # the process's working folder: Spark must write nothing here
    workdir.mkdir()
    run, status = _run_cli(home, company_landing, {"SCORELINK_DBT_TARGET": "spark"}, cwd=workdir)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    # everything Spark keeps is under SCORELINK_HOME/spark (the default SCORELINK_SPARK_HOME)
    spark_home = home / "spark"
    assert (spark_home / "metastore_db").is_dir()
    assert sorted(p.name for p in workdir.iterdir()) == []  # no metastore_db, spark-warehouse or derby.log
    tables = spark_home / "warehouse"
    assert any((tables / "marts.db" / "fct_role_scores").rglob("*.parquet"))
    # staging is materialized as tables on Spark: the gates read their Parquet files
    assert any((tables / "staging.db" / "stg_erp__sales_orders").rglob("*.parquet"))
    assert any((spark_home / "landed" / "raw_erp" / "sales_orders").rglob("*.parquet"))
    gx = [g for g in status["gates"] if g["gate"].startswith("gx:")]
    assert len(gx) == len(SUITES) and all(g["passed"] for g in gx), [g for g in gx if not g["passed"]]
    # the warehouse holds only the publication's copies of Spark's marts (target_io.mirror_marts)
    assert not any(t["schema"] in ("staging", "intermediate") and t["table"] != "int_data_window"
                   for t in status["tables"])

    # the same published periods, and every published table (scores, incentives, attribution) the same
    assert [(p["period"], p["rows"]) for p in status["published"]] == [
        (p["period"], p["rows"]) for p in duck_status["published"]]
    assert len(status["published"]) == MONTHS
    compared = 0
    for published in PUBLISHED_TABLES:
        order = "period, version" + "".join(f", {k}" for k in published.key)
        columns, expected = _serving(duck_home, published.name, order)
        spark_columns, actual = _serving(home, published.name, order)
        assert spark_columns == columns
        assert len(actual) == len(expected)
        compared += len(expected)
        for want, got in zip(expected, actual, strict=True):
            different = [c for c, a, b in zip(columns, want, got, strict=True) if not _same_value(a, b, c)]
            assert not different, (published.name, want[:4], {c: (want[columns.index(c)], got[columns.index(c)])
                                                               for c in different})
    assert compared > 0 and len(_serving(home, "role_scores")[1]) > 0
