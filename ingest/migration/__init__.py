"""Legacy migration: a customer's old HR and sales exports -> the landing contract, validated in three stages.

    from ingest.migration import migrate, parallel_run
    result = migrate("legacy/", "ingest/migration/mappings/demo_legacy.yml", "output/landing", batch="2024-01")

Mapping rules are YAML (mapping.py); a run reads the legacy files, maps them in DuckDB (transform.py), writes
one landing file per entity and period (batches.py) after the Great Expectations suites of
expectations/migration/ have passed over the migration database (validation.py, reconcile.py, audit.py), and
writes a report HR can sign (report.py). parallel_run.py compares the old system's own scores with
ScoreLink's. docs/migration.md is the user guide.
"""

from ingest.migration.mapping import Mapping, MappingError, load_mapping
from ingest.migration.migrate import MigrationResult, migrate
from ingest.migration.report import sign_report

__all__ = ["Mapping", "MappingError", "MigrationResult", "load_mapping", "migrate", "sign_report"]
