"""Great Expectations quality gates: suite files, the runner over DuckDB, recorded results, Dagster checks.

Every test builds its own small DuckDB warehouse in a temporary folder: raw tables from the landing
contracts' DDL, and hand-built staging/intermediate/mart tables where a suite needs them. One slow test
builds the real dbt project over a small company and runs every suite on it.
"""

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dbt_runs import run_dbt

from expectations.runner import (
    EXPECTATIONS_DIR,
    SuiteFileError,
    build_expectation,
    default_suites,
    latest_results,
    load_suites,
    run_suite,
    validate,
)
from ingest.contract import default_contracts
from orchestration.quality_checks import build_quality_check, build_quality_checks, check_result
from orchestration.warehouse import WarehouseResource

REPO = EXPECTATIONS_DIR.parent
SUITES = {s.suite: s for s in default_suites()}

# A small company: two sales reps (one leaves in February), a general manager, orders January to March.
COMPANY = {
    "hr.departments": [
        dict(department_id="D0", department_name="Board", function="executive", region="hq"),
        dict(
            department_id="D1",
            parent_department_id="D0",
            department_name="Sales North",
            function="sales",
            region="north",
        ),
    ],
    "hr.employees": [
        dict(
            employee_id="E1",
            full_name="Ann",
            hire_date=dt.date(2023, 1, 1),
            country="CN",
            timezone="Asia/Shanghai",
        ),
        dict(
            employee_id="E2",
            full_name="Bo",
            hire_date=dt.date(2023, 6, 1),
            country="CN",
            timezone="Asia/Shanghai",
        ),
        dict(
            employee_id="E3",
            full_name="Cy",
            hire_date=dt.date(2024, 1, 10),
            termination_date=dt.date(2024, 2, 20),
            termination_reason="resignation",
            country="CN",
            timezone="Asia/Shanghai",
        ),
    ],
    "hr.job_assignments": [
        dict(
            assignment_id="A1",
            employee_id="E1",
            valid_from=dt.date(2023, 1, 1),
            department_id="D0",
            role="general_manager",
            region="hq",
            grade="M5",
        ),
        dict(
            assignment_id="A2",
            employee_id="E2",
            valid_from=dt.date(2023, 6, 1),
            department_id="D1",
            role="sales_rep",
            manager_id="E1",
            region="north",
            grade="P3",
        ),
        dict(
            assignment_id="A3",
            employee_id="E3",
            valid_from=dt.date(2024, 1, 10),
            department_id="D1",
            role="sales_rep",
            manager_id="E1",
            region="north",
            grade="P2",
        ),
    ],
    "hr.individual_targets": [
        dict(employee_id=e, kpi="revenue", month=m, target_value=1000, scope="individual")
        for e, months in (("E2", ["2024-01", "2024-02", "2024-03"]), ("E3", ["2024-01", "2024-02"]))
        for m in months
    ],
    "crm.customers": [
        dict(
            customer_id="C1",
            customer_name="Acme",
            owner_employee_id="E2",
            region="north",
            channel="offline",
            created_at=dt.datetime(2023, 1, 5),
        ),
    ],
    "erp.products": [
        dict(
            sku="S1",
            product_name="Widget",
            category="parts",
            unit_cost=5,
            list_price=10,
            currency="CNY",
            launch_date=dt.date(2022, 1, 1),
            owner_salesperson_id="E2",
            safety_days=7,
        ),
    ],
    "erp.fx_rates": [
        dict(rate_date=dt.date(2023, 12, 29), currency="USD", rate_to_base=7.1),
        dict(rate_date=dt.date(2024, 2, 1), currency="USD", rate_to_base=7.2),
    ],
    "erp.sales_orders": [
        dict(
            order_id=o,
            customer_id="C1",
            salesperson_id=e,
            ordered_at=dt.datetime(2024, m, 3, 9),
            shipped_at=dt.datetime(2024, m, 5, 9),
            channel="offline",
            region="north",
            currency=cur,
            status="shipped",
        )
        for o, e, m, cur in (
            ("O1", "E2", 1, "CNY"),
            ("O2", "E3", 1, "USD"),
            ("O3", "E2", 2, "CNY"),
            ("O4", "E3", 2, "CNY"),
            ("O5", "E2", 3, "USD"),
        )
    ],
    "erp.sales_order_lines": [
        dict(order_id=o, line_number=1, sku="S1", quantity=q, unit_price=10, unit_cost=5)
        for o, q in (("O1", 90), ("O2", 20), ("O3", 150), ("O4", 50), ("O5", 10))
    ],
}


def company() -> dict[str, list[dict]]:
    return copy.deepcopy(COMPANY)


def build_raw(path: Path, rows: dict[str, list[dict]]) -> Path:
    """Every raw table of the landing contract (contract DDL), filled with rows, plus lineage columns."""
    con = duckdb.connect(str(path))
    try:
        for name, contract in default_contracts().items():
            con.execute(f"create schema if not exists {contract.raw_schema}")
            con.execute(contract.create_table_sql())
            for i, row in enumerate(rows.get(name, []), start=1):
                values = {c: row.get(c) for c in contract.column_names}
                values |= {
                    "_batch_id": "b1",
                    "_source_file": f"{contract.source}/{contract.entity}/f.csv",
                    "_source_row": i + 1,
                    "_loaded_at": dt.datetime(2024, 4, 1, 12),
                    "_row_hash": f"h{i}",
                }
                cols = ", ".join(f'"{c}"' for c in values)
                con.execute(
                    f"insert into {contract.raw_table} ({cols}) values ({', '.join('?' * len(values))})",
                    list(values.values()),
                )
    finally:
        con.close()
    return path


def sql(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return build_raw(tmp_path / "warehouse.duckdb", company())


@pytest.fixture
def docs(tmp_path) -> Path:
    return tmp_path / "data_docs"


def failing(result, type_: str | None = None, description_part: str | None = None):
    found = [
        e
        for e in result.expectations
        if not e.success
        and (type_ is None or e.type == type_)
        and (description_part is None or description_part in (e.description or ""))
    ]
    return found


# ------------------------------------------------------------------------------------------ suite files


def test_every_suite_file_loads_and_builds_gx_expectations():
    suites = load_suites(EXPECTATIONS_DIR)
    assert {s.family for s in suites} >= {"sources", "metric_inputs", "publish"}
    assert (EXPECTATIONS_DIR / "migration" / "README.md").exists()
    for spec in suites:
        for i, expectation in enumerate(spec.expectations):
            build_expectation(expectation, i)  # GX accepts the type and kwargs
    tables = {s.table for s in suites}
    for entity in (
        "hr.employees",
        "hr.job_assignments",
        "hr.departments",
        "hr.individual_targets",
        "erp.sales_orders",
        "erp.sales_order_lines",
        "erp.products",
        "erp.fx_rates",
        "crm.customers",
    ):
        source, name = entity.split(".")
        assert f"raw_{source}.{name}" in tables, f"no source suite on raw_{source}.{name}"
        assert f"staging.stg_{source}__{name}" in tables, f"no key-uniqueness suite on stg_{source}__{name}"
    assert "marts.fct_sales_rep_monthly_scores" in tables
    assert "intermediate.int_employee_role_days" in tables


def _model_exists(name: str) -> bool:
    return any((REPO / "dbt_project" / "models").rglob(f"{name}.sql"))


def test_every_suite_names_an_asset_that_exists_and_matches_its_table():
    from orchestration.dbt_assets import ScoreLinkTranslator

    contracts = default_contracts()
    translator = ScoreLinkTranslator()
    for spec in default_suites():
        for key in [spec.asset_key, *spec.depends_on]:
            if key[0] == "raw":
                assert f"{key[1]}.{key[2]}" in contracts, f"{spec.source_file}: no contract for asset {key}"
            else:
                schema, model = key
                assert _model_exists(model), f"{spec.source_file}: no dbt model {model}"
                props = {"resource_type": "model", "name": model, "config": {"schema": schema}, "meta": {}}
                assert translator.get_asset_key(props).path == key
        if spec.asset_key[0] == "raw":
            assert spec.table == f"raw_{spec.asset_key[1]}.{spec.asset_key[2]}"
        else:
            assert spec.table == ".".join(spec.asset_key)


HEAD = "suite: x\ntable: raw_hr.employees\nasset_key: [raw, hr, employees]\ndescription: d\n"
NOT_NULL = "expectations:\n  - type: ExpectColumnValuesToNotBeNull\n    kwargs: {column: a}\n"
FIRST = "expectations[0](ExpectColumnValuesToNotBeNull)"


def _rows_query(query: str) -> str:
    return (
        f"expectations:\n  - type: UnexpectedRowsExpectation\n    kwargs:\n"
        f'      unexpected_rows_query: "{query}"\n    severity: warning\n'
    )


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (HEAD + NOT_NULL, f"{FIRST}.severity", "Field required"),
        (HEAD + NOT_NULL + "    severity: blocker\n", f"{FIRST}.severity", "critical"),
        (
            HEAD.replace("raw_hr.employees", "employees") + NOT_NULL + "    severity: warning\n",
            "table",
            "pattern",
        ),
        (
            HEAD
            + "expectations:\n  - type: ExpectColumnValuesToMatchRegex\n    kwargs: {column: a, regex: x}\n"
            "    severity: warning\n",
            "expectations[0](ExpectColumnValuesToMatchRegex).type",
            "regexp_full_match",
        ),
        (
            HEAD + _rows_query("select * from {batch} where not regexp_full_match(country, '[A-Z]{2}')"),
            "expectations[0](UnexpectedRowsExpectation)",
            "double",
        ),
        (
            HEAD + _rows_query("select e.employee_id from {batch} as e where e.country is null"),
            "expectations[0](UnexpectedRowsExpectation)",
            "JOIN",
        ),
        (HEAD + "owner: me\n" + NOT_NULL + "    severity: warning\n", "owner", "Extra inputs"),
        (
            HEAD
            + NOT_NULL.replace("{column: a}", "{column: a, severity: critical}")
            + "    severity: warning\n",
            FIRST,
            "severity",
        ),
        ("- just a list\n", None, "must be a mapping"),
        ("suite: [unclosed\n", None, "not valid YAML"),
    ],
)
def test_invalid_suite_file_fails_naming_the_file_and_the_field(tmp_path, text, field, message):
    path = tmp_path / "sources" / "broken_suite.yml"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(SuiteFileError) as err:
        load_suites(tmp_path)
    assert str(path) in str(err.value)
    if field:
        assert f"field '{field}" in str(err.value)
    assert message in str(err.value)


def test_duplicate_suite_names_fail_naming_both_files(tmp_path):
    text = (EXPECTATIONS_DIR / "sources" / "raw_hr__employees.yml").read_text()
    (tmp_path / "a.yml").write_text(text)
    (tmp_path / "b.yml").write_text(text)
    with pytest.raises(SuiteFileError, match=r"b\.yml: field 'suite'.*already used by .*a\.yml"):
        load_suites(tmp_path)


# -------------------------------------------------------------------------------------------- running


def test_clean_table_passes(warehouse, docs):
    result = run_suite(SUITES["source_raw_hr__employees"], warehouse, "run-clean", docs_dir=docs)
    assert result.success, [e for e in result.expectations if not e.success]
    assert all(e.success for e in result.expectations)
    assert not result.failed_critical and not result.failed_warnings
    not_null = next(e for e in result.expectations if e.type == "ExpectColumnValuesToNotBeNull")
    assert (not_null.unexpected_count, not_null.element_count) == (0, 3)


def test_duplicated_key_fails_the_uniqueness_expectation_with_the_key_in_the_examples(tmp_path, docs):
    path = tmp_path / "w.duckdb"
    sql(
        path,
        "create schema staging",
        "create table staging.stg_erp__sales_orders as "
        "select * from (values ('O1', timestamp '2024-01-03 09:00'), ('O2', timestamp '2024-02-03 09:00'), "
        "('O3', timestamp '2024-03-03 09:00'), ('O3', timestamp '2024-03-04 09:00')) "
        "as t(order_id, ordered_at)",
    )
    result = run_suite(SUITES["source_stg_erp__sales_orders"], path, "run-dup", docs_dir=docs)
    assert not result.success
    [dup] = result.failed_critical
    assert dup.type == "UnexpectedRowsExpectation" and "One row per key" in dup.description
    assert dup.unexpected_count == 1
    assert dup.examples == [{"order_id": "O3", "copies": 2}]
    assert dup.element_count == 4
    # the ready query returns the duplicated key
    assert duckdb.connect(str(path)).execute(dup.query).fetchall() == [("O3", 2)]
    not_null = next(e for e in result.expectations if e.type == "ExpectColumnValuesToNotBeNull")
    assert not_null.success


def test_orphan_employee_in_job_assignments_fails_referential_integrity(warehouse, docs):
    sql(
        warehouse,
        "insert into raw_hr.job_assignments (assignment_id, employee_id, valid_from, department_id, role, "
        "region, grade) values ('A9', 'E9', date '2024-01-01', 'D1', 'sales_rep', 'north', 'P1')",
    )
    result = run_suite(SUITES["source_raw_hr__job_assignments"], warehouse, "run-orphan", docs_dir=docs)
    assert not result.success
    [orphan] = result.failed_critical
    assert "referential integrity" in orphan.description
    assert orphan.unexpected_count == 1
    assert orphan.examples == [{"assignment_id": "A9", "employee_id": "E9"}]
    assert orphan.element_count == 4
    assert duckdb.connect(str(warehouse)).execute(orphan.query).fetchall() == [("A9", "E9")]
    assert not result.failed_warnings


def test_missing_month_fails_period_completeness(tmp_path, docs):
    path = tmp_path / "w.duckdb"
    sql(
        path,
        "create schema staging",
        "create table staging.stg_erp__sales_orders as select * from (values "
        "('O1', timestamp '2024-01-03 09:00'), ('O2', timestamp '2024-01-20 09:00'), "
        "('O3', timestamp '2024-03-03 09:00'), ('O4', timestamp '2024-05-31 23:00')) "
        "as t(order_id, ordered_at)",
    )
    result = run_suite(SUITES["inputs_sales_order_periods"], path, "run-gap", docs_dir=docs)
    assert not result.success
    [gap] = result.failed_critical
    assert gap.unexpected_count == 2
    assert gap.examples == [{"missing_month": "2024-02-01"}, {"missing_month": "2024-04-01"}]

    sql(
        path,
        "insert into staging.stg_erp__sales_orders values ('O5', timestamp '2024-02-10 10:00'), "
        "('O6', timestamp '2024-04-10 10:00')",
    )
    assert run_suite(SUITES["inputs_sales_order_periods"], path, "run-no-gap", docs_dir=docs).success


def test_warning_only_failure_keeps_the_suite_passing(warehouse, docs):
    sql(warehouse, "update raw_hr.employees set country = 'China' where employee_id = 'E2'")
    result = run_suite(SUITES["source_raw_hr__employees"], warehouse, "run-warn", docs_dir=docs)
    assert result.success
    assert not result.failed_critical
    [warning] = result.failed_warnings
    assert warning.severity == "warning" and warning.unexpected_count == 1
    assert warning.examples == [{"employee_id": "E2", "country": "China"}]
    # Dagster: passed, severity WARN, the warning listed in the metadata
    check = check_result(result)
    assert check.passed is True
    assert check.severity == dg.AssetCheckSeverity.WARN
    listed = check.metadata["failures_json"].value
    assert [f["severity"] for f in listed] == ["warning"] and listed[0]["table"] == "raw_hr.employees"


def test_column_expectation_failures_carry_key_examples_and_a_ready_query(warehouse, docs):
    sql(
        warehouse,
        "update raw_erp.sales_orders set status = 'lost' where order_id = 'O2'",
        "update raw_erp.sales_orders set salesperson_id = null where order_id = 'O4'",
        "update raw_erp.sales_orders set shipped_at = timestamp '2024-01-01 00:00' where order_id = 'O1'",
    )
    result = run_suite(SUITES["source_raw_erp__sales_orders"], warehouse, "run-cols", docs_dir=docs)
    assert not result.success
    by_type = {(e.type, e.kwargs.get("column") or e.kwargs.get("column_A")): e for e in failing(result)}
    status = by_type[("ExpectColumnValuesToBeInSet", "status")]
    assert status.unexpected_count == 1
    assert status.examples == [{"order_id": "O2", "status": "lost"}]
    null_rep = by_type[("ExpectColumnValuesToNotBeNull", "salesperson_id")]
    assert null_rep.examples == [{"order_id": "O4", "salesperson_id": None}]
    early = by_type[("ExpectColumnPairValuesAToBeGreaterThanB", "shipped_at")]
    assert early.severity == "warning" and early.unexpected_count == 1
    con = duckdb.connect(str(warehouse))
    for failure in (status, null_rep, early):  # each ready query returns exactly the failing rows
        rows = con.execute(failure.query).fetchall()
        assert len(rows) == failure.unexpected_count, failure.query
    assert [r[0] for r in con.execute(status.query).fetchall()] == ["O2"]
    con.close()


def test_missing_table_is_a_critical_failure(tmp_path, docs):
    path = tmp_path / "w.duckdb"
    sql(path, "create table t (i int)")
    result = run_suite(SUITES["publish_sales_rep_monthly_scores"], path, "run-missing", docs_dir=docs)
    assert not result.success
    [missing] = result.expectations
    assert missing.type == "ExpectTableToExist" and "marts.fct_sales_rep_monthly_scores" in missing.error


def _scores_table(path: Path, rows: list[tuple]) -> None:
    sql(
        path,
        "create schema if not exists marts",
        "create table marts.fct_sales_rep_monthly_scores (employee_id varchar, month date, "
        "days_as_sales_rep bigint, "
        "revenue_base decimal(28,6), quota_base decimal(28,6), quota_attainment decimal(28,6), "
        "score decimal(28,6), order_count bigint, line_count bigint)",
    )
    con = duckdb.connect(str(path))
    con.executemany("insert into marts.fct_sales_rep_monthly_scores values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


def test_publish_suite_catches_duplicates_out_of_range_scores_and_inconsistent_attainment(tmp_path, docs):
    path = tmp_path / "w.duckdb"
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    _scores_table(
        path,
        [
            ("E2", jan, 31, 900, 1000, 0.9, 90, 1, 1),
            ("E2", jan, 31, 900, 1000, 0.9, 90, 1, 1),  # duplicated employee-month
            ("E3", jan, 22, 1500, 1000, 1.5, 150, 1, 1),  # score above 120 and not capped
            ("E2", feb, 29, 800, 1000, 0.5, 50, 1, 1),  # attainment does not match revenue / quota
        ],
    )
    sql(
        path,
        "create schema intermediate",
        "create table intermediate.int_employee_role_days as select * from (values "
        "('E2', date '2024-01-01', 'sales_rep'), ('E3', date '2024-01-01', 'sales_rep'), "
        "('E2', date '2024-02-01', 'sales_rep')) as t(employee_id, month, role)",
        "create table intermediate.int_sales_order_lines_converted as select * from (values "
        "('E2', date '2024-01-01', 1800.0, true), ('E3', date '2024-01-01', 1500.0, true), "
        "('E2', date '2024-02-01', 800.0, true)) "
        "as t(salesperson_id, revenue_month, net_revenue_base, is_shipped)",
    )
    result = run_suite(SUITES["publish_sales_rep_monthly_scores"], path, "run-publish", docs_dir=docs)
    assert not result.success
    dup = next(e for e in result.failed_critical if "One row per employee and month" in (e.description or ""))
    assert dup.unexpected_count == 1 and dup.examples == [
        {"employee_id": "E2", "month": "2024-01-01", "copies": 2}
    ]
    score_range = next(e for e in result.failed_critical if e.type == "ExpectColumnValuesToBeBetween")
    assert score_range.kwargs["column"] == "score" and score_range.unexpected_count == 1
    assert score_range.examples == [{"employee_id": "E3", "month": "2024-01-01", "score": 150.0}]
    attainment = next(e for e in result.failed_critical if "quota_attainment =" in (e.description or ""))
    assert [x["employee_id"] for x in attainment.examples] == ["E2"] and attainment.unexpected_count == 1
    formula = next(
        e for e in result.failed_critical if "floored at 0 and capped at 120" in (e.description or "")
    )
    assert [x["employee_id"] for x in formula.examples] == ["E3"]


def test_lock_is_free_after_a_run(warehouse):
    run_suite(SUITES["source_raw_hr__job_assignments"], warehouse, "run-lock", docs_dir=False, record=False)
    con = duckdb.connect(str(warehouse))  # read-write, same process: fails if GX still holds the file
    con.execute("create table lock_probe as select 1 as x")
    con.close()
    # and from another process, which needs the OS-level lock
    code = f"import duckdb; c = duckdb.connect({str(warehouse)!r}); c.execute('create table p2 (i int)')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_runs_while_this_process_holds_the_warehouse_open(warehouse):
    con = duckdb.connect(str(warehouse))  # e.g. a step that keeps its connection: GX shares it read-write
    try:
        result = run_suite(SUITES["source_raw_hr__departments"], warehouse, "run-shared", docs_dir=False)
        assert result.success
        assert con.execute("select count(*) from quality.validation_results").fetchone()[0] == len(
            result.expectations
        )
    finally:
        con.close()


def test_waits_while_another_process_writes_the_warehouse(warehouse):
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(warehouse)!r})\n"
        "print('locked', flush=True)\n"
        "time.sleep(2)\n"
        "con.close()\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        result = run_suite(SUITES["source_raw_hr__departments"], warehouse, "run-wait", docs_dir=False)
    finally:
        writer.wait(timeout=60)
    assert result.success


def test_an_expectation_that_errors_is_a_failure_with_the_error(warehouse):
    spec = SUITES["source_raw_hr__departments"].model_copy(deep=True)
    spec.expectations[1].kwargs["column"] = "no_such_column"
    result = run_suite(spec, warehouse, "run-error", docs_dir=False)
    assert not result.success
    [broken] = result.failed_critical
    assert broken.error and "no_such_column" in broken.error


def test_a_custom_query_that_errors_is_a_failure_with_the_error(warehouse):
    spec = SUITES["source_raw_hr__departments"].model_copy(deep=True)
    rows_query = next(e for e in spec.expectations if e.type == "UnexpectedRowsExpectation")
    rows_query.kwargs["unexpected_rows_query"] = "select no_such_column from {batch}"
    result = run_suite(spec, warehouse, "run-sql-error", docs_dir=False)
    [broken] = [e for e in result.expectations if not e.success]
    assert broken.severity == "warning" and result.success
    assert broken.error and "no_such_column" in broken.error


def test_duckdb_shim_is_needed_and_used(warehouse):
    """great_expectations issue 11579: without one persistent connection, standard expectations fail."""
    import great_expectations as gx

    from expectations.duckdb_compat import connection_string, duckdb_datasource, shim_types

    # Without the shim: a plain GX SQL datasource over duckdb-engine loses the rows of every metric query.
    sql(warehouse, "create table main.employees_probe as select * from raw_hr.employees")
    context = gx.get_context(mode="ephemeral")
    plain = context.data_sources.add_sql(name="plain", connection_string=connection_string(warehouse))
    batch = (
        plain.add_table_asset(name="employees", table_name="employees_probe")
        .add_batch_definition_whole_table("all")
        .get_batch()
    )
    result = batch.validate(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    plain.get_execution_engine().close()
    plain.get_engine().dispose()
    assert not result.success
    assert "list index out of range" in json.dumps(result.exception_info, default=str), (
        "GX over duckdb-engine no longer loses metric rows: great_expectations 11579 may be fixed upstream; "
        "expectations/duckdb_compat.py may be simplified"
    )

    # With the shim: the same expectation works, on one connection kept for the engine's life.
    engine_type, _ = shim_types()
    context = gx.get_context(mode="ephemeral")
    with duckdb_datasource(context, "shimmed", warehouse, "raw_hr") as datasource:
        engine = datasource.get_execution_engine()
        assert isinstance(engine, engine_type)
        batch = (
            datasource.add_table_asset(name="employees", table_name="employees")
            .add_batch_definition_whole_table("all")
            .get_batch()
        )
        result = batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="employee_id"))
        assert result.success and result.result["element_count"] == 3
        with engine.get_connection() as first, engine.get_connection() as second:
            assert first is second
    assert engine._connection is None  # released on exit


def test_results_are_recorded_and_latest_results_gives_the_latest_run_per_suite(warehouse, docs):
    employees, targets = SUITES["source_raw_hr__employees"], SUITES["source_raw_hr__individual_targets"]
    run_suite(employees, warehouse, "run-1", docs_dir=docs)
    sql(warehouse, "update raw_hr.individual_targets set target_value = -5 where month = '2024-03'")
    run_suite(targets, warehouse, "run-1", docs_dir=docs)
    sql(warehouse, "update raw_hr.employees set hire_date = null where employee_id = 'E3'")
    run_suite(employees, warehouse, "run-2", docs_dir=docs)

    con = duckdb.connect(str(warehouse))
    rows = con.execute(
        "select suite, run_id, count(*) from quality.validation_results group by all order by all"
    ).fetchall()
    assert rows == [
        ("source_raw_hr__employees", "run-1", len(employees.expectations)),
        ("source_raw_hr__employees", "run-2", len(employees.expectations)),
        ("source_raw_hr__individual_targets", "run-1", len(targets.expectations)),
    ]
    columns = {r[0] for r in con.execute("describe quality.validation_results").fetchall()}
    assert columns >= {
        "suite",
        "table_name",
        "expectation",
        "severity",
        "success",
        "unexpected_count",
        "element_count",
        "examples",
        "query",
        "run_id",
        "validated_at",
    }
    latest = {r["suite"]: r for r in latest_results(con)}
    con.close()
    assert latest["source_raw_hr__employees"]["run_id"] == "run-2"
    assert latest["source_raw_hr__employees"]["success"] is False
    [hire] = latest["source_raw_hr__employees"]["failures"]
    assert (hire["severity"], hire["unexpected_count"]) == ("critical", 1)
    assert hire["examples"] == [{"employee_id": "E3", "hire_date": None}]
    assert "hire_date" in hire["query"]
    negative = latest["source_raw_hr__individual_targets"]["failures"]
    assert [f["unexpected_count"] for f in negative] == [1]
    # Data Docs: one site, every suite and run in its index
    index = (docs / "index.html").read_text()
    assert "source_raw_hr__employees" in index and "source_raw_hr__individual_targets" in index
    assert len(list((docs / "validations" / "source_raw_hr__employees").iterdir())) == 2


def test_data_docs_keep_the_latest_runs_of_each_suite(warehouse, docs, monkeypatch):
    monkeypatch.setattr("expectations.runner.DATA_DOCS_KEEP_RUNS", 2)
    for run in ("r1", "r2", "r3"):
        run_suite(SUITES["source_raw_hr__departments"], warehouse, run, docs_dir=docs)
    assert sorted(p.name for p in (docs / "validations" / "source_raw_hr__departments").iterdir()) == [
        "r2",
        "r3",
    ]
    con = duckdb.connect(str(warehouse))  # the warehouse keeps every run
    assert con.execute("select count(distinct run_id) from quality.validation_results").fetchone()[0] == 3
    con.close()


def test_latest_results_without_results_table_is_empty(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    assert latest_results(con) == []
    con.close()


def test_validate_runs_one_suite_by_name_and_rejects_unknown_names(warehouse, docs):
    [result] = validate("source_raw_hr__departments", warehouse, "cli-1", docs_dir=docs)
    assert result.suite == "source_raw_hr__departments" and result.success
    with pytest.raises(KeyError, match="no suite named 'nope'.*source_raw_hr__employees"):
        validate("nope", warehouse, "cli-2", docs_dir=docs)


# ------------------------------------------------------------------------------------------- Dagster


def test_one_blocking_check_per_suite_on_its_asset():
    checks = build_quality_checks()
    keys = {key for c in checks for key in c.check_keys}
    assert {k.name for k in keys} == set(SUITES)
    for c in checks:
        [spec] = c.check_specs
        assert spec.blocking
        assert spec.asset_key.path == SUITES[spec.name].asset_key
        assert "warehouse" in c.required_resource_keys
    ja = next(c for c in checks if next(iter(c.check_keys)).name == "source_raw_hr__job_assignments")
    deps = {d.asset_key.path[-1] for d in next(iter(ja.check_specs)).additional_deps}
    assert deps == {"employees", "departments"}


def _run_check_with_downstream(spec, warehouse: Path):
    @dg.asset(key=spec.asset_key)
    def checked_stub() -> None:  # the table is already in the warehouse
        return None

    @dg.asset(key=["downstream_of_the_gate"], deps=[dg.AssetKey(spec.asset_key)])
    def downstream() -> None:
        return None

    return dg.materialize(
        [checked_stub, downstream, build_quality_check(spec)],
        resources={"warehouse": WarehouseResource(path=str(warehouse))},
        raise_on_error=False,
    )


def test_dagster_check_fails_on_a_critical_failure_and_blocks_downstream(warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path / "home"))
    sql(warehouse, "update raw_hr.employees set hire_date = null where employee_id = 'E2'")
    result = _run_check_with_downstream(SUITES["source_raw_hr__employees"], warehouse)
    assert not result.success  # a blocking check failing with ERROR fails the run
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "source_raw_hr__employees"
    assert evaluation.passed is False
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "downstream_of_the_gate" not in materialized
    listed = evaluation.metadata["failures_json"].value
    [hire] = [f for f in listed if f["severity"] == "critical"]
    assert hire["table"] == "raw_hr.employees" and hire["unexpected_count"] == 1
    assert hire["examples"] == [{"employee_id": "E2", "hire_date": None}]
    assert hire["query"] == 'select * from raw_hr.employees where "hire_date" is null'
    assert "all failing rows" in evaluation.metadata["failures"].value
    assert (tmp_path / "home" / "reports" / "data_docs" / "index.html").exists()


def test_dagster_check_with_only_warnings_passes_and_does_not_block(warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path / "home"))
    sql(warehouse, "update raw_hr.employees set termination_reason = 'moved' where employee_id = 'E3'")
    result = _run_check_with_downstream(SUITES["source_raw_hr__employees"], warehouse)
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed is True and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["warning_failures"].value == 1
    assert evaluation.metadata["critical_failures"].value == 0
    [warning] = evaluation.metadata["failures_json"].value
    assert warning["examples"] == [{"employee_id": "E3", "termination_reason": "moved"}]
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "downstream_of_the_gate" in materialized


# --------------------------------------------------------------------------- the real dbt project


def _models_the_suites_read() -> list[str]:
    models = set()
    for spec in default_suites():
        models |= {key[-1] for key in [spec.asset_key, *spec.depends_on] if key[0] != "raw"}
        for e in spec.expectations:
            query = e.kwargs.get("unexpected_rows_query", "")
            models |= set(re.findall(r"\b(?:staging|intermediate|marts)\.(\w+)", query))
    return sorted(models)


def _dbt(warehouse: Path, tmp_path: Path) -> None:
    """Build the models the suites read (and their parents) with the real dbt project, as a subprocess."""
    done = run_dbt(warehouse, tmp_path, "run", "--select", *[f"+{m}" for m in _models_the_suites_read()])
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.slow
def test_every_suite_passes_on_a_clean_small_company_built_by_dbt_and_catches_planted_errors(tmp_path):
    path = build_raw(tmp_path / "warehouse.duckdb", company())
    _dbt(path, tmp_path)
    results = validate(None, path, "clean", docs_dir=tmp_path / "docs")
    assert len(results) == len(SUITES)
    problems = {
        r.suite: [(e.type, e.description, e.examples, e.error) for e in r.expectations if not e.success]
        for r in results
    }
    assert not any(problems.values()), problems

    # Plant errors: a sales rep without any assignment in March, and no order in February.
    rows = company()
    rows["hr.job_assignments"][1]["valid_to"] = dt.date(2024, 2, 29)
    rows["erp.sales_orders"] = [o for o in rows["erp.sales_orders"] if o["ordered_at"].month != 2]
    broken = build_raw(tmp_path / "broken.duckdb", rows)
    _dbt(broken, tmp_path)
    by_suite = {r.suite: r for r in validate(None, broken, "broken", docs_dir=tmp_path / "docs")}
    [unassigned] = failing(
        by_suite["inputs_employee_role_days"], description_part="each month they were employed"
    )
    assert unassigned.examples == [{"employee_id": "E2", "month": "2024-03-01"}]
    assert not by_suite["inputs_employee_role_days"].success
    [gap] = failing(by_suite["inputs_sales_order_periods"])
    assert gap.examples == [{"missing_month": "2024-02-01"}]
    assert by_suite["source_raw_hr__job_assignments"].success


def test_no_stray_files(tmp_path):
    """Running suites writes only into the warehouse and the Data Docs folder given."""
    path = build_raw(tmp_path / "w.duckdb", company())
    run_suite(SUITES["source_raw_crm__customers"], path, "r", docs_dir=tmp_path / "docs")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "w.duckdb"]
    assert not (Path.cwd() / "gx").exists() and not (Path.cwd() / "uncommitted").exists()
