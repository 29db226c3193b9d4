"""A landing file that cannot be read stops the run with its name, and nothing is published."""

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
