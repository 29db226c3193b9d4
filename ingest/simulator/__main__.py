"""python -m ingest.simulator OUT_DIR [--employees N] [--months M] [--seed S] [--start-month YYYY-MM] [--workers W]"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ingest.simulator.runner import simulate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.simulator", description="Simulate the demo company.")
    parser.add_argument("out_dir", type=Path, help="folder to write landing/ and ground_truth.json into")
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start-month", default="2024-01")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes writing the files (default: 2, or 1 on a one-core machine); the files are the same",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = simulate(
        args.out_dir,
        employees=args.employees,
        months=args.months,
        seed=args.seed,
        start_month=args.start_month,
        workers=args.workers,
    )
    took = time.perf_counter() - started
    print(
        f"{len(result.files)} files in {result.landing_dir} ({sum(result.rows_written.values()):,} rows, "
        f"{took:.1f} s); ground truth: {result.ground_truth_path}"
    )
    for entity, n in sorted(result.rows_written.items()):
        print(f"  {entity:40s} {n:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
