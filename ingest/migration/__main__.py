"""python -m ingest.migration {legacy-export,migrate,parallel-run,sign} ...

The same functions the `scorelink migrate` and `scorelink parallel-run` commands call, usable without them:

    python -m ingest.migration legacy-export OUT_DIR [--employees N --months M --seed S --start-month YYYY-MM]
    python -m ingest.migration migrate --legacy DIR --mapping FILE [--landing DIR] [--batch YYYY-MM]
    python -m ingest.migration parallel-run --legacy DIR --mapping FILE [--tolerance 0.5] [--period YYYY-MM ...]
    python -m ingest.migration sign REPORT.json --name NAME --role ROLE --decision accepted [--comment TEXT]

Exit status: 0 passed, 1 validation failed (nothing written) or differences beyond the tolerance, 2 the run
could not start (invalid mapping, unreadable legacy file, unknown batch).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ingest.migration.mapping import MappingError
from ingest.migration.migrate import default_home
from ingest.migration.report import migration_summary, parallel_run_summary


def _landing(arg: Path | None) -> Path:
    import os

    if arg is not None:
        return arg
    env = os.environ.get("SCORELINK_LANDING")
    return Path(env) if env else default_home() / "landing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.migration", description="Legacy migration.")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("legacy-export", help="write the demo company's legacy export")
    ex.add_argument("out_dir", type=Path)
    ex.add_argument("--employees", type=int, default=40)
    ex.add_argument("--months", type=int, default=3)
    ex.add_argument("--seed", type=int, default=11)
    ex.add_argument("--start-month", default="2024-01")
    mg = sub.add_parser("migrate", help="map a legacy export into a landing folder, validated first")
    mg.add_argument("--legacy", type=Path, required=True)
    mg.add_argument("--mapping", type=Path, required=True)
    mg.add_argument("--landing", type=Path, help="landing folder (default: $SCORELINK_HOME/landing)")
    mg.add_argument("--batch", help="one period, YYYY-MM (default: every period)")
    pr = sub.add_parser("parallel-run", help="compare the old system's scores with ScoreLink's published scores")
    pr.add_argument("--legacy", type=Path, required=True)
    pr.add_argument("--mapping", type=Path, required=True)
    pr.add_argument("--tolerance", type=float, default=0.5, help="score points (default 0.5)")
    pr.add_argument("--period", action="append", help="limit to this month (repeatable)")
    sg = sub.add_parser("sign", help="sign a migration or parallel-run report")
    sg.add_argument("report", type=Path, help="the report's JSON file")
    sg.add_argument("--name", required=True)
    sg.add_argument("--role", required=True)
    sg.add_argument("--decision", required=True, choices=["accepted", "accepted with remarks", "rejected"])
    sg.add_argument("--comment")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.command == "legacy-export":
            from ingest.migration.legacy_export import write_legacy_export

            export = write_legacy_export(args.out_dir, args.employees, args.months, args.seed, args.start_month)
            print(f"{len(export.files)} legacy files in {export.legacy_dir} (months {', '.join(export.months)})")
            return 0
        if args.command == "migrate":
            from ingest.migration.migrate import migrate

            result = migrate(args.legacy, args.mapping, _landing(args.landing), batch=args.batch)
            print("\n".join(migration_summary(result, time.perf_counter() - started)))
            return 0 if result.success else 1
        if args.command == "parallel-run":
            from ingest.migration.parallel_run import parallel_run

            result = parallel_run(args.legacy, args.mapping, tolerance=args.tolerance, periods=args.period)
            print("\n".join(parallel_run_summary(result)))
            return 0 if result.success else 1
        from ingest.migration.report import sign_report

        print(f"signed: {sign_report(args.report, args.name, args.role, args.decision, args.comment)}")
        return 0
    except MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
