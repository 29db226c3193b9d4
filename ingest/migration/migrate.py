"""migrate(): one migration run (all periods, or one batch) from a legacy export into a landing folder.

    from ingest.migration import migrate
    result = migrate(legacy_dir, "ingest/migration/mappings/northwind.yml", landing_dir, batch="1997-01")

1. read the legacy files (CSV in any encoding, XLSX) into the migration database ($SCORELINK_HOME/migration/
   validation.duckdb): legacy_raw.* as text, legacy.* typed, with the mapping's views and code maps;
2. map every entity (transform.py) and plan the run's landing files (batches.py);
3. stage the files, read them back as ingest will, and build the validation tables (validation.py,
   reconcile.py, audit.py);
4. run the Great Expectations suites of expectations/migration/ over the migration database;
5. only when every blocking expectation passed, promote the files into the landing folder (temporary name,
   then rename); otherwise write nothing;
6. write the report (HTML and JSON) in $SCORELINK_HOME/reports/migration/.

The landing folder then goes through the normal pipeline (`scorelink run --landing DIR`), with its quarantine
and quality gates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from expectations.runner import EXPECTATIONS_DIR, SuiteResult, SuiteSpec, load_suites, result_as_dict, run_suite
from ingest.migration import audit, batches, reconcile, transform, validation
from ingest.migration.legacy_files import LegacyTable, read_legacy_table
from ingest.migration.mapping import Mapping, MappingError, check_period, load_mapping
from ingest.migration.report import SIGN_OFF_BLANK, write_report

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATION_SUITES_DIR = EXPECTATIONS_DIR / "migration"
PARALLEL_RUN_SUITE = "migration_parallel_run"
STAGES = {  # suite -> (stage number, title)
    "migration_source_validation": (1, "Source validation: legacy files"),
    "migration_mapping_coverage": (2, "Mapping coverage: code tables"),
    "migration_column_coverage": (2, "Mapping coverage: landing columns"),
    "migration_landing_contract": (2, "Mapped rows against the landing contract"),
    "migration_reconciliation": (3, "Reconciliation per period and department"),
    "migration_audit_sample": (3, "Sampled row-by-row audit"),
}
MIGRATION_SCHEMAS = ("legacy", "legacy_raw", "migrated", "migration")


@dataclass
class MigrationResult:
    run_id: str
    success: bool  # every blocking expectation passed and the files are in the landing folder
    batch: str | None
    periods: list[str]
    landing_dir: Path
    files_written: list[str]  # relative to the landing folder: new or changed
    files_unchanged: list[str]  # identical bytes were already there (re-run of a batch)
    rows: dict[str, int]  # landing rows per entity in this run's files
    suites: list[SuiteResult]
    failures: list[str]
    report_html: Path
    report_json: Path
    migration_db: Path
    staging_dir: Path | None = None  # kept when the run failed, for inspection
    periods_available: list[str] = field(default_factory=list)


def default_home() -> Path:
    home = os.environ.get("SCORELINK_HOME")
    return (Path(home) if home else REPO_ROOT / "output").resolve()


def migration_suites(include_parallel_run: bool = False) -> list[SuiteSpec]:
    """The suites of expectations/migration/, in stage order."""
    order = list(STAGES)
    suites = [s for s in load_suites(MIGRATION_SUITES_DIR) if include_parallel_run or s.suite != PARALLEL_RUN_SUITE]
    return sorted(suites, key=lambda s: order.index(s.suite) if s.suite in order else len(order))


def fresh_database(path: Path) -> duckdb.DuckDBPyConnection:
    """The migration database with this run's schemas emptied (quality.validation_results is kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    for schema in MIGRATION_SCHEMAS:
        con.execute(f"drop schema if exists {schema} cascade")
    return con


def read_legacy(con: duckdb.DuckDBPyConnection, mapping: Mapping, legacy_dir: Path) -> dict[str, LegacyTable]:
    tables = {name: read_legacy_table(legacy_dir, name, spec) for name, spec in mapping.sources.items()}
    transform.load_legacy(con, tables)
    transform.create_legacy_views(con, mapping)
    return tables


def migrate(
    legacy_dir: str | Path,
    mapping_file: str | Path,
    landing_dir: str | Path,
    batch: str | None = None,
    *,
    home: str | Path | None = None,
    run_id: str | None = None,
    data_docs: bool = True,
) -> MigrationResult:
    """Migrate a legacy export into a landing folder, all periods or one batch (`YYYY-MM`), validated first.

    Raises MappingError for what stops a run before validation: an invalid mapping file, a legacy file that
    cannot be read or lacks a required column, SQL in the mapping that fails, an unknown batch period.
    """
    legacy_dir, landing_dir = Path(legacy_dir).resolve(), Path(landing_dir).resolve()
    home = Path(home).resolve() if home else default_home()
    if not legacy_dir.is_dir():
        raise MappingError(f"{legacy_dir}: legacy folder does not exist")
    mapping = load_mapping(mapping_file)
    batches.check_manifest(landing_dir, mapping)
    if batch is not None:
        check_period(batch)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = run_id or f"migrate-{started:%Y%m%dT%H%M%S%f}-{batch or 'all'}"
    db_path = home / "migration" / "validation.duckdb"  # (a file named migration.duckdb would clash with its schema)
    staging_dir = home / "migration" / "staging" / run_id

    con = fresh_database(db_path)
    try:
        tables = read_legacy(con, mapping, legacy_dir)
        mapped = transform.map_entities(con, mapping)
        available = batches.periods_found(mapped)
        if batch is not None and batch not in available:
            raise MappingError(f"batch {batch}: no legacy rows in that period "
                               f"(periods in the export: {', '.join(available) or 'none'})")
        periods = [batch] if batch else available
        planned = batches.plan_files(mapping, mapped, periods)
        shutil.rmtree(staging_dir, ignore_errors=True)
        batches.stage(staging_dir, planned)
        row_periods = validation.legacy_row_periods(mapping, mapped)
        validation.build_source_tables(con, mapping, tables, row_periods, periods)
        validation.build_code_coverage(con, mapping, mapped, periods)
        validation.build_column_coverage(con, mapping, tables)
        read_back = validation.load_migrated(con, mapping, mapped, planned, staging_dir)
        reconcile.build_reconciliation(con, mapping, mapped, periods)
        audit.build_audit_sample(con, mapping, mapped, planned, staging_dir, periods, read_back)
        details = _details(con, mapping)
    finally:
        con.close()

    docs: Path | bool = (home / "reports" / "migration" / "data_docs") if data_docs else False
    suites = [run_suite(spec, db_path, run_id, docs_dir=docs) for spec in migration_suites()]
    success = all(s.success for s in suites)
    failures = [f"{s.suite}: {e.description or e.type} ({e.unexpected_count} rows)"
                for s in suites for e in s.failed_critical]
    written: list[str] = []
    unchanged: list[str] = []
    if success:
        promotion = batches.promote(landing_dir, planned, batches.manifest_bytes(mapping), tag=run_id)
        written, unchanged = promotion.written, promotion.unchanged
        shutil.rmtree(staging_dir, ignore_errors=True)
    rows: dict[str, int] = {}
    for f in planned:
        rows[f.entity] = rows.get(f.entity, 0) + f.rows

    report = _report(mapping, run_id, started, legacy_dir, landing_dir, batch, periods, suites, details,
                     planned, written, unchanged, success)
    stem = f"{run_id}"
    json_path, html_path = write_report(report, home / "reports" / "migration", stem, "latest-migration")
    return MigrationResult(run_id, success, batch, periods, landing_dir, written, unchanged, rows, suites,
                           failures, html_path, json_path, db_path, None if success else staging_dir, available)


def _records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _details(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> dict[str, Any]:
    audit_rows = _records(con, "select * from migration.audit_sample order by entity, sample_no, column_name")
    return {
        "legacy_files": _records(con, "select * from migration.legacy_files order by legacy_table, source_file"),
        "code_coverage": _records(con, "select * from migration.code_coverage "
                                       "order by is_mapped, code_map, entity, target_column, row_count desc"),
        "column_rules": _records(con, "select relation as entity, column_name, required, rule, note "
                                      "from migration.column_coverage where side = 'landing' order by 1, 2"),
        "legacy_columns": _records(con, "select relation as legacy_table, column_name, rule as state "
                                        "from migration.column_coverage where side = 'legacy' order by 1, 2"),
        "landing_checks": _records(con, "select * from migration.landing_checks order by kind, entity limit 500"),
        "reconciliation": _records(con, """select *, legacy_value is not null and migrated_value is not null
                                                  and abs(migrated_value - legacy_value) <= tolerance as ok
                                           from migration.reconciliation order by measure, period, department"""),
        "audit": {"seed": mapping.audit.seed, "sample_per_entity": mapping.audit.sample_per_entity,
                  "sampled_rows": len({(r["entity"], r["sample_no"]) for r in audit_rows}),
                  "fields_checked": len(audit_rows), "mismatches": sum(not r["matches"] for r in audit_rows),
                  "rows": audit_rows},
    }


def stage_summaries(suites: list[SuiteResult], stages: dict[str, tuple[int, str]]) -> list[dict[str, Any]]:
    out = []
    for s in suites:
        number, title = stages.get(s.suite, (0, s.suite))
        d = result_as_dict(s)
        out.append({"stage": number, "title": title, "suite": s.suite, "table": s.table, "success": s.success,
                    "description": _suite_description(s.suite), "critical_failures": len(s.failed_critical),
                    "warning_failures": len(s.failed_warnings),
                    "expectations": [{k: e[k] for k in ("type", "description", "severity", "success",
                                                        "unexpected_count", "examples", "query", "error")}
                                     for e in d["expectations"]]})
    return out


def _suite_description(name: str) -> str:
    for spec in load_suites(MIGRATION_SUITES_DIR):
        if spec.suite == name:
            return " ".join(spec.description.split())
    return ""


def _report(mapping: Mapping, run_id: str, started: dt.datetime, legacy_dir: Path, landing_dir: Path,
            batch: str | None, periods: list[str], suites: list[SuiteResult], details: dict[str, Any],
            planned: list[batches.PlannedFile], written: list[str], unchanged: list[str],
            success: bool) -> dict[str, Any]:
    mapping_bytes = mapping.source_file.read_bytes() if mapping.source_file else b""
    state = {rel: "written" for rel in written} | {rel: "unchanged" for rel in unchanged}
    return {
        "kind": "migration",
        "run_id": run_id,
        "created_at": started.isoformat(timespec="seconds") + "Z",
        "company": mapping.landing.company_name,
        "mapping": {"name": mapping.name, "file": str(mapping.source_file),
                    "sha256": hashlib.sha256(mapping_bytes).hexdigest(), "description": mapping.description.strip()},
        "legacy_dir": str(legacy_dir),
        "landing_dir": str(landing_dir),
        "batch": batch,
        "periods": periods,
        "verdict": "passed" if success else "failed",
        "stages": stage_summaries(suites, STAGES),
        **details,
        "files": [{"path": f.rel, "entity": f.entity, "period": f.period, "rows": f.rows, "sha256": f.sha256,
                   "state": state.get(f.rel, "not written")} for f in planned],
        "files_written": written,
        "files_unchanged": unchanged,
        "sign_off": dict(SIGN_OFF_BLANK),
    }
