"""The dbt project (dbt_project/) builds on the raw layer the contracts describe and keeps its conventions.

dbt runs as a subprocess (DuckDB has one writer) against a DuckDB file in a temporary folder whose raw
tables are created from the contracts with the loader's own DDL (Contract.create_table_sql): empty for the
full `dbt build`, and with a few hand-made rows (a re-delivered record among them) to follow numbers from
raw to the sales-rep score mart.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_runs import run_dbt

from ingest.contract import LINEAGE_COLUMNS, Contract, load_contracts

LAYERS = ("staging", "intermediate", "marts")
# generic tests that prove a primary key (single_row: a one-row model, whose key is the empty tuple)
PRIMARY_KEY_TESTS = {"unique", "unique_combination_of_columns", "single_row"}
# the large facts, incremental by month (dbt_project/macros/monthly_incremental.sql)
MONTHLY = {"stg_attendance__punches", "stg_crm__activities", "stg_erp__inventory_snapshots",
           "int_sales_order_lines_converted"}
CHANGED_MONTHS = {"fct_metric_events"}  # incremental by changed month (macros/changed_months.sql)


@dataclass
class DbtRun:
    result: subprocess.CompletedProcess[str]
    warehouse: Path
    target_path: Path

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def manifest(self) -> dict:
        return json.loads((self.target_path / "manifest.json").read_text(encoding="utf-8"))


def create_raw_tables(warehouse: Path, contracts: dict[str, Contract]) -> None:
    """Empty raw_<source>.<entity> tables, typed as the ingest loader creates them."""
    con = duckdb.connect(str(warehouse))
    try:
        for contract in contracts.values():
            con.execute(f"create schema if not exists {contract.raw_schema}")
            con.execute(contract.create_table_sql())
    finally:
        con.close()


def build(warehouse: Path, work_dir: Path, *args: str) -> DbtRun:
    return DbtRun(result=run_dbt(warehouse, work_dir, *args), warehouse=warehouse, target_path=work_dir / "target")


@pytest.fixture(scope="module")
def contracts() -> dict[str, Contract]:
    return load_contracts()


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory: pytest.TempPathFactory, contracts: dict[str, Contract]) -> DbtRun:
    work_dir = tmp_path_factory.mktemp("dbt_empty")
    warehouse = work_dir / "warehouse.duckdb"
    create_raw_tables(warehouse, contracts)
    return build(warehouse, work_dir, "build")


@pytest.fixture(scope="module")
def manifest(empty_build: DbtRun) -> dict:
    assert empty_build.result.returncode == 0, empty_build.output
    return empty_build.manifest()


def models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "scorelink"
    }


def test_dbt_build_passes_on_empty_raw_tables(empty_build: DbtRun) -> None:
    assert empty_build.result.returncode == 0, empty_build.output
    assert "Completed successfully" in empty_build.output
    # no avoidable warnings: deprecations, unused config paths, warning-level tests
    assert "[WARNING]" not in empty_build.output, empty_build.output
    assert " WARN=0 " in empty_build.output, empty_build.output


def test_every_contract_entity_has_a_source_table_and_a_staging_model(
    manifest: dict, contracts: dict[str, Contract]
) -> None:
    # source `config` holds the scorecard written by orchestration/scorecards: no landing entity
    sources = {
        (node["source_name"], node["name"]): node
        for node in manifest["sources"].values()
        if node["package_name"] == "scorelink" and node["source_name"] != "config"
    }
    staged = models(manifest)
    for contract in contracts.values():
        source = sources.get((contract.source, contract.entity))
        assert source is not None, f"no dbt source for {contract.name}"
        assert source["schema"] == contract.raw_schema
        assert source["loaded_at_field"] == "_loaded_at"
        assert list(source["columns"]) == [*contract.column_names, *LINEAGE_COLUMNS], contract.name
        assert all(col["description"] for col in source["columns"].values()), contract.name

        name = f"stg_{contract.source}__{contract.entity}"
        model = staged.get(name)
        assert model is not None, f"no staging model {name} for {contract.name}"
        assert model["original_file_path"] == f"models/staging/{contract.source}/{name}.sql"
        # the large facts are incremental by month (issue 8); every other staging model is a view
        assert model["config"]["materialized"] == ("incremental" if name in MONTHLY else "view"), name
        read_sources = [n for n in model["depends_on"]["nodes"] if n.startswith("source.")]
        assert read_sources == [f"source.scorelink.{contract.source}.{contract.entity}"], name
    assert len(sources) == len(contracts), "a dbt source table has no landing contract"


def test_every_model_has_a_description_and_a_primary_key_test(manifest: dict) -> None:
    tested: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        attached = node.get("attached_node")
        if attached:
            tested.setdefault(attached, set()).add(node["test_metadata"]["name"])
    for name, model in models(manifest).items():
        assert model["description"].strip(), f"{name} has no description"
        assert tested.get(model["unique_id"], set()) & PRIMARY_KEY_TESTS, f"{name} has no primary-key test"


def test_models_land_in_their_layer_schema(manifest: dict) -> None:
    for name, model in models(manifest).items():
        layer = model["fqn"][1]
        assert layer in LAYERS, f"{name} is outside models/{{{','.join(LAYERS)}}}"
        assert model["schema"] == layer, f"{name} builds into schema {model['schema']}, not {layer}"
        expected = "incremental" if name in MONTHLY | CHANGED_MONTHS else "view" if layer == "staging" else "table"
        assert model["config"]["materialized"] == expected, name
        # how each incremental model is rebuilt: by the run's months, or by the months whose rows changed
        kind = "month_window" if name in MONTHLY else "changed_months" if name in CHANGED_MONTHS else None
        assert model["config"]["meta"].get("incremental_by") == kind, name


def test_marts_have_enforced_contracts(manifest: dict) -> None:
    marts = {name: m for name, m in models(manifest).items() if m["fqn"][1] == "marts"}
    assert {"fct_sales_rep_monthly_scores", "dim_employees"} <= set(marts)
    for name, model in marts.items():
        assert model["config"]["contract"]["enforced"], f"{name} has no enforced contract"
        assert model["columns"], name
        for column in model["columns"].values():
            assert column["data_type"], f"{name}.{column['name']} has no data_type"
            assert column["description"], f"{name}.{column['name']} has no description"


def test_unit_tests_cover_the_score_formula_and_the_spine(manifest: dict) -> None:
    covered = {test["model"] for test in manifest["unit_tests"].values()}
    assert {"fct_sales_rep_monthly_scores", "int_employee_role_days"} <= covered


# --- numbers from raw rows to the score mart ---------------------------------------------------------

FIRST_LOAD = "timestamp '2024-04-01 00:00:00'"
SECOND_LOAD = "timestamp '2024-04-02 00:00:00'"  # re-delivers (corrects) records of the first load
EMPLOYEE = "'{}', 'Name', date '2020-01-01', {}, {}, 'CN', 'Asia/Shanghai'"
ASSIGNMENT = "'{}', '{}', date '{}', {}, 'DS', '{}', 'north', 'P3'"
ORDER = "'{}', 'C1', '{}', timestamp '{}', {}, 'offline', 'north', '{}', '{}'"
SHIPPED = "timestamp '2024-03-{} 10:00:00'"
# March 2024: E1 sells all month, E2 is a rep until the 15th then a director, E4 leaves on the 10th.
COLUMNS = {
    "raw_erp.fx_rates": "rate_date, currency, rate_to_base",
    "raw_hr.departments": "department_id, parent_department_id, department_name, function, region",
    "raw_hr.employees": "employee_id, full_name, hire_date, termination_date, termination_reason,"
    " country, timezone",
    "raw_hr.job_assignments": "assignment_id, employee_id, valid_from, valid_to, department_id, role,"
    " region, grade",
    "raw_hr.individual_targets": "employee_id, kpi, month, target_value, scope",
    "raw_erp.sales_orders": "order_id, customer_id, salesperson_id, ordered_at, shipped_at, channel, region,"
    " currency, status",
    "raw_erp.sales_order_lines": "order_id, line_number, sku, quantity, unit_price, unit_cost",
}
SMALL_COMPANY: dict[str, list[tuple[str, str]]] = {
    "raw_erp.fx_rates": [
        ("date '2024-03-01', 'USD', 7.1", FIRST_LOAD),
        ("date '2024-03-15', 'USD', 9.9", FIRST_LOAD),
        ("date '2024-03-15', 'USD', 7.2", SECOND_LOAD),
    ],
    "raw_hr.departments": [("'DS', null, 'Sales North', 'sales', 'north'", FIRST_LOAD)],
    "raw_hr.employees": [
        (EMPLOYEE.format("E1", "null", "null"), FIRST_LOAD),
        (EMPLOYEE.format("E2", "null", "null"), FIRST_LOAD),
        (EMPLOYEE.format("E4", "date '2024-03-10'", "'resignation'"), FIRST_LOAD),
    ],
    "raw_hr.job_assignments": [
        (ASSIGNMENT.format("A1", "E1", "2023-01-01", "null", "sales_rep"), FIRST_LOAD),
        (ASSIGNMENT.format("A2", "E2", "2023-01-01", "date '2024-03-15'", "sales_rep"), FIRST_LOAD),
        (ASSIGNMENT.format("A3", "E2", "2024-03-16", "null", "sales_director"), FIRST_LOAD),
        (ASSIGNMENT.format("A5", "E4", "2023-01-01", "null", "sales_rep"), FIRST_LOAD),
    ],
    "raw_hr.individual_targets": [
        ("'E1', 'revenue', '2024-03', 10000, 'individual'", FIRST_LOAD),
        ("'E2', 'revenue', '2024-03', 20000, 'individual'", FIRST_LOAD),
        ("'E4', 'revenue', '2024-03', 0, 'individual'", FIRST_LOAD),
        ("'E1', 'revenue', '2024-03', 12000, 'individual'", SECOND_LOAD),
    ],
    "raw_erp.sales_orders": [
        (ORDER.format("O1", "E1", "2024-03-01 09:00:00", SHIPPED.format("05"), "CNY", "shipped"), FIRST_LOAD),
        (ORDER.format("O2", "E1", "2024-03-10 09:00:00", SHIPPED.format("20"), "USD", "shipped"), FIRST_LOAD),
        (ORDER.format("O3", "E2", "2024-03-10 09:00:00", "null", "CNY", "cancelled"), FIRST_LOAD),
        (ORDER.format("O4", "E4", "2024-03-02 09:00:00", SHIPPED.format("08"), "USD", "shipped"), FIRST_LOAD),
        (ORDER.format("O5", "E2", "2024-03-31 09:00:00", "null", "CNY", "open"), FIRST_LOAD),
    ],
    "raw_erp.sales_order_lines": [
        ("'O1', 1, 'S1', 10, 500, 300", FIRST_LOAD),
        ("'O2', 1, 'S1', 100, 10, 50", FIRST_LOAD),
        ("'O3', 1, 'S1', 10, 500, 300", FIRST_LOAD),
        ("'O4', 1, 'S1', 10, 100, 500", FIRST_LOAD),
        ("'O5', 1, 'S1', 10, 500, 300", FIRST_LOAD),
        ("'O1', 1, 'S1', 12, 500, 300", SECOND_LOAD),
    ],
}


def seed_small_company(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        for table, rows in SMALL_COMPANY.items():
            for row_number, (values, loaded_at) in enumerate(rows, start=2):
                lineage = f"'batch', '{table}.csv', {row_number}, {loaded_at}, 'hash'"
                con.execute(
                    f"insert into {table} ({COLUMNS[table]}, {', '.join(LINEAGE_COLUMNS)})"
                    f" values ({values}, {lineage})"
                )
    finally:
        con.close()


def test_sales_rep_scores_from_raw_rows(tmp_path: Path, contracts: dict[str, Contract]) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    create_raw_tables(warehouse, contracts)
    seed_small_company(warehouse)
    run = build(
        warehouse,
        tmp_path,
        "build",
        "--select",
        "+fct_sales_rep_monthly_scores",
        "+dim_employees",
        "--indirect-selection",
        "cautious",
    )
    assert run.result.returncode == 0, run.output

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select employee_id, month::varchar, days_as_sales_rep, revenue_base, quota_base,"
            " quota_attainment, score, order_count, line_count"
            " from marts.fct_sales_rep_monthly_scores order by employee_id"
        ).fetchall()
        employees = con.execute(
            "select employee_id, role, is_active from marts.dim_employees order by employee_id"
        ).fetchall()
    finally:
        con.close()

    # E1: O1 re-delivered with 12 units -> 6000 CNY; O2 1000 USD shipped 03-20 at the corrected 7.2 -> 7200;
    # 13200 against the re-delivered quota of 12000 -> 1.1 -> 110.
    # E2: a rep for 15 days; O3 cancelled and O5 unshipped -> revenue 0 against 20000 -> score 0.
    # E4: left on 03-10 (10 days); O4 1000 USD at 7.1 -> 7100; a quota of 0 -> no attainment, no score.
    assert rows == [
        ("E1", "2024-03-01", 31, Decimal("13200"), Decimal("12000"), Decimal("1.1"), Decimal("110"), 2, 2),
        ("E2", "2024-03-01", 15, Decimal("0"), Decimal("20000"), Decimal("0"), Decimal("0"), 0, 0),
        ("E4", "2024-03-01", 10, Decimal("7100"), Decimal("0"), None, None, 1, 1),
    ]
    assert employees == [
        ("E1", "sales_rep", True),
        ("E2", "sales_director", True),
        ("E4", "sales_rep", False),
    ]
