"""Great Expectations suites (YAML, one per file) and the runner that the Dagster checks and the CLI call.

Folders: sources/ (raw and staging source contracts), metric_inputs/ (what the scores are computed from),
publish/ (the score tables before publication), migration/ (legacy migration validation, run by
ingest.migration over its own database).
"""

from expectations.runner import (
    ExpectationResult,
    ExpectationSpec,
    SuiteFileError,
    SuiteResult,
    SuiteSpec,
    default_suites,
    latest_results,
    load_suites,
    run_suite,
    validate,
)

__all__ = [
    "ExpectationResult",
    "ExpectationSpec",
    "SuiteFileError",
    "SuiteResult",
    "SuiteSpec",
    "default_suites",
    "latest_results",
    "load_suites",
    "run_suite",
    "validate",
]
