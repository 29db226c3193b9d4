"""Great Expectations suites (expectations/) as blocking Dagster asset checks: one check per suite.

Each check validates its suite's table over SQL in the warehouse and fails (severity ERROR) only when a
critical expectation fails; failing warnings leave it passing (severity WARN) and are listed in its
metadata. A failed blocking check stops every downstream asset of the same run, publication included
(publication is its own step, after the dbt step, so the block reaches it).

The suites are read when the code location loads (YAML only); Great Expectations is imported when a check
runs. On a dbt target other than DuckDB (SCORELINK_DBT_TARGET), each suite validates its table on the target
(orchestration.target_io.validation_target): a raw table's suite attaches to the landed copy's asset
(<target>/raw/...), a model's suite to the model, and the results are recorded in the DuckDB warehouse.
Add them with `Definitions(asset_checks=[..., *build_quality_checks()])`.

No `from __future__ import annotations`: Dagster reads the check's parameter annotations at definition time.
"""

import json
from typing import Any

import dagster as dg

from expectations.runner import EXPECTATIONS_DIR, SuiteResult, SuiteSpec, default_suites, run_suite
from orchestration.settings import get_settings
from orchestration.target_io import validation_target
from orchestration.targets_assets import on_target_key
from orchestration.warehouse import WarehouseResource

MAX_LISTED_FAILURES = 20


def build_quality_checks(suites: list[SuiteSpec] | None = None,
                         target: str | None = None) -> list[dg.AssetChecksDefinition]:
    """One blocking asset check per suite (default: every suite file under expectations/).

    target: the dbt target whose tables are validated (default: the configured SCORELINK_DBT_TARGET).
    """
    target = target or get_settings().dbt_target
    return [build_quality_check(spec, target) for spec in (default_suites() if suites is None else suites)]


def build_quality_check(spec: SuiteSpec, target: str = "duckdb") -> dg.AssetChecksDefinition:
    source = spec.source_file
    try:
        source_label = str(source.relative_to(EXPECTATIONS_DIR.parent)) if source else None
    except ValueError:
        source_label = str(source)

    @dg.asset_check(
        asset=on_target_key(spec.asset_key, target),
        name=spec.suite,
        description=f"Great Expectations suite {spec.suite} on {spec.table}: {spec.description.strip()}",
        blocking=True,
        # Tables the suite's SQL also reads (referential integrity): the check waits for them in a run.
        additional_deps=[on_target_key(key, target) for key in spec.depends_on] or None,
        metadata={
            "suite_file": source_label or "",
            "table": spec.table,
            "expectations": len(spec.expectations),
            "critical_expectations": sum(e.severity == "critical" for e in spec.expectations),
        },
    )
    def _quality_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        with validation_target(get_settings(), target) as where:
            result = run_suite(spec, warehouse.path, run_id=context.run.run_id, target=where)
        for failure in result.failed_critical + result.failed_warnings:
            log = context.log.error if failure.severity == "critical" else context.log.warning
            log(
                f"{spec.suite}: {failure.severity} {failure.type} failed on {spec.table} "
                f"({_count(failure.unexpected_count)} unexpected) {failure.description or ''}".rstrip()
            )
        return check_result(result)

    return _quality_check


def check_result(result: SuiteResult) -> dg.AssetCheckResult:
    """The Dagster check result of a suite run: failed (ERROR) only when a critical expectation failed."""
    failures = result.failed_critical + result.failed_warnings
    listed = [_failure_dict(result, f) for f in failures[:MAX_LISTED_FAILURES]]
    metadata: dict[str, Any] = {
        "suite": result.suite,
        "table": result.table,
        "run_id": result.run_id,
        "expectations": len(result.expectations),
        "critical_failures": len(result.failed_critical),
        "warning_failures": len(result.failed_warnings),
        "failures": dg.MetadataValue.md(_failures_markdown(result, failures) if failures else "none"),
        "failures_json": dg.MetadataValue.json(listed),
    }
    if result.data_docs:
        metadata["data_docs"] = dg.MetadataValue.path(result.data_docs)
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR if result.failed_critical else dg.AssetCheckSeverity.WARN,
        description=result.summary(),
        metadata=metadata,
    )


def _failure_dict(result: SuiteResult, failure: Any) -> dict[str, Any]:
    return {
        "table": result.table,
        "expectation": failure.type,
        "description": failure.description,
        "severity": failure.severity,
        "kwargs": failure.kwargs if failure.type != "UnexpectedRowsExpectation" else {},
        "unexpected_count": failure.unexpected_count,
        "element_count": failure.element_count,
        "examples": failure.examples,
        "query": failure.query,
        "error": failure.error,
    }


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _failures_markdown(result: SuiteResult, failures: list[Any]) -> str:
    parts = []
    for f in failures[:MAX_LISTED_FAILURES]:
        what = f.description or f"{f.type} {json.dumps(f.kwargs, default=str)}"
        lines = [
            f"**{f.severity.upper()}** `{f.type}` on `{result.table}`: {what}",
            f"- unexpected: {_count(f.unexpected_count)} of {_count(f.element_count)} rows",
        ]
        if f.error:
            lines.append(f"- error: {f.error.splitlines()[0][:300]}")
        if f.examples:
            lines.append(f"- examples: `{json.dumps(f.examples[:5], default=str)[:500]}`")
        if f.query:
            lines.append(f"- all failing rows:\n\n```sql\n{f.query}\n```")
        parts.append("\n".join(lines))
    if len(failures) > MAX_LISTED_FAILURES:
        parts.append(f"... and {len(failures) - MAX_LISTED_FAILURES} more failing expectations")
    return "\n\n".join(parts)
