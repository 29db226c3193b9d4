"""Shared by the tests that build the real dbt project: run dbt as a subprocess, load a simulated company."""

import os
import shutil
import subprocess
from pathlib import Path

import duckdb

from ingest.contract import default_contracts
from ingest.landing import read_manifest
from ingest.loader import load_entity
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR


def run_dbt(
    warehouse: Path, work: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`dbt ARGS` against WAREHOUSE, with target and logs kept in WORK (never in the repository).

    env: extra environment variables (e.g. the SCORELINK_PG_* or SCORELINK_SPARK_* of another dbt target).
    """
    cmd = [DBT_EXECUTABLE, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--no-use-colors"]
    full_env = {**os.environ, "SCORELINK_WAREHOUSE": str(warehouse.resolve()), **(env or {})}
    return subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=1800, check=False)


def load_landing(warehouse: Path, landing: Path) -> None:
    """Load every landing entity of LANDING into WAREHOUSE (created if missing; files already loaded are skipped)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        timezone = read_manifest(landing).timezone
        for contract in default_contracts().values():
            load_entity(con, contract, landing, timezone)
    finally:
        con.close()


def landing_without_month(landing: Path, copy: Path, label: str) -> Path:
    """A copy of LANDING at COPY without the files of month LABEL (one per monthly entity), as before they came."""
    shutil.copytree(landing, copy)
    held_back = sorted(copy.rglob(f"*_{label}.*"))
    assert len(held_back) == 5, held_back  # the five monthly entities
    for path in held_back:
        path.unlink()
    return copy


def load_simulated_company(work: Path, employees: int, months: int, seed: int) -> Path:
    """Simulate a company into WORK and load every landing entity into WORK/warehouse/scorelink.duckdb."""
    from ingest.simulator import simulate

    simulate(work, employees=employees, months=months, seed=seed)
    warehouse = work / "warehouse" / "scorelink.duckdb"
    load_landing(warehouse, work / "landing")
    return warehouse
