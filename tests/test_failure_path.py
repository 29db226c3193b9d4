"""A landing file that cannot be read stops the run with its name, and nothing is published."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.simulator import simulate

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_unreadable_file_fails_the_run_naming_the_file_and_publishes_nothing(tmp_path):
    sim = simulate(tmp_path / "company", employees=30, months=1, seed=5)
    broken = sim.landing_dir / "hr" / "departments" / "departments.csv"
    broken.write_text("department_id,department_name\nD1,Head office\n", encoding="utf-8")
    home = tmp_path / "home"
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "COLUMNS": "250"}
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--landing", str(sim.landing_dir)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 1, run.stdout + run.stderr
    out = " ".join(run.stdout.split())
    assert "Pipeline failed" in out
    assert "departments.csv" in out and "required column(s)" in out and "function" in out
    assert not (home / "published" / "serving.duckdb").exists()
    con = duckdb.connect(str(home / "warehouse" / "scorelink.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_schema || '.' || table_name "
                                            "from information_schema.tables").fetchall()}
    finally:
        con.close()
    assert "raw_hr.departments" not in tables  # the failed entity wrote nothing
    assert "raw_hr.employees" in tables  # other entities loaded
    assert not any(t.startswith("published.") for t in tables)


def _run(tmp_path, landing):
    home = tmp_path / "home"
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "COLUMNS": "250"}
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--landing", str(landing)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    status = subprocess.run([sys.executable, "-m", "orchestration.cli", "status", "--json"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return run, json.loads(status.stdout), home


def _gate(status, name):
    return next(g for g in status["gates"] if g["gate"] == name)


def test_orphan_salesperson_fails_the_source_gate_and_blocks_publication(tmp_path):
    sim = simulate(tmp_path / "company", employees=30, months=1, seed=5)
    orders = sim.landing_dir / "erp" / "sales_orders" / "sales_orders_2024-01.csv"
    lines = orders.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(",")
    fields[2] = "E99999"  # salesperson_id of the first order: nobody of that id exists
    orphan_order = fields[0]
    lines[1] = ",".join(fields)
    orders.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run, status, home = _run(tmp_path, sim.landing_dir)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "source_raw_erp__sales_orders" in " ".join(run.stdout.split())
    gate = _gate(status, "gx:source_raw_erp__sales_orders")
    assert not gate["passed"]
    failure = next(f for f in gate["failures"] if f["severity"] == "critical")
    assert failure["unexpected_count"] == 1
    assert orphan_order in json.dumps(failure["examples"])
    assert "select" in failure["query"].lower()
    assert not (home / "published" / "serving.duckdb").exists()
    assert status["published"] == []


def test_a_missing_month_fails_period_completeness_and_blocks_publication(tmp_path):
    sim = simulate(tmp_path / "company", employees=30, months=3, seed=5)
    # an export gap: no order placed in February 2024 reaches ScoreLink, in any file
    erp = sim.landing_dir / "erp"
    dropped = set()
    for f in (erp / "sales_orders").glob("*.csv"):
        header, *body = f.read_text(encoding="utf-8").splitlines()
        dropped |= {b.split(",")[0] for b in body if b.split(",")[3].startswith("2024-02")}
        f.write_text("\n".join([header, *[b for b in body if b.split(",")[0] not in dropped]]) + "\n")
    for f in (erp / "sales_order_lines").glob("*.csv"):
        header, *body = f.read_text(encoding="utf-8").splitlines()
        f.write_text("\n".join([header, *[b for b in body if b.split(",")[0] not in dropped]]) + "\n")
    assert dropped

    run, status, home = _run(tmp_path, sim.landing_dir)
    assert run.returncode == 1, run.stdout + run.stderr
    gate = _gate(status, "gx:inputs_sales_order_periods")
    assert not gate["passed"]
    assert any("2024-02" in json.dumps(f["examples"]) for f in gate["failures"])
    assert status["published"] == []
