"""What-if: score a period under an edited scorecard, without touching the warehouse or publishing anything.

    result = whatif("config/scorecards/edited.yml", "2024-Q1")     # scorelink whatif --scorecard F --period P
    print(render_whatif(result)); result.to_dict()                # text table / JSON-ready

How: the scorecard is validated first (an invalid file fails with the file, role and field). The warehouse
file is copied into a scratch folder (under the same file name, so dbt's qualified view definitions still
resolve), the edited scorecard is written into the copy's config tables, and dbt rebuilds only the models
downstream of the config source (the metric library is reused as is) in the copy. The period's role scores
of the copy are then compared with the warehouse's: one row per employee scored in either, with the delta.
The scratch folder is removed afterwards unless keep_dir is given.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.explain import ExplainError, parse_period
from orchestration.scorecards.loader import load_scorecard, write_scorecards
from orchestration.settings import DBT_EXECUTABLE

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# Every model that reads the scorecard, and nothing upstream of it (the metric library is reused).
SCORECARD_SELECTION = "source:config+"


class WhatIfError(RuntimeError):
    """The what-if run could not be done (no warehouse, dbt failed)."""


@dataclass
class EmployeeDelta:
    employee_id: str
    role: str | None
    current_version: str | None
    whatif_version: str | None
    current_score: float | None
    whatif_score: float | None
    delta: float | None


@dataclass
class WhatIfResult:
    scorecard: str
    scorecard_file: str
    period: str
    period_type: str
    employees: list[EmployeeDelta] = field(default_factory=list)

    @property
    def changed(self) -> list[EmployeeDelta]:
        return [e for e in self.employees if e.delta is None or abs(e.delta) > 1e-9]

    def to_dict(self) -> dict[str, Any]:
        deltas = [e.delta for e in self.employees if e.delta is not None]
        return {
            "scorecard": self.scorecard,
            "scorecard_file": self.scorecard_file,
            "period": self.period,
            "period_type": self.period_type,
            "employees_scored": len(self.employees),
            "employees_changed": len(self.changed),
            "mean_delta": sum(deltas) / len(deltas) if deltas else None,
            "employees": [asdict(e) for e in self.employees],
        }


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, Decimal | int | float) else None


def _scores(path: Path, period_type: str, period: str) -> dict[str, tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select employee_id, role, scorecard_version, final_score from marts.fct_role_scores "
            "where period_type = ? and period = ?",
            [period_type, period],
        ).fetchall()
    return {row[0]: row for row in rows}


def whatif(
    scorecard_file: str | Path,
    period: str,
    warehouse: str | Path | None = None,
    dbt_vars: dict[str, Any] | None = None,
    keep_dir: str | Path | None = None,
) -> WhatIfResult:
    """Per-employee final scores of `period` under `scorecard_file` against the warehouse's current ones."""
    parsed = parse_period(period)
    scorecard = load_scorecard(scorecard_file)  # fails early, naming file, role and field
    if warehouse is None:
        from orchestration.settings import get_settings

        warehouse = get_settings().warehouse_path
    source = Path(warehouse).resolve()
    if not source.exists():
        raise WhatIfError(f"no warehouse at {source}: run the pipeline first")

    scratch = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="scorelink-whatif-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        copy = scratch / source.name
        shutil.copyfile(source, copy)
        wal = source.with_name(source.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        with duckdb.connect(str(copy)) as con:
            write_scorecards(con, scorecard_file)
        _run_dbt(copy, scratch, dbt_vars)
        try:
            current = _scores(source, parsed.period_type, parsed.label)
        except duckdb.IOException as exc:
            raise WhatIfError(f"the warehouse {source} is busy (a pipeline run holds it): {exc}") from exc
        edited = _scores(copy, parsed.period_type, parsed.label)
    finally:
        if keep_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    if not current and not edited:
        raise ExplainError(f"nobody is scored for {parsed.period_type} {parsed.label}")

    result = WhatIfResult(
        scorecard=scorecard.name,
        scorecard_file=str(scorecard_file),
        period=parsed.label,
        period_type=parsed.period_type,
    )
    for employee_id in sorted(set(current) | set(edited)):
        before, after = current.get(employee_id), edited.get(employee_id)
        old, new = _float(before[3]) if before else None, _float(after[3]) if after else None
        result.employees.append(
            EmployeeDelta(
                employee_id=employee_id,
                role=(after or before)[1],
                current_version=before[2] if before else None,
                whatif_version=after[2] if after else None,
                current_score=old,
                whatif_score=new,
                delta=(new - old) if old is not None and new is not None else None,
            )
        )
    return result


def _run_dbt(warehouse_copy: Path, scratch: Path, dbt_vars: dict[str, Any] | None) -> None:
    cmd = [
        DBT_EXECUTABLE,
        "run",
        "--select",
        SCORECARD_SELECTION,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(scratch / "target"),
        "--log-path",
        str(scratch / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    env = {**os.environ, "SCORELINK_WAREHOUSE": str(warehouse_copy)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise WhatIfError("dbt failed scoring the edited scorecard:\n" + (done.stdout + done.stderr)[-4000:])


def render_whatif(result: WhatIfResult, limit: int | None = None) -> str:
    """Per-employee deltas as a text table, largest changes first."""
    rows = sorted(
        result.employees,
        key=lambda e: (-(abs(e.delta) if e.delta is not None else float("inf")), e.employee_id),
    )
    if limit is not None:
        rows = rows[:limit]

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:8.2f}"

    summary = result.to_dict()
    lines = [
        f"what-if {result.scorecard} ({result.scorecard_file}) for {result.period_type} {result.period}: "
        f"{summary['employees_changed']} of {summary['employees_scored']} scores change"
        + (f", mean delta {summary['mean_delta']:+.2f}" if summary["mean_delta"] is not None else ""),
        f"{'employee':<12} {'role':<22} {'current':>8} {'what-if':>8} {'delta':>8}",
    ]
    for e in rows:
        lines.append(
            f"{e.employee_id:<12} {e.role or '-':<22} {fmt(e.current_score)} {fmt(e.whatif_score)} "
            f"{fmt(e.delta)}"
        )
    return "\n".join(lines)
