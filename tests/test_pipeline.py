"""The whole pipeline on a small simulated company, checked against numbers computed from the files.

The expected values here are computed straight from the landing files with pandas, openpyxl and the
csv/json modules (not with ScoreLink's readers or SQL): revenue per sales rep per month, quota
attainment and score, who is scored, how many rows each raw table holds and which rows are quarantined.
"""

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from ingest.contract import default_contracts

REPO = Path(__file__).resolve().parents[1]
EMPLOYEES, MONTHS, SEED = 40, 3, 11
pytestmark = pytest.mark.slow


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "COLUMNS": "200"}
    env.pop("SCORELINK_LANDING", None)
    env.pop("SCORELINK_WAREHOUSE", None)
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    home = tmp_path_factory.mktemp("scorelink_home")
    run = _cli(home, "demo", "--employees", str(EMPLOYEES), "--months", str(MONTHS), "--seed", str(SEED))
    assert run.returncode == 0, run.stdout + run.stderr
    status = json.loads(_cli(home, "status", "--json").stdout)
    return {"home": home, "landing": home / "landing", "demo_output": run.stdout, "status": status,
            "truth": json.loads((home / "ground_truth.json").read_text())}


def _published(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "published" / "serving.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- independent reading of the landing files

def _data_rows(path: Path) -> int:
    if path.suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        return sum(1 for _ in csv.reader(io.StringIO(text))) - 1
    if path.suffix == ".jsonl":
        return sum(1 for line in path.read_text().splitlines() if line.strip())
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).worksheets[0]
        return sum(1 for row in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row))
    raise AssertionError(path)


def _read_csvs(folder: Path, bad: set[tuple[str, int]], landing: Path) -> pd.DataFrame:
    """All CSV files of an entity in load order, minus the planted malformed rows, last duplicate wins."""
    frames = []
    for path in sorted(folder.glob("*.csv")):
        rel = path.relative_to(landing).as_posix()
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        keep = [r for i, r in enumerate(body, start=2) if (rel, i) not in bad]
        frames.append(pd.DataFrame(keep, columns=header))
    return pd.concat(frames, ignore_index=True)


def _expected_scores(landing: Path, truth: dict) -> pd.DataFrame:
    bad = {(m["file"], m["row_number"]) for m in truth["malformed_rows"]}
    orders = _read_csvs(landing / "erp" / "sales_orders", bad, landing).drop_duplicates("order_id", keep="last")
    lines = _read_csvs(landing / "erp" / "sales_order_lines", bad, landing).drop_duplicates(
        ["order_id", "line_number"], keep="last")
    fx = _read_csvs(landing / "erp" / "fx_rates", bad, landing).drop_duplicates(["rate_date", "currency"],
                                                                                  keep="last")
    targets = _read_csvs(landing / "hr" / "individual_targets", bad, landing).drop_duplicates(
        ["employee_id", "kpi", "month"], keep="last")

    shipped = orders[(orders.status != "cancelled") & (orders.shipped_at != "")].copy()
    # naive timestamps are company time (landing.yml: Asia/Shanghai); the warehouse works in UTC
    shipped_utc = pd.to_datetime(shipped.shipped_at).dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
    shipped["shipped_date"] = shipped_utc.dt.strftime("%Y-%m-%d")
    shipped["month"] = shipped_utc.dt.strftime("%Y-%m")
    rates = {(r.rate_date, r.currency): Decimal(r.rate_to_base) for r in fx.itertuples()}

    def rate(currency: str, day: str) -> Decimal:
        if currency == "CNY":
            return Decimal(1)
        known = sorted(d for (d, c) in rates if c == currency and d <= day)
        return rates[(known[-1], currency)]

    merged = lines.merge(shipped, on="order_id")
    revenue: dict[tuple[str, str], Decimal] = {}
    for r in merged.itertuples():
        amount = Decimal(r.quantity) * Decimal(r.unit_price) * rate(r.currency, r.shipped_date)
        revenue[(r.salesperson_id, r.month)] = revenue.get((r.salesperson_id, r.month), Decimal(0)) + amount

    quotas = {(t.employee_id, t.month): Decimal(t.target_value)
              for t in targets.itertuples() if t.kpi == "revenue" and t.scope == "individual"}
    reps = _sales_rep_months(landing)
    rows = []
    for emp, month in sorted(reps):
        rev = revenue.get((emp, month), Decimal(0))
        quota = quotas.get((emp, month))
        attainment = (rev / quota) if quota else None
        score = float(min(max(attainment, Decimal(0)), Decimal("1.2")) * 100) if attainment is not None else None
        rows.append((emp, month, round(rev, 2), quota, score))
    return pd.DataFrame(rows, columns=["employee_id", "period", "revenue", "quota", "score"])


def _sales_rep_months(landing: Path) -> set[tuple[str, str]]:
    """(employee, YYYY-MM) for every month of the simulated window with >= 1 day as sales_rep."""
    ws = load_workbook(landing / "hr" / "job_assignments" / "job_assignments.xlsx", read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    # openpyxl's read-only rows stop at the last filled cell: pad them to the header
    assignments = [dict(zip(header, (*r, *[None] * (len(header) - len(r))), strict=True))
                   for r in body if any(v is not None for v in r)]
    with (landing / "hr" / "employees" / "employees.csv").open(encoding="gbk", newline="") as fh:
        terminated = {r["employee_id"]: r["termination_date"] for r in csv.DictReader(fh)}
    months = [f"2024-{m:02d}" for m in range(1, MONTHS + 1)]
    out = set()
    for a in assignments:
        if a["role"] != "sales_rep":
            continue
        start = str(a["valid_from"])[:10]
        end = str(a["valid_to"])[:10] if a["valid_to"] else "9999-12-31"
        if terminated.get(a["employee_id"]):
            end = min(end, terminated[a["employee_id"]])
        for m in months:
            month_start = f"{m}-01"
            month_end = (dt.date.fromisoformat(month_start) + pd.offsets.MonthEnd(0)).date().isoformat()
            if start <= month_end and end >= month_start:
                out.add((a["employee_id"], m))
    return out


# ---------------------------------------------------------------- the tests

def test_demo_prints_where_the_scores_are(company):
    out = company["demo_output"]
    assert "Pipeline succeeded" in out
    assert "serving.duckdb" in out and "Published scores for 3 closed periods" in out
    assert (company["home"] / "published" / "parquet" / "sales_rep_scores.parquet").exists()


def test_every_landing_row_is_loaded_or_quarantined(company):
    landing, status = company["landing"], company["status"]
    tables = {(t["schema"], t["table"]): t["rows"] for t in status["tables"]}
    malformed: dict[str, int] = {}
    for m in company["truth"]["malformed_rows"]:
        entity = ".".join(m["file"].split("/")[:2])
        malformed[entity] = malformed.get(entity, 0) + 1
    for contract in default_contracts().values():
        files = sorted((landing / contract.source / contract.entity).glob("*.*"))
        assert files, f"the simulator wrote no file for {contract.name}"
        rows_in = sum(_data_rows(f) for f in files)
        assert tables[(contract.raw_schema, contract.entity)] == rows_in - malformed.get(contract.name, 0), (
            contract.name)
    assert status["ingest"]["rows_read"] == status["ingest"]["rows_loaded"] + status["ingest"]["rows_quarantined"]
    gates = {g["gate"]: g for g in status["gates"]}
    assert gates["ingest_row_reconciliation"]["passed"]
    assert gates["dbt_tests"]["passed"]


def test_quarantine_holds_exactly_the_planted_malformed_rows(company):
    con = duckdb.connect(str(company["home"] / "warehouse" / "scorelink.duckdb"), read_only=True)
    try:
        rows = con.execute("select source_file, row_number, column_name, reason from ingest.quarantine").fetchall()
    finally:
        con.close()
    planted = {(m["file"], m["row_number"]): m["column"] for m in company["truth"]["malformed_rows"]}
    found = {(f, r): (c, reason) for f, r, c, reason in rows}
    assert found.keys() == planted.keys()
    for key, (column, reason) in found.items():
        if column is None:  # a CSV row with the wrong number of fields has no single culprit column
            assert reason.startswith("expected ") and "fields, found" in reason
        else:
            assert column == planted[key], (key, reason)


def test_published_revenue_and_scores_match_the_landing_files(company):
    expected = _expected_scores(company["landing"], company["truth"])
    published = pd.DataFrame(
        _published(company["home"], "select employee_id, period, revenue_base, quota_base, score "
                                    "from published.sales_rep_scores_current order by period, employee_id"),
        columns=["employee_id", "period", "revenue", "quota", "score"])
    assert len(expected) > 10
    assert sorted(zip(published.employee_id, published.period, strict=True)) == sorted(
        zip(expected.employee_id, expected.period, strict=True))
    merged = published.merge(expected, on=["employee_id", "period"], suffixes=("_pub", "_exp"))
    for r in merged.itertuples():
        assert abs(Decimal(str(r.revenue_pub)) - r.revenue_exp) <= Decimal("0.01"), r
        if r.quota_exp is None:
            assert pd.isna(r.quota_pub) and pd.isna(r.score_pub), r
        else:
            assert Decimal(str(r.quota_pub)) == r.quota_exp, r
            assert r.score_pub == pytest.approx(r.score_exp, abs=1e-6), r
    assert (merged.revenue_exp > 0).sum() > len(merged) / 2, "most reps should have sold something"


def test_rerun_changes_nothing_and_publishes_no_new_version(company):
    home = company["home"]
    before = _published(home, "select period, version, input_fingerprint from published.score_versions order by 1, 2")
    copies = _serving_stamps(home)
    run = _cli(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    after = _published(home, "select period, version, input_fingerprint from published.score_versions order by 1, 2")
    assert after == before and all(v == 1 for _, v, _ in after)
    # nothing published changed: the serving copies are not written again (same files, same modification times)
    assert _serving_stamps(home) == copies
    status = json.loads(_cli(home, "status", "--json").stdout)
    for key in ("files", "rows_read", "rows_loaded", "rows_quarantined", "last_loaded_at"):
        assert status["ingest"][key] == company["status"]["ingest"][key]
    now = {(t["schema"], t["table"]): t["rows"] for t in status["tables"]}
    then = {(t["schema"], t["table"]): t["rows"] for t in company["status"]["tables"]}
    # every validation run is kept for audit: the results log grows by one run, nothing else changes
    results = ("quality", "validation_results")
    assert now.pop(results) == 2 * then.pop(results)
    assert now == then


def _serving_stamps(home: Path) -> dict[str, tuple[int, int]]:
    pub = home / "published"
    files = [pub / "serving.duckdb", pub / ".serving_state.json", *sorted((pub / "parquet").glob("*.parquet"))]
    assert len(files) > 20
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}


def test_grouped_fingerprints_equal_the_per_period_reference_and_the_ledger(company):
    from fingerprint_reference import reference_digest

    from orchestration.publish import closed_periods, period_digests

    con = duckdb.connect(str(company["home"] / "warehouse" / "scorelink.duckdb"), read_only=True)
    try:
        closed = closed_periods(con)
        grouped = period_digests(con, closed)
        stored = dict(con.execute("select period, input_fingerprint from published.score_versions").fetchall())
        assert len(closed) == MONTHS and set(stored) == set(closed)
        for period in closed:
            fingerprint, counts, digests, sources = reference_digest(con, period)
            d = grouped[period]
            assert (d.fingerprint, d.row_counts, d.digests, d.source_digests) == (fingerprint, counts, digests, sources)
            assert stored[period] == fingerprint
            assert counts["role_scores"] > 0 and counts["kpi_scores"] > 0 and counts["metric_values"] > 0
    finally:
        con.close()


_MARKED_MONTHS = "select distinct strftime(_partition_month, '%Y-%m') from {table} where _source_file = 'MARKED' order by 1"


def test_a_partitioned_run_rebuilds_only_its_month(company):
    """The job with a partition key (a month picked in the UI): the monthly facts rebuild that month alone."""
    home = company["home"]
    warehouse = home / "warehouse" / "scorelink.duckdb"
    tables = ("staging.stg_attendance__punches", "staging.stg_crm__activities")
    con = duckdb.connect(str(warehouse))
    try:  # mark every row built so far; a rebuilt month loses its marks
        for table in tables:
            con.execute(f"update {table} set _source_file = 'MARKED'")
    finally:
        con.close()
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    env.pop("SCORELINK_LANDING", None)
    env.pop("SCORELINK_WAREHOUSE", None)
    run = subprocess.run(
        [sys.executable, "-c", "from dagster import DagsterInstance; from orchestration.definitions import defs; "
         "r = defs.resolve_job_def('scorelink_pipeline').execute_in_process(partition_key='2024-03-01', "
         "instance=DagsterInstance.ephemeral(), raise_on_error=False); print('SUCCESS' if r.success else 'FAILED')"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert run.stdout.strip().endswith("SUCCESS"), run.stdout[-3000:] + run.stderr[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        marked = {table: [m for (m,) in con.execute(_MARKED_MONTHS.format(table=table)).fetchall()] for table in tables}
    finally:
        con.close()
    # no new files arrived, so no late month either: January and February are untouched, March was rebuilt
    assert marked == {table: ["2024-01", "2024-02"] for table in tables}
    status = json.loads(_cli(home, "status", "--json").stdout)
    for key in ("files", "rows_read", "rows_loaded", "rows_quarantined", "last_loaded_at"):
        assert status["ingest"][key] == company["status"]["ingest"][key]
    now = {(t["schema"], t["table"]): t["rows"] for t in status["tables"] if t["table"] != "validation_results"}
    then = {(t["schema"], t["table"]): t["rows"] for t in company["status"]["tables"]
            if t["table"] != "validation_results"}
    assert now == then
