"""The demo-company simulator: layout, contract shape, determinism, coherence and the planted ground truth."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from openpyxl import load_workbook

from ingest.contract import default_contracts
from ingest.readers import read_landing_file
from ingest.row_checks import check_rows
from ingest.simulator import SimulationResult, simulate
from ingest.simulator.__main__ import main

TINY = {"employees": 40, "months": 3, "seed": 7, "start_month": "2024-01"}
NAIVE_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
OFFSET_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("tiny"), **TINY)


@pytest.fixture(scope="module")
def truth(run) -> dict:
    return json.loads(run.ground_truth_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def loaded(run) -> dict:
    """Every entity read and checked the way the ingest step does it: good rows per entity, and the rejects."""
    good, rejects = {}, []
    for name, contract in default_contracts().items():
        frames = []
        for path in sorted((run.landing_dir / contract.source / contract.entity).iterdir()):
            raw = read_landing_file(path, contract)
            checked = check_rows(raw, contract, "Asia/Shanghai")
            rel = path.relative_to(run.landing_dir).as_posix()
            rejects += [(rel, r.row_number) for r in raw.rejects + checked.rejects]
            frames.append(checked.good)
        good[name] = pd.concat(frames, ignore_index=True)
    return {"good": good, "rejects": rejects}


def _files(run: SimulationResult) -> dict[str, bytes]:
    out = {
        p.relative_to(run.landing_dir.parent).as_posix(): p.read_bytes() for p in run.landing_dir.rglob("*") if p.is_file()
    }
    out["ground_truth.json"] = run.ground_truth_path.read_bytes()
    return out


def _header(path: Path) -> list[str]:
    if path.suffix == ".csv":
        data = path.read_bytes()
        text = data.decode("gbk") if path.parent.name == "employees" else data.decode("utf-8")
        return next(csv.reader(io.StringIO(text)))
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        try:
            return [c for c in next(wb.worksheets[0].iter_rows(values_only=True))]
        finally:
            wb.close()
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    keys = {tuple(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line}
    assert len(keys) == 1, f"{path}: JSON lines with different keys"
    return list(keys.pop())


def test_result_and_layout(run):
    assert run.landing_dir == run.ground_truth_path.parent / "landing"
    assert run.ground_truth_path.name == "ground_truth.json"
    assert not (run.landing_dir / "ground_truth.json").exists()
    assert all(p.exists() and run.landing_dir in p.parents for p in run.files)
    manifest = yaml.safe_load((run.landing_dir / "landing.yml").read_text(encoding="utf-8"))
    assert manifest["base_currency"] == "CNY" and manifest["timezone"] == "Asia/Shanghai"
    assert manifest["generated_by"] == "scorelink-simulator"
    assert {k: manifest[k] for k in TINY} == TINY
    assert set(run.rows_written) == set(default_contracts())


def test_every_entity_has_files_with_the_contract_header(run):
    contracts = default_contracts()
    assert len(contracts) == 39
    for name, contract in contracts.items():
        files = sorted((run.landing_dir / contract.source / contract.entity).iterdir())
        assert files, f"{name}: no landing file"
        assert run.rows_written[name] > 0, f"{name}: no rows"
        for path in files:
            assert _header(path) == contract.column_names, path


def test_formats_and_monthly_split(run):
    land = run.landing_dir
    assert (land / "hr/employees/employees.csv").exists()
    assert (land / "hr/job_assignments/job_assignments.xlsx").exists()
    assert (land / "crm/customers/customers.jsonl").exists()
    for entity, ext in [
        ("erp/sales_orders", "csv"),
        ("erp/sales_order_lines", "csv"),
        ("crm/activities", "jsonl"),
        ("attendance/punches", "jsonl"),
        ("erp/inventory_snapshots", "parquet"),
    ]:
        names = sorted(p.name for p in (land / entity).iterdir())
        stem = entity.split("/")[1]
        assert names == [f"{stem}_2024-0{m}.{ext}" for m in (1, 2, 3)], entity


def test_employees_file_is_gbk(run):
    data = (run.landing_dir / "hr/employees/employees.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gbk")
    assert re.search(r"[\u4e00-\u9fff]{2,3}", text), "expected Chinese names"


def test_same_seed_gives_identical_bytes(run, tmp_path):
    again = simulate(tmp_path, **TINY)
    assert _files(again) == _files(run)
    assert again.rows_written == run.rows_written


def test_different_seed_gives_different_data(run, tmp_path):
    other = simulate(tmp_path, **{**TINY, "seed": 8})
    first, second = _files(run), _files(other)
    assert first.keys() == second.keys()
    different = [k for k in first if first[k] != second[k]]
    assert len(different) > len(first) // 2


def test_only_the_planted_rows_break_the_contract(loaded, truth):
    planted = {(b["file"], b["row_number"]) for b in truth["malformed_rows"]}
    assert 5 <= len(planted) <= 15
    assert set(loaded["rejects"]) == planted
    kinds = " ".join(b["problem"] for b in truth["malformed_rows"])
    for kind in ("bad date", "allowed_values", "missing required", "min=0", "number of fields"):
        assert kind in kinds
    for b in truth["malformed_rows"]:
        assert {"file", "row_number", "column", "problem"} <= set(b)


def test_every_reference_resolves(loaded):
    good = loaded["good"]
    for name, contract in default_contracts().items():
        for col in contract.columns:
            if not col.references:
                continue
            source, entity, key = col.references.split(".")
            known = set(good[f"{source}.{entity}"][key].dropna())
            used = set(good[name][col.name].dropna())
            assert used <= known, f"{name}.{col.name}: unknown {sorted(used - known)[:5]}"


def test_keys_are_unique_except_planted_redeliveries(loaded, truth):
    redelivered = {e["entity"] for e in truth["duplicate_records"]}
    assert {"erp.sales_orders", "erp.sales_order_lines"} <= redelivered
    for name, contract in default_contracts().items():
        dupes = loaded["good"][name].duplicated(subset=contract.keys).sum()
        if name not in redelivered:
            assert dupes == 0, name
    corrected = [e for e in truth["duplicate_records"] if not e["identical"]]
    assert corrected and all(e["first_value"] != e["corrected_value"] for e in corrected)
    assert any(e["entity"] == "erp.sales_orders" for e in truth["late_records"])


def test_job_assignments_are_effective_dated(loaded):
    ja = loaded["good"]["hr.job_assignments"].sort_values(["employee_id", "valid_from"])
    emp = loaded["good"]["hr.employees"].set_index("employee_id")
    for employee, rows in ja.groupby("employee_id"):
        starts, ends = list(rows["valid_from"]), list(rows["valid_to"])
        for k in range(len(starts) - 1):
            assert pd.notna(ends[k]) and ends[k] < starts[k + 1], f"{employee}: overlapping assignments"
            assert (starts[k + 1] - ends[k]).days == 1, f"{employee}: gap between assignments"
        assert starts[0] == emp.at[employee, "hire_date"]
        term = emp.at[employee, "termination_date"]
        assert (pd.isna(term) and pd.isna(ends[-1])) or ends[-1] == term, employee
    assert ja["mentor_id"].notna().any() and ja["is_mentor"].astype(bool).any()
    assert (ja["valid_from"].dt.day != 1).any(), "expected some mid-month changes"


def test_org_and_sales_are_coherent(loaded):
    good = loaded["good"]
    ja, emp = good["hr.job_assignments"], good["hr.employees"]
    assert (ja["role"] == "general_manager").sum() == 1
    assert emp["termination_date"].notna().any(), "expected leavers"
    assert (emp["hire_date"] >= pd.Timestamp("2024-01-01")).any(), "expected hires during the period"
    orders, targets = good["erp.sales_orders"], good["hr.individual_targets"]
    lines, fx = good["erp.sales_order_lines"], good["erp.fx_rates"]
    assert (orders["shipped_at"].dropna() > orders.loc[orders["shipped_at"].notna(), "ordered_at"]).all()
    assert {"CNY", "USD"} <= set(orders["currency"])
    assert (orders["status"] == "cancelled").any()
    products = good["erp.products"]
    assert (products["unit_cost"] < products["list_price"]).all()
    assert len(fx) == 91 * fx["currency"].nunique()
    revenue = targets[(targets["kpi"] == "revenue") & (targets["scope"] == "individual")]
    for month in ("2024-01", "2024-02", "2024-03"):
        month_orders = orders[orders["ordered_at"].dt.strftime("%Y-%m") == month]
        reps = set(revenue.loc[revenue["month"] == month, "employee_id"])
        selling = set(month_orders["salesperson_id"]) & reps
        assert len(selling) >= 5, month
    assert len(lines) > len(orders)


def test_timestamps_are_naive_except_punches(run):
    orders = pd.read_csv(run.landing_dir / "erp/sales_orders/sales_orders_2024-01.csv", dtype=str)
    assert orders["ordered_at"].str.match(NAIVE_TS.pattern).all()
    punches = [
        json.loads(line)
        for line in (run.landing_dir / "attendance/punches/punches_2024-02.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert all(OFFSET_TS.match(p["punched_at"]) for p in punches)
    assert {p["punched_at"][-6:] for p in punches} >= {"+08:00"}


def test_ground_truth_names_the_planted_people(loaded, truth):
    employees = set(loaded["good"]["hr.employees"]["employee_id"])
    skus = set(loaded["good"]["erp.products"]["sku"])
    causes = {c["cause"]: c for c in truth["planted_causes"]}
    assert set(causes) == {
        "over_buying_buyer",
        "optimistic_planner",
        "salesperson_neglects_old_stock",
        "busy_rep_low_conversion",
    }
    for cause in causes.values():
        assert cause["employee_ids"] and set(cause["employee_ids"]) <= employees
        assert set(cause["skus"]) <= skus and cause["mechanism"]
    assert len({c["employee_ids"][0] for c in causes.values()}) == 4
    products = loaded["good"]["erp.products"].set_index("sku")
    buyer = causes["over_buying_buyer"]["employee_ids"][0]
    assert (products.loc[causes["over_buying_buyer"]["skus"], "buyer_id"] == buyer).all()
    planner = causes["optimistic_planner"]["employee_ids"][0]
    assert (products.loc[causes["optimistic_planner"]["skus"], "planner_id"] == planner).all()
    neglect = causes["salesperson_neglects_old_stock"]
    assert (products.loc[neglect["skus"], "owner_salesperson_id"] == neglect["employee_ids"][0]).all()
    assert neglect["old_skus"] and neglect["new_skus"]
    launch = products["launch_date"]
    assert launch[neglect["old_skus"]].max() < launch[neglect["new_skus"]].min()
    assert causes["optimistic_planner"]["evidence"]["forecast_bias"] > 0.25


def test_planted_causes_show_in_the_data(loaded, truth):
    good = loaded["good"]
    causes = {c["cause"]: c for c in truth["planted_causes"]}
    activities = good["crm.activities"]["employee_id"].value_counts()
    busy = causes["busy_rep_low_conversion"]["employee_ids"][0]
    assert activities[busy] > 2 * activities.median()
    approvals = good["erp.purchase_request_approvals"]
    requests = good["erp.purchase_requests"].set_index("request_id")
    skipped = approvals[(approvals["step"] == "sales_confirmation") & (approvals["decision"] == "skipped")]
    over_buyer = causes["over_buying_buyer"]["employee_ids"][0]
    assert len(skipped) and set(requests.loc[skipped["request_id"], "requester_id"]) == {over_buyer}


def test_cli_entry(tmp_path, capsys):
    assert main([str(tmp_path), "--employees", "40", "--months", "2", "--seed", "3"]) == 0
    assert (tmp_path / "landing" / "landing.yml").exists() and (tmp_path / "ground_truth.json").exists()
    assert "files in" in capsys.readouterr().out


def test_rejects_a_company_too_small(tmp_path):
    with pytest.raises(ValueError, match="employees"):
        simulate(tmp_path, employees=5, months=3)
    with pytest.raises(ValueError, match="start_month"):
        simulate(tmp_path, employees=40, months=3, start_month="2024-13")
    assert not (tmp_path / "landing").exists()


def test_json_lines_writer_matches_json_dumps_row_by_row(tmp_path):
    """The column-wise JSON lines writer writes what json.dumps of each row writes, escapes included; the
    ingest reader (its one-pass path) reads the same text back."""
    from ingest.simulator.layout import LandingFile
    from ingest.simulator.writers import _json_value, write_jsonl

    contract = default_contracts()["crm.activities"]
    tricky = ['say "hi"', "back\\slash", "line\nbreak", "tab\there", "客户拜访", "", None, "ctrl\x01char"]
    n = len(tricky)
    frame = pd.DataFrame({
        "activity_id": [f"AC{k}" for k in range(n)], "employee_id": ["E1"] * n, "customer_id": ["C1"] * n,
        "started_at": ["2024-01-02T09:00:00"] * n,
        "duration_minutes": ["30", "0", None, "45", "x7", "12", "3", "9"],
        "method": ["visit"] * n, "content": tricky, "outcome": ["ok"] * n,
    }, columns=contract.column_names, dtype=object)
    frame = frame.where(frame.notna(), None)
    path = tmp_path / "activities.jsonl"
    write_jsonl(path, LandingFile(contract.name, "crm/activities/activities.jsonl", "jsonl", frame), contract)
    kinds = [c.type for c in contract.columns]
    expected = "".join(
        json.dumps({k: _json_value(t, v) for k, t, v in zip(contract.column_names, kinds, row, strict=True)},
                   ensure_ascii=False) + "\n"
        for row in frame.itertuples(index=False, name=None))
    assert path.read_text(encoding="utf-8") == expected
    back = read_landing_file(path, contract).records
    assert back["content"].tolist() == [None if v is None else (v.strip() or None) for v in tricky]
    assert back["duration_minutes"].tolist() == ["30", "0", None, "45", "x7", "12", "3", "9"]
