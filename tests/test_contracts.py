"""The landing contract files parse, are complete, and invalid contracts fail naming file and field."""

from pathlib import Path

import pytest

from ingest.contract import CONTRACTS_DIR, ContractError, load_contract, load_contracts
from ingest.contract_docs import render_sources_doc

DESIGN_ENTITIES = {
    "hr": {"departments", "employees", "job_assignments", "contracts", "requisitions", "candidates", "trainings",
           "surveys", "improvement_proposals", "compensation", "individual_targets"},
    "crm": {"customers", "inquiries", "activities", "opportunities", "complaints", "satisfaction_responses"},
    "erp": {"products", "inventory_snapshots", "sales_orders", "sales_order_lines", "invoices", "payments",
            "purchase_requests", "purchase_request_approvals", "purchase_orders", "purchase_order_lines",
            "receipts", "suppliers", "demand_forecasts", "sales_commitments", "slow_moving_lists",
            "slow_moving_actions", "fx_rates", "finance_balances"},
    "attendance": {"punches", "schedules", "leave", "holidays"},
}


def test_every_design_entity_has_a_contract():
    contracts = load_contracts()
    found = {}
    for c in contracts.values():
        found.setdefault(c.source, set()).add(c.entity)
    assert found == DESIGN_ENTITIES


def test_pii_is_tagged_on_personal_columns():
    employees = load_contracts()["hr.employees"]
    pii = {c.name for c in employees.columns if c.pii}
    assert {"national_id", "phone", "email", "birth_date", "full_name"} <= pii
    assert not employees.column("employee_id").pii
    compensation = load_contracts()["hr.compensation"]
    assert compensation.column("base_salary_monthly").pii


def test_raw_table_ddl_has_lineage_columns():
    ddl = load_contracts()["erp.sales_order_lines"].create_table_sql()
    for col in ("_batch_id", "_source_file", "_source_row", "_loaded_at", "_row_hash"):
        assert col in ddl
    assert '"quantity" DECIMAL(18,4)' in ddl


def _write(tmp_path: Path, source: str, entity: str, text: str) -> Path:
    path = tmp_path / source / f"{entity}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_invalid_type_names_file_and_column(tmp_path):
    path = _write(tmp_path, "hr", "things", """
contract_version: 1
source: hr
entity: things
description: x
keys: [id]
columns:
  - {name: id, type: string, required: true, description: id}
  - {name: amount, type: money, description: bad type}
""")
    with pytest.raises(ContractError) as err:
        load_contract(path)
    assert str(path) in str(err.value)
    assert "columns[amount].type" in str(err.value)


def test_key_must_be_a_required_column(tmp_path):
    path = _write(tmp_path, "hr", "things", """
contract_version: 1
source: hr
entity: things
description: x
keys: [id]
columns:
  - {name: id, type: string, description: id}
""")
    with pytest.raises(ContractError, match="key column 'id' must be required"):
        load_contract(path)


def test_reference_to_unknown_column_fails(tmp_path):
    _write(tmp_path, "hr", "things", """
contract_version: 1
source: hr
entity: things
description: x
keys: [id]
columns:
  - {name: id, type: string, required: true, description: id}
  - {name: owner, type: string, description: o, references: hr.people.person_id}
""")
    with pytest.raises(ContractError, match=r"columns\[owner\]\.references"):
        load_contracts(tmp_path)


def test_file_location_must_match_declared_entity(tmp_path):
    path = _write(tmp_path, "crm", "things", """
contract_version: 1
source: hr
entity: things
description: x
keys: [id]
columns:
  - {name: id, type: string, required: true, description: id}
""")
    with pytest.raises(ContractError, match="declares hr.things"):
        load_contract(path)


def test_sources_doc_is_generated_from_the_contracts():
    committed = (CONTRACTS_DIR.parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    assert committed == render_sources_doc(), "docs/sources.md is stale: run `scorelink docs`"
