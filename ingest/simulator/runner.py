"""simulate(): build the demo company and write its landing folder, manifest and ground truth."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.contract import default_contracts
from ingest.simulator.company import build_company
from ingest.simulator.exports import build_tables
from ingest.simulator.ground_truth import ground_truth
from ingest.simulator.layout import split_files
from ingest.simulator.mess import plant_mess
from ingest.simulator.names import COMPANY_NAME
from ingest.simulator.period import rng_for
from ingest.simulator.writers import CHUNK_ROWS, write_file

MANIFEST = "landing.yml"
GROUND_TRUTH = "ground_truth.json"


@dataclass
class SimulationResult:
    landing_dir: Path
    ground_truth_path: Path
    files: list[Path]
    rows_written: dict[str, int]  # "source.entity" -> data rows over all its files


def simulate(
    out_dir: Path,
    employees: int = 300,
    months: int = 24,
    seed: int = 7,
    start_month: str = "2024-01",
    chunk_rows: int = CHUNK_ROWS,
) -> SimulationResult:
    """Simulate the demo company into out_dir/landing (plus out_dir/ground_truth.json beside it).

    The company is generated as numbers; each landing file's text is formatted when it is written,
    chunk_rows rows at a time (the files do not depend on chunk_rows)."""
    out_dir = Path(out_dir)
    company = build_company(employees, months, seed, start_month)
    tables = build_tables(company)
    files = split_files(tables, company.period)
    mess = plant_mess(files, company.period, rng_for(seed, "mess"))
    landing = out_dir / "landing"
    contracts = default_contracts()
    for name in contracts:  # start each entity folder clean, leave anything else alone
        source, entity = name.split(".")
        shutil.rmtree(landing / source / entity, ignore_errors=True)
    landing.mkdir(parents=True, exist_ok=True)
    written, rows = [], {name: 0 for name in contracts}
    for f in sorted(files, key=lambda f: f.rel):
        written.append(write_file(landing, f, contracts[f.entity], chunk_rows))
        rows[f.entity] += len(f)
    manifest = {
        "company_name": COMPANY_NAME,
        "base_currency": "CNY",
        "timezone": "Asia/Shanghai",
        "generated_by": "scorelink-simulator",
        "seed": seed,
        "employees": employees,
        "months": months,
        "start_month": start_month,
    }
    (landing / MANIFEST).write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    truth_path = out_dir / GROUND_TRUTH
    truth = ground_truth(company, mess, manifest)
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return SimulationResult(landing_dir=landing, ground_truth_path=truth_path, files=written, rows_written=rows)
