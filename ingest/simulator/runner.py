"""simulate(): build the demo company and write its landing folder, manifest and ground truth."""

from __future__ import annotations

import json
import multiprocessing
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
    workers: int = 1,
) -> SimulationResult:
    """Simulate the demo company into out_dir/landing (plus out_dir/ground_truth.json beside it).

    The company is generated as numbers; each landing file's text is formatted when it is written,
    chunk_rows rows at a time. With workers > 1 the files are written by that many forked processes, which
    share the company with this one (Linux/macOS fork; elsewhere one process writes). Neither chunk_rows nor
    workers changes a byte of the files."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
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
    files = sorted(files, key=lambda f: f.rel)
    written = _write_files(landing, files, contracts, chunk_rows, workers)
    rows = {name: 0 for name in contracts}
    for f in files:
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


_JOB: tuple | None = None  # what forked writers inherit: (landing, files, contracts, chunk_rows)


def _write_one(k: int) -> Path:
    landing, files, contracts, chunk_rows = _JOB
    return write_file(landing, files[k], contracts[files[k].entity], chunk_rows)


def _write_files(landing: Path, files: list, contracts: dict, chunk_rows: int, workers: int) -> list[Path]:
    """Write every file; the paths come back in the order of files. Forked writers take the largest files
    first, so the last file to finish is a small one."""
    global _JOB
    if workers == 1 or len(files) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [write_file(landing, f, contracts[f.entity], chunk_rows) for f in files]
    largest_first = sorted(range(len(files)), key=lambda k: (-len(files[k]), k))
    _JOB = (landing, files, contracts, chunk_rows)
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(files))) as pool:
            paths = dict(zip(largest_first, pool.imap(_write_one, largest_first, chunksize=1), strict=True))
    finally:
        _JOB = None
    return [paths[k] for k in range(len(files))]
