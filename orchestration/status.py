"""What is in the warehouse now: tables, last run, quarantine, gate results, published periods.

The JSON form (`scorelink status --json`) is a stable interface for scripts: keys are only ever added.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from ingest.contract import default_contracts
from ingest.loader import reconcile_entity
from orchestration.settings import Settings

STATUS_SCHEMA_VERSION = 1


def collect_status(settings: Settings) -> dict[str, Any]:
    status: dict[str, Any] = {
        "status_schema_version": STATUS_SCHEMA_VERSION,
        "home": str(settings.home.resolve()),
        "dbt_target": settings.dbt_target,
        "landing": str(settings.landing_dir),
        "warehouse": {"path": str(settings.warehouse_path), "exists": settings.warehouse_path.exists(),
                      "busy": False},
        "published_dir": str(settings.published_dir),
        "tables": [],
        "last_run": _last_run(),
        "ingest": None,
        "quarantine": [],
        "gates": _dbt_gates(settings),
        "published": [],
    }
    if not settings.warehouse_path.exists():
        return status
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.IOException as exc:
        status["warehouse"]["busy"] = True
        status["warehouse"]["error"] = str(exc).splitlines()[0]
        return status
    try:
        _fill_from_warehouse(con, status)
    finally:
        con.close()
    return status


def _fill_from_warehouse(con: duckdb.DuckDBPyConnection, status: dict[str, Any]) -> None:
    tables = con.execute(
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2"
    ).fetchall()
    for schema, name, kind in tables:
        rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        status["tables"].append({"schema": schema, "table": name, "type": kind.lower(), "rows": rows})
    names = {(t["schema"], t["table"]) for t in status["tables"]}
    if ("ingest", "file_loads") in names:
        files, read, loaded, quarantined, last = con.execute(
            "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0), max(loaded_at) from ingest.file_loads").fetchone()
        status["ingest"] = {"files": files, "rows_read": int(read), "rows_loaded": int(loaded),
                            "rows_quarantined": int(quarantined),
                            "last_loaded_at": last.isoformat() if last else None}
        status["quarantine"] = [
            {"source": s, "entity": e, "rows": n}
            for s, e, n in con.execute(
                "select source, entity, count(*) from ingest.quarantine group by 1, 2 order by 1, 2").fetchall()
        ]
        mismatches = []
        for contract in default_contracts().values():
            if (contract.raw_schema, contract.entity) in names:
                mismatches += [dict(m, entity=contract.name) for m in reconcile_entity(con, contract)]
        status["gates"].insert(0, {
            "gate": "ingest_row_reconciliation",
            "passed": not mismatches,
            "detail": "rows in = rows loaded + rows quarantined for every file" if not mismatches
            else f"{len(mismatches)} file(s) do not reconcile",
            "failures": mismatches[:20],
        })
    if ("quality", "validation_results") in names:
        from expectations.runner import latest_results

        for suite in latest_results(con):
            status["gates"].append({
                "gate": f"gx:{suite['suite']}",
                "passed": suite["success"],
                "detail": f"{suite['table_name']}: {suite['expectations']} expectations, "
                          f"{suite['critical_failed']} critical and {suite['warnings_failed']} warning failures",
                "failures": suite["failures"][:20],
                "validated_at": suite["validated_at"],
                "run_id": suite["run_id"],
            })
    if ("published", "score_versions") in names:
        status["published"] = [
            {"period": p, "version": v, "rows": n, "scorecard_version": sv, "published_at": at.isoformat()}
            for p, v, n, sv, at in con.execute(
                "select period, version, row_count, scorecard_version, published_at from published.score_versions "
                "qualify row_number() over (partition by period order by version desc) = 1 order by period"
            ).fetchall()
        ]


def _dbt_gates(settings: Settings) -> list[dict[str, Any]]:
    path = settings.home / "reports" / "dbt_run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())
    tests = [r for r in results.get("results", []) if r.get("unique_id", "").startswith(("test.", "unit_test."))]
    if not tests:
        return []
    failing = [r["unique_id"] for r in tests if r.get("status") in ("fail", "error")]
    warned = [r["unique_id"] for r in tests if r.get("status") == "warn"]
    return [{
        "gate": "dbt_tests",
        "passed": not failing,
        "detail": f"{len(tests) - len(failing) - len(warned)} passed, {len(failing)} failed, {len(warned)} warned",
        "failures": failing[:20],
        "generated_at": results.get("metadata", {}).get("generated_at"),
    }]


def _last_run() -> dict[str, Any] | None:
    try:
        from dagster import DagsterInstance

        records = DagsterInstance.get().get_run_records(limit=1)
    except Exception:  # no instance yet (DAGSTER_HOME unset or empty): no run so far
        return None
    if not records:
        return None
    rec = records[0]
    return {
        "run_id": rec.dagster_run.run_id,
        "job": rec.dagster_run.job_name,
        "status": rec.dagster_run.status.value,
        "started_at": rec.start_time,
        "ended_at": rec.end_time,
    }
